/**
 * `npm run demo`: two rollouts of ecs-canary against a local AWS emulator (moto on 127.0.0.1),
 * no AWS account needed. The bundled action runs as the runner runs it, its log indented, with
 * the demo's own narration between the lines: the weights as the rules carry them, the alarm
 * going off, the time it takes to get the traffic back, the outputs and the job summary.
 */
import { MOTO_VERSION } from '../__tests__/e2e/support/global-setup.js'
import { startEmulator } from '../__tests__/e2e/support/emulator.js'
import type { MotoServer } from '../__tests__/e2e/support/emulator.js'
import { startFaultProxy } from '../__tests__/e2e/support/fault-proxy.js'
import type { FaultProxy } from '../__tests__/e2e/support/fault-proxy.js'
import { provisionStack, setAlarm } from '../__tests__/e2e/support/fixture.js'
import type { Stack } from '../__tests__/e2e/support/fixture.js'
import { startGitHubStandin } from '../__tests__/e2e/support/github-standin.js'
import type { GitHubStandin } from '../__tests__/e2e/support/github-standin.js'
import { actionNode, runPost, startAction } from '../__tests__/e2e/support/runner.js'
import { versionOf } from '../__tests__/e2e/support/global-setup.js'
import type { ActionHandle, RunContext, RunResult } from '../__tests__/e2e/support/runner.js'
import { echoActionLine, heading, say } from './narrate.js'
import { WeightWatcher } from './watch.js'
import type { Reading } from './watch.js'

const STAGES = '1:2s,2:2s,5:2s,10:2s,50:2s,100:2s'
const ALARM = 'web-5xx'
const ALARM_REASON = 'Threshold Crossed: 1 datapoint [12.0] was greater than the threshold (5.0)'

// The SDK's notice that it will need Node 22 in 2027 is not part of the story (the action's own
// runs get NODE_NO_WARNINGS; the runner's node24 does not print it at all).
process.removeAllListeners('warning')

const begun = Date.now()
let moto: MotoServer | undefined
let proxy: FaultProxy | undefined
let github: GitHubStandin | undefined
let running: ActionHandle | undefined

process.on('SIGINT', () => {
  console.log('\n▶ Interrupted: stopping the action and moto.')
  running?.kill('SIGKILL')
  void shutDown().finally(() => process.exit(130))
})

async function shutDown(): Promise<void> {
  await proxy?.close()
  await github?.close()
  await moto?.stop()
}

/** What one rollout needs besides its inputs. */
interface Act {
  stack: Stack
  context: RunContext
  rules: string[]
  live: string
  idle: string
}

function groupsOf(stack: Stack, live: string): { live: string; idle: string } {
  const blue = stack.services.blue
  const green = stack.services.green
  return live === blue.name
    ? { live: blue.targetGroupArn, idle: green.targetGroupArn }
    : { live: green.targetGroupArn, idle: blue.targetGroupArn }
}

function weightsText(act: Act, r: Reading): string {
  return `${act.idle} ${r.percent}% (weights ${act.idle}=${r.idleWeight} ${act.live}=${r.liveWeight}) on the listener and /api/*`
}

/**
 * Runs one deploy, narrating the weights as they change; `onShare` may act when the rules reach
 * a share (the alarm in act two). Returns the result and what the watcher saw.
 */
async function rollout(
  act: Act,
  onShare?: (reading: Reading) => void
): Promise<{ result: RunResult; readings: Reading[] }> {
  const readings: Reading[] = []
  const watcher = new WeightWatcher(
    act.stack,
    act.rules,
    groupsOf(act.stack, act.live),
    reading => {
      readings.push(reading)
      say(`The rules now read ${weightsText(act, reading)}`)
      onShare?.(reading)
    },
    50
  )
  watcher.start(0)
  running = startAction(act.context, {
    inputs: {
      cluster: act.stack.clusterName,
      services: `${act.stack.services.blue.name} ${act.stack.services.green.name}`,
      'listener-rules': act.rules.join(' '),
      alarms: act.stack.alarmNames.join(' '),
      stages: STAGES,
      'poll-interval': '1s'
    },
    env: { NODE_NO_WARNINGS: '1' },
    onLine: echoActionLine
  })
  const result = await running.done
  running = undefined
  // One last read, so a change in the final moments is not missed.
  await new Promise(resolve => setTimeout(resolve, 120))
  watcher.stop()
  return { result, readings }
}

