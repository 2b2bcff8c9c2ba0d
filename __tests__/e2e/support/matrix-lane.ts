import { UpdateServiceCommand } from '@aws-sdk/client-ecs'
import { RemoveTagsCommand } from '@aws-sdk/client-elastic-load-balancing-v2'
import { startFaultProxy } from './fault-proxy.js'
import type { FaultProxy, FaultSpec, ProxyCall } from './fault-proxy.js'
import type { GitHubStandin } from './github-standin.js'
import type { Action } from '@aws-sdk/client-elastic-load-balancing-v2'
import {
  provisionStack,
  readTags,
  readWeights,
  setAlarm,
  setWeights,
  writeActions
} from './fixture.js'
import type { Stack } from './fixture.js'
import type { MatrixCase, Scenario } from './matrix-cases.js'
import { STAGES } from './matrix-cases.js'
import { reconcileCase } from './matrix-reconcile.js'
import { runPost, startAction } from './runner.js'
import type { ActionHandle, RunContext, RunResult } from './runner.js'

/**
 * A lane runs matrix cases one after another on its own stack (its own moto account) behind its
 * own fault proxy, so lanes run side by side without seeing each other's calls or faults.
 * Between cases the stack is put back as provisioned: all traffic on blue, no rollout recorded.
 */
export interface Lane {
  readonly stack: Stack
  readonly proxy: FaultProxy
  readonly context: RunContext
  /** The listener (its default action) and the `/api/*` rule: the run moves both in lockstep. */
  readonly rules: readonly string[]
  /** How the last case left the stack, so the reset writes only what it changed. */
  last?: { readonly rules: readonly RuleState[]; readonly alarm: boolean }
  /** The GitHub stand-in, to say whether a run is still running (reconcile cases). */
  readonly github?: GitHubStandin
}

/** One rule as a case left it, read straight from moto. */
export interface RuleState {
  readonly arn: string
  /** web-green's share in tenths of a percent; -1 when the forward is not the pair's alone. */
  readonly greenTenths: number
  readonly tags: Record<string, string>
}

/** Everything observed of one case. */
export interface Observation {
  readonly kase: MatrixCase
  readonly main: RunResult
  /** The action's AWS calls during the step the fault was armed for (main, or post if killed). */
  readonly calls: readonly ProxyCall[]
  readonly afterMain: readonly RuleState[]
  /**
   * Run when main saved a guard but never said traffic was safe: with AWS healthy again, or,
   * in a `killed` case, with the fault armed.
   */
  readonly post?: RunResult
  readonly afterPost?: readonly RuleState[]
  /** After running, against moto, the restore commands a failed post step printed. */
  readonly afterCommands?: readonly RuleState[]
  /** Reconcile cases: the next scheduled run, when the first left traffic where it was. */
  readonly retry?: RunResult
  readonly afterRetry?: readonly RuleState[]
  readonly ms: number
}

/**
 * The runner's kill for a matrix step: a bound, not a budget. A rollback that can never write
 * waits out its 60 s; on a loaded machine the run around it can take minutes.
 */
export const MATRIX_RUN_MS = 300_000

/** Provisions a stack and starts its proxy. */
export async function openLane(githubApiUrl: string, github?: GitHubStandin): Promise<Lane> {
  const [stack, proxy] = await Promise.all([provisionStack(), startFaultProxy()])
  // Every other strict rule stays on. ELB's read lag after a write makes the number of
  // DescribeRules calls depend on timing, and the matrix places each fault on the Nth call
  // counted in a baseline run; the lag has its own tests (strict-defects.test.ts, D8).
  proxy.strict({ off: ['rule-read-lag'] })
  return {
    stack,
    proxy,
    context: { awsEndpoint: proxy.url, githubApiUrl, credentials: stack.account.credentials },
    rules: [stack.listenerArn, stack.rules.api],
    ...(github ? { github } : {})
  }
}

/** Stops the proxy and the stack's clients. */
export async function closeLane(lane: Lane): Promise<void> {
  lane.stack.aws.destroy()
  await lane.proxy.close()
}

