/**
 * `npm run bench`: reaction time, stage overhead, AWS calls and start-up of the bundled action,
 * against a local moto on 127.0.0.1. Prints one markdown table and writes it to
 * bench/results.md.
 *
 *   BENCH_TRIALS=20   trials per poll interval (default 20)
 *   BENCH_LANES=4     stacks per poll interval running trials side by side (default 4)
 *   BENCH_CRASH_TRIALS=10  crash trials per poll interval (default 10; bench/crash-run.ts
 *                     measures only those)
 *   BENCH_NODE=/path  another node binary to measure start-up on as well (default: the pinned
 *                     Node 24 the e2e tests run the action on, .node24/bin/node)
 *   BENCH_BASELINE=/path/index.js  an older bundle to time start-up against (before/after),
 *   BENCH_BASELINE_LABEL=text      named so in the table
 *   BENCH_ONLY=cost   only the capacity cost (two rollouts), replacing that section of
 *                     bench/results.md and leaving the rest as it was
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { join } from 'node:path'
import { startEmulator } from '../__tests__/e2e/support/emulator.js'
import { MOTO_VERSION, versionOf } from '../__tests__/e2e/support/global-setup.js'
import { startGitHubStandin } from '../__tests__/e2e/support/github-standin.js'
import { repoRoot } from '../__tests__/e2e/support/runner-env.js'
import { actionNode } from '../__tests__/e2e/support/runner.js'
import { bakeCalls } from './baking.js'
import { crashTrials } from './crash.js'
import { costRun, renderCost } from './cost.js'
import { Mutex, openLane } from './lane.js'
import type { Lane } from './lane.js'
import { callProfile, overheadRun } from './overhead.js'
import type { OverheadSample } from './overhead.js'
import { healthTrials } from './health.js'
import { READ_EVERY_MS, reactionTrials } from './reaction.js'
import { renderResults } from './report.js'
import { measureStartup } from './startup.js'
import type { StartupResult } from './startup.js'

// The SDK's Node 20 notice, once per client, is not a result.
process.removeAllListeners('warning')

const TRIALS = Number(process.env.BENCH_TRIALS ?? 20)
const LANES = Number(process.env.BENCH_LANES ?? 4)
const CRASH_TRIALS = Number(process.env.BENCH_CRASH_TRIALS ?? 10)
const OVERHEAD_REPEATS = 3

const log = (text: string): void => console.error(`bench: ${text}`)
const begun = Date.now()
const load = (): string =>
  loadavg()
    .map(n => n.toFixed(2))
    .join(' ')

const moto = await startEmulator()
const github = await startGitHubStandin()
const lanes: Lane[] = []
const resultsFile = join(repoRoot, 'bench', 'results.md')
const costSection = async (): Promise<string> => {
  log('capacity cost: one 60-task rollout under match, one under follow')
  return renderCost([await costRun(github, 'match'), await costRun(github, 'follow')])
}
try {
  if (process.env.BENCH_ONLY === 'cost') {
    const cost = await costSection()
    const before = readFileSync(resultsFile, 'utf8')
    const at = before.indexOf('## Capacity cost')
    writeFileSync(resultsFile, `${(at < 0 ? before : before.slice(0, at)).trimEnd()}\n\n${cost}\n`)
    console.log(cost)
  } else {
    const loadAtStart = load()
    log(`moto on ${moto.url}; provisioning ${2 * LANES + 4} stacks`)
    const open = async (count: number): Promise<Lane[]> => {
      const opened = await Promise.all(Array.from({ length: count }, () => openLane(github)))
      lanes.push(...opened)
      return opened
    }
    const fast = await open(LANES)
    const slow = await open(LANES)
    const [bake1, bake5, one, two] = await open(4)

    log(
      `reaction: ${TRIALS} trials at poll-interval 1s and 5s in ${LANES} lanes each; baking calls`
    )
    const window = new Mutex()
    const trials = (group: Lane[], pollMs: number) =>
      group.map((lane, i) => {
        const count = Math.floor(TRIALS / LANES) + (i < TRIALS % LANES ? 1 : 0)
        return reactionTrials(lane, pollMs, count, window)
      })
    const [reaction, baking] = await Promise.all([
      Promise.all([...trials(fast, 1_000), ...trials(slow, 5_000)]).then(all => all.flat()),
      Promise.all([bakeCalls(bake1, 1_000), bakeCalls(bake5, 5_000)])
    ])

    log(`health gate: ${TRIALS} unhealthy-canary trials at poll-interval 1s and 5s`)
    const healthOf = (group: Lane[], pollMs: number) =>
      group.map((lane, i) => {
        const count = Math.floor(TRIALS / LANES) + (i < TRIALS % LANES ? 1 : 0)
        return healthTrials(lane, pollMs, count, window)
      })
    const health = await Promise.all([...healthOf(fast, 1_000), ...healthOf(slow, 5_000)]).then(
      all => all.flat()
    )

    log(`crash: ${CRASH_TRIALS} crashing-canary trials at poll-interval 1s and 5s`)
    const crash = (
      await Promise.all([
        crashTrials(fast[0], 1_000, CRASH_TRIALS, window),
        crashTrials(slow[0], 5_000, CRASH_TRIALS, window)
      ])
    ).flat()

    log(`stage overhead: ${OVERHEAD_REPEATS} six-stage rollouts on one rule and on two`)
    const overhead: OverheadSample[] = []
    for (let i = 0; i < OVERHEAD_REPEATS; i++) {
      overhead.push(...(await Promise.all([overheadRun(one, 1), overheadRun(two, 2)])))
    }
    const profiles = {
      1: callProfile(overhead.find(s => s.rules === 1)!),
      2: callProfile(overhead.find(s => s.rules === 2)!)
    }

    log('start-up: 10 starts of dist/index.js per step, nothing else running')
    const loadBeforeStartup = load()
    const startup: StartupResult[] = []
    // The tooling's Node, and the Node 24 the runner runs the action on (what every run above used).
    for (const node of new Set([process.execPath, process.env.BENCH_NODE || actionNode()])) {
      startup.push(await measureStartup({ runs: 10, node }))
    }
    if (process.env.BENCH_BASELINE) {
      const script = process.env.BENCH_BASELINE
      const label = process.env.BENCH_BASELINE_LABEL ?? `baseline ${script}`
      startup.push(await measureStartup({ runs: 10, script, label }))
    }

    const minutes = ((Date.now() - begun) / 60_000).toFixed(1)
    const markdown = renderResults({
      reaction,
      health,
      crash,
      overhead,
      profiles,
      baking,
      startup,
      conditions: [
        `${new Date().toISOString().slice(0, 10)}, ${cpus().length} cores (${cpus()[0]?.model.trim()}), Node ${process.version} (tooling; the action on ${versionOf(actionNode())}), moto ${MOTO_VERSION} on 127.0.0.1; the action reaches it through the counting proxy. Whole bench: ${minutes} min.`,
        `Load average at the start ${loadAtStart}, before start-up ${loadBeforeStartup}: other work on the machine shows up in every figure.`,
        `Reaction: the alarm is set with SetAlarmState at a uniformly random point 0.2 s to 0.2 s + 3 polls into a 30-minute first stage; the bench then reads both rules (listener and /api/*) straight from moto every ${READ_EVERY_MS} ms. A lane that had to wait its turn (see below) waits a further random 0 to 1 poll before firing, so the moment stays random against its own polls. The time is from sending SetAlarmState to the middle of the window in which the rules flipped (± ${Math.ceil(Math.max(...reaction.map(s => s.errorMs)))} ms at worst).`,
        `Trials run ${LANES} at a time per poll interval (${2 * LANES} stacks, each its own account, proxy and action process), but the alarm-to-restore windows are serialised across all lanes: at most one action reacts at any moment, while the others sit mid-bake polling once per interval. More at once would start to measure the 2-core machine rather than the action.`,
        `Health gate: the same lanes, one trial after another; a proxy in front of the lane's counting proxy answers DescribeTargetHealth of the canary's group (moto's targets are always healthy) and turns both targets unhealthy at a uniformly random point 0.2 s to 0.2 s + 3 polls into a 30-minute first stage, windows serialised as above. Two figures: from the flip (the gate needs two unhealthy reads, so up to two polls) and from the second unhealthy read the action got (the gate's own reaction). Every alarm stays OK and no metrics exist.`,
        "Crash rows (issue 23; `npx tsx bench/crash-run.ts` re-measures only these): one lane per poll interval, one trial after another, crashes serialised. A health proxy in front of the lane's counting proxy answers DescribeServices, ListTasks, DescribeTasks and DescribeTargetHealth for the canary from `EcsTimeline` (moto's services run no tasks): at a uniformly random point 10 s to 10 s + 3 polls into a 30-minute first stage a task exits with code 1 (`EssentialContainerExited`), again every 8 s, each replaced 4 s later. Measured from the first stop (its STOPPED task, the running-count dip and the \"has stopped 1 running tasks\" event appear at that instant) to the midpoint of the window in which every rule read back 100% on live. ECS reads per minute: counted by the lane's proxy over the healthy part of each bake (from 1 s after the stage began to the first stop); while nothing stops the gate reads only DescribeServices, and a read that sees a stop adds one ListTasks and one DescribeTasks.",
        'ECS limits: DescribeServices is a "service read action", sustained 20 requests/s with a bucket of 100; ListTasks and DescribeTasks are "cluster resource read actions", also 20/s (Amazon ECS API reference, "Request throttling for the Amazon ECS API", https://docs.aws.amazon.com/AmazonECS/latest/APIReference/request-throttling.html). The side-by-side figure counts the health gate\'s DescribeTargetHealth against the ELBv2 describe rate and its DescribeServices against ECS\'s.',
        "Stage overhead: six 2 s stages at the default poll-interval (5s), commit statuses on (to a local GitHub stand-in); the one-rule and the two-rule rollout ran side by side. Pre-flight (start-up, checks, preparing the idle service) is reported apart and not in the per-stage figure. The strict stand-in's `rule-read-lag` (each rule read as it was for 1 s after a write, a length chosen to outlast one read, not measured on AWS) is off for these runs: the action reads back until the new weights show, so with it on each stage carries that second (2026-12-07, quiet machine: 1.35 s per stage on one rule and on two, 6 DescribeRules per stage).",
        'AWS calls: per stage = the calls from the first weight write to the end, alarm reads left out, divided by six (so the final promotion tags are spread over the stages). Per minute of baking: one 60 s stage. Side by side: each rollout spreads its stage calls over a 5-minute bake; a burst where many rollouts shift at the same second draws on the ELBv2 bucket, which the SDK retries absorb.',
        'Start-up: spawn to the first byte of the first AWS request at a local listener (AWS_ENDPOINT_URL), inputs of a deploy with two alarms; the post step as after a main step that died mid-rollout. Peak RSS = VmHWM at that moment. Bare Node from spawn to exit, peak RSS by /usr/bin/time. Main, post and bare Node take turns, ten rounds.'
      ]
    })
    const cost = await costSection()
    writeFileSync(resultsFile, `# Bench results\n\n${markdown}\n\n${cost}\n`)
    console.log(`${markdown}\n\n${cost}`)
  }
} finally {
  await Promise.all(lanes.map(lane => lane.close()))
  await github.close()
  await moto.stop()
}