function sayOutputs(result: RunResult): void {
  const { outputs } = result
  say(
    `The step exited ${result.code}; outputs: result=${outputs.result} percent=${outputs.percent} ` +
      `live-service=${outputs['live-service']} idle-service=${outputs['idle-service']}` +
      (outputs.reason ? `\n  reason=${outputs.reason}` : '')
  )
}

async function postStep(act: Act, result: RunResult): Promise<void> {
  const post = await runPost(act.context, result, { env: { NODE_NO_WARNINGS: '1' } })
  const line = post.lines.find(l => l.text.startsWith('ecs-canary post'))?.text ?? ''
  say(`The runner's post step (same bundle): "${line}"`)
}

function sayCalls(): void {
  const counts = proxy!.counts()
  const total = Object.values(counts).reduce((a, b) => a + b, 0)
  const top = Object.entries(counts)
    .sort((a, b) => b[1] - a[1])
    .map(([op, n]) => `${op} ${n}`)
    .join(', ')
  say(`AWS calls the action made (counted by a local proxy): ${total} — ${top}`)
  proxy!.reset()
}

function sayStatuses(): void {
  const statuses = github!.statuses()
  const last = statuses.at(-1)
  if (last) {
    say(
      `Commit statuses posted to the GitHub stand-in: ${statuses.length}, the last one ` +
        `${last.state}: "${last.description}"`
    )
  }
  github!.reset()
}

async function main(): Promise<void> {
  heading('A local AWS')
  say(`Starting moto ${MOTO_VERSION} on 127.0.0.1 (installed into .venv on first use)…`)
  moto = await startEmulator()
  proxy = await startFaultProxy(moto.url)
  github = await startGitHubStandin()
  say(`moto answers on ${moto.url}; the action reaches it through a counting proxy.`)
  const stack = await provisionStack()
  say(
    `Provisioned a fresh account (${stack.account.accountId}): an ALB with a listener and an ` +
      `/api/* rule forwarding to web-blue-tg and web-green-tg, ECS services web-blue (live, 2 ` +
      `tasks) and web-green (idle), alarms ${stack.alarmNames.join(' and ')} (OK).`
  )
  const context: RunContext = {
    awsEndpoint: proxy.url,
    githubApiUrl: github.url,
    credentials: stack.account.credentials
  }
  const rules = [stack.listenerArn, stack.rules.api]
  const first: Act = { stack, context, rules, live: 'web-blue', idle: 'web-green' }

  heading(`Rollout 1: web-green through every stage (${STAGES})`)
  say(
    `Running dist/index.js on Node ${versionOf(actionNode())} as the runner would, with INPUT_* variables and file commands.`
  )
  const one = await rollout(first)
  sayOutputs(one.result)
  sayStatuses()
  sayCalls()
  await postStep(first, one.result)

  // Roles have swapped: the next deploy goes to the other service.
  const second: Act = { ...first, live: 'web-green', idle: 'web-blue' }
  heading('Rollout 2: web-blue, and the alarm goes off at 10%')
  say('Same inputs. This time the demo sets web-5xx to ALARM one second into the 10% stage.')
  let alarmAt: number | undefined
  let fired = false
  const two = await rollout(second, reading => {
    if (reading.percent === 10 && !fired) {
      fired = true
      setTimeout(() => {
        void setAlarm(stack.aws, ALARM, 'ALARM', ALARM_REASON).then(() => {
          alarmAt = Date.now()
          say(`The alarm ${ALARM} goes off (SetAlarmState ALARM: "${ALARM_REASON}")`)
        })
      }, 1_000)
    }
    if (reading.percent === 0 && alarmAt !== undefined) {
      const seconds = ((reading.at - alarmAt) / 1000).toFixed(2)
      say(`Traffic is back on ${second.live}: 100% on every rule, ${seconds} s after the alarm.`)
    }
  })
  sayOutputs(two.result)
  sayStatuses()
  sayCalls()
  await postStep(second, two.result)

  heading('The job summary of rollout 2 (GITHUB_STEP_SUMMARY)')
  const table = two.result.summary.split('\n').filter(line => line.startsWith('|'))
  for (const line of table) console.log(`    ${line}`)
}

try {
  await main()
  say(`Done in ${((Date.now() - begun) / 1000).toFixed(0)} s. Stopping moto.`)
} catch (error) {
  console.error(error)
  process.exitCode = 1
} finally {
  running?.kill('SIGKILL')
  await shutDown()
}