/** The inputs of a matrix run. */
export function matrixInputs(lane: Lane, scenario: Scenario): Record<string, string> {
  return {
    cluster: lane.stack.clusterName,
    services: `${lane.stack.services.blue.name} ${lane.stack.services.green.name}`,
    'listener-rules': lane.rules.join('\n'),
    stages: STAGES[scenario],
    'poll-interval': '250ms',
    alarms: lane.stack.alarmNames.join('\n')
  }
}

/** Runs a clean `scenario` and returns the operations in the order the proxy saw them. */
export async function baseline(lane: Lane, scenario: Scenario): Promise<string[]> {
  await resetLane(lane)
  const run = await startAction(lane.context, {
    inputs: matrixInputs(lane, scenario),
    timeoutMs: MATRIX_RUN_MS
  }).done
  const expected = scenario === 'pause' ? 'paused' : 'promoted'
  if (run.outputs.result !== expected) {
    throw new Error(
      `fault matrix: the clean ${scenario} run ended ${run.outputs.result}:\n${run.stdout}`
    )
  }
  return lane.proxy.calls().map(call => call.operation)
}

/** Runs one case: main with the fault armed, then the post step if main left traffic unsettled. */
export async function runCase(lane: Lane, kase: MatrixCase): Promise<Observation> {
  const started = Date.now()
  await resetLane(lane)
  const observation = await runArmed(lane, kase, started)
  lane.last = {
    rules:
      observation.afterRetry ??
      observation.afterCommands ??
      observation.afterPost ??
      observation.afterMain,
    alarm: kase.scenario === 'alarm'
  }
  return observation
}

async function runArmed(lane: Lane, kase: MatrixCase, started: number): Promise<Observation> {
  const spec: FaultSpec = {
    operation: kase.operation,
    nth: kase.nth,
    times: kase.times === 'once' ? 1 : 'always',
    fault: kase.fault
  }
  if (!kase.afterStage) lane.proxy.inject(spec)
  const handle = startAction(lane.context, {
    inputs: matrixInputs(lane, kase.scenario),
    timeoutMs: MATRIX_RUN_MS
  })
  if (kase.scenario === 'killed') return killedCase(lane, kase, spec, handle, started)
  if (kase.scenario === 'reconcile') {
    return reconcileCase(lane, kase, spec, handle, started, readRules, runCommands)
  }
  let done = handle.done
  if (kase.scenario === 'cancel' && !kase.afterStage) {
    await faultFired(lane.proxy, handle)
    done = handle.cancel()
  }
  if (kase.afterStage) {
    // The stage has started when its line is out; the fault is armed before anything follows.
    const line = new RegExp(`^Stage ${kase.afterStage}/\\d+: `)
    await handle.waitForOutput(line).catch(() => undefined)
    lane.proxy.inject(spec)
    if (kase.scenario === 'alarm') {
      await setAlarm(lane.stack.aws, 'web-5xx', 'ALARM', 'e2e: 5xx count above 5 for 2 minutes')
    } else if (kase.scenario === 'cancel') {
      // A read the bake makes is cancelled while it is failing (or hanging); a restore's calls
      // fail once the cancel has started it.
      if (kase.operation === 'DescribeAlarms') await faultFired(lane.proxy, handle)
      done = handle.cancel()
    }
  }
  const main = await done
  const calls = lane.proxy.calls()
  // "Always" lasts as long as the main step: the post step meets AWS healthy again.
  lane.proxy.clear()
  const afterMain = await readRules(lane)
  if (!main.state.guard || main.state.settled === 'true') {
    return { kase, main, calls, afterMain, ms: Date.now() - started }
  }
  const post = await runPost(lane.context, main)
  const afterPost = await readRules(lane)
  return { kase, main, calls, afterMain, post, afterPost, ms: Date.now() - started }
}

