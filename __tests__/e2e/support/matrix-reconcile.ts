import { writeTags } from './fixture.js'
import type { FaultSpec } from './fault-proxy.js'
import { MATRIX_RUN_MS } from './matrix-lane.js'
import type { Lane, Observation, RuleState } from './matrix-lane.js'
import type { MatrixCase } from './matrix-cases.js'
import { runAction } from './runner.js'
import type { ActionHandle, RunResult } from './runner.js'

/** The deploy's run (runner-env's GITHUB_RUN_ID), which GitHub then reports as completed. */
const DEPLOY_RUN = '4242424242'
/** The watchdog's runs: the one the fault meets, and the next scheduled one. */
const WATCHDOG_RUN = '5151515151'
const NEXT_WATCHDOG_RUN = '5151515152'

/**
 * The runner is lost mid-bake (SIGKILL, no post step); time passes (the heartbeat is aged past
 * `stale-after`), GitHub reports the run over, and a reconcile run meets the fault. When that
 * run leaves traffic where it was, the next scheduled run (AWS healthy again) must restore it.
 */
export async function reconcileCase(
  lane: Lane,
  kase: MatrixCase,
  spec: FaultSpec,
  handle: ActionHandle,
  started: number,
  readRules: (lane: Lane) => Promise<RuleState[]>,
  runCommands: (lane: Lane, stdout: string) => Promise<RuleState[]>
): Promise<Observation> {
  await handle.waitForOutput(/^Stage 1\/\d+: /).catch(() => undefined)
  handle.kill('SIGKILL')
  const main = await handle.done
  const afterMain = await readRules(lane)
  lane.github?.setRun(DEPLOY_RUN, 1, { status: 'completed', conclusion: 'cancelled' })
  await ageHeartbeat(lane)
  lane.proxy.reset()
  lane.proxy.inject(spec)
  const post = await reconcile(lane, WATCHDOG_RUN)
  const calls = lane.proxy.calls()
  lane.proxy.clear()
  const afterPost = await readRules(lane)
  const printed = post.outputs.result === 'rolled-back' && /could NOT be restored/.test(post.stdout)
  const afterCommands = printed ? await runCommands(lane, post.stdout) : undefined
  let retry: RunResult | undefined
  let afterRetry: RuleState[] | undefined
  if (!afterCommands && !afterPost.every(r => r.greenTenths === 0)) {
    // The next scheduled run: the first one's run is over too, its claim (if any) stale.
    lane.github?.setRun(WATCHDOG_RUN, 1, { status: 'completed', conclusion: 'failure' })
    await ageHeartbeat(lane)
    retry = await reconcile(lane, NEXT_WATCHDOG_RUN)
    afterRetry = await readRules(lane)
  }
  return {
    kase,
    main,
    calls,
    afterMain,
    post,
    afterPost,
    ...(afterCommands ? { afterCommands } : {}),
    ...(retry ? { retry, afterRetry } : {}),
    ms: Date.now() - started
  }
}

function reconcile(lane: Lane, runId: string): Promise<RunResult> {
  return runAction(lane.context, {
    inputs: {
      cluster: lane.stack.clusterName,
      services: `${lane.stack.services.blue.name} ${lane.stack.services.green.name}`,
      'listener-rules': lane.rules.join('\n'),
      mode: 'reconcile'
    },
    sha: '1111111111111111111111111111111111111111',
    timeoutMs: MATRIX_RUN_MS,
    env: { GITHUB_RUN_ID: runId }
  })
}

/** Five minutes without a heartbeat, as if the schedule came round. */
async function ageHeartbeat(lane: Lane): Promise<void> {
  const then = new Date(Date.now() - 5 * 60_000).toISOString().replace(/\.\d+Z$/, 'Z')
  for (const arn of lane.rules) {
    await writeTags(lane.stack.aws, arn, { 'ecs-canary:heartbeat': then })
  }
}