/** Kills main mid-bake, then runs the post step with the fault armed. */
async function killedCase(
  lane: Lane,
  kase: MatrixCase,
  spec: FaultSpec,
  handle: ActionHandle,
  started: number
): Promise<Observation> {
  await handle.waitForOutput(/^Stage 1\/\d+: /).catch(() => undefined)
  handle.kill('SIGKILL')
  const main = await handle.done
  const afterMain = await readRules(lane)
  lane.proxy.reset()
  lane.proxy.inject(spec)
  const post = await runPost(lane.context, main)
  const calls = lane.proxy.calls()
  lane.proxy.clear()
  const afterPost = await readRules(lane)
  const afterCommands = post.code === 0 ? undefined : await runCommands(lane, post.stdout)
  return { kase, main, calls, afterMain, post, afterPost, afterCommands, ms: Date.now() - started }
}

/**
 * Does what the printed commands say, with the SDK straight against moto: each
 * `aws elbv2 modify-rule|modify-listener ... --[default-]actions '<json>'` line.
 */
async function runCommands(lane: Lane, stdout: string): Promise<RuleState[]> {
  const text = stdout.replace(/%0A/g, '\n').replace(/%25/g, '%')
  for (const line of text.split('\n')) {
    const m =
      /aws elbv2 modify-(rule|listener) .*--(?:rule|listener)-arn (\S+) --(?:default-)?actions '(.*)'$/.exec(
        line
      )
    if (!m) continue
    const actions = JSON.parse(m[3].replace(/'\\''/g, "'")) as Action[]
    await writeActions(lane.stack.aws, m[2].replace(/^'|'$/g, ''), actions)
  }
  return readRules(lane)
}

/** Resolves once the proxy has injected the fault, or the step has ended without it. */
async function faultFired(proxy: FaultProxy, handle: ActionHandle): Promise<void> {
  let ended = false
  const end = () => void (ended = true)
  handle.done.then(end, end)
  while (!ended && !proxy.calls().some(call => call.fault)) {
    await new Promise(resolve => setTimeout(resolve, 20))
  }
}

/** Reads every rule's share and tags straight from moto. */
export async function readRules(lane: Lane): Promise<RuleState[]> {
  const { blue, green } = lane.stack.targetGroups
  return Promise.all(
    lane.rules.map(async arn => {
      const [{ weights }, tags] = await Promise.all([
        readWeights(lane.stack.aws, arn),
        readTags(lane.stack.aws, arn)
      ])
      const others = Object.keys(weights).filter(g => g !== blue.arn && g !== green.arn)
      const total = (weights[blue.arn] ?? 0) + (weights[green.arn] ?? 0)
      const greenTenths =
        others.length > 0 || total === 0
          ? -1
          : Math.round(((weights[green.arn] ?? 0) * 1000) / total)
      return { arn, greenTenths, tags }
    })
  )
}

/** Puts the stack back as provisioned: blue live, green scaled to 0, no record, alarms OK. */
export async function resetLane(lane: Lane): Promise<void> {
  const { aws, targetGroups, services, clusterName } = lane.stack
  lane.proxy.clear()
  await Promise.all(
    lane.rules.map(async arn => {
      const known = lane.last?.rules.find(r => r.arn === arn)
      if (known?.greenTenths !== 0) {
        await setWeights(aws, arn, { [targetGroups.blue.arn]: 100, [targetGroups.green.arn]: 0 })
      }
      const tags = known?.tags ?? (await readTags(aws, arn))
      const keys = Object.keys(tags).filter(k => k.startsWith('ecs-canary:'))
      if (keys.length > 0) {
        await aws.elbv2.send(new RemoveTagsCommand({ ResourceArns: [arn], TagKeys: keys }))
      }
    })
  )
  if (!lane.last || lane.last.alarm) await setAlarm(aws, 'web-5xx', 'OK', 'e2e: reset')
  await aws.ecs.send(
    new UpdateServiceCommand({
      cluster: clusterName,
      service: services.green.name,
      desiredCount: 0
    })
  )
  lane.proxy.forgetWrites()
  lane.proxy.reset()
}
