/**
 * A lane: one stack in its own moto account, with its own counting proxy, so that rollouts in
 * different lanes run side by side without seeing each other's resources or calls.
 */
import { startFaultProxy } from '../__tests__/e2e/support/fault-proxy.js'
import type { FaultProxy } from '../__tests__/e2e/support/fault-proxy.js'
import { provisionStack, readWeights, setAlarm } from '../__tests__/e2e/support/fixture.js'
import type { Stack } from '../__tests__/e2e/support/fixture.js'
import type { GitHubStandin } from '../__tests__/e2e/support/github-standin.js'
import type { ActionHandle, RunContext } from '../__tests__/e2e/support/runner.js'

/** A provisioned stack and the way to run the action against it. */
export interface Lane {
  stack: Stack
  proxy: FaultProxy
  context: RunContext
  close(): Promise<void>
}

/** Provisions a stack in a fresh account and starts a proxy in front of moto for it. */
export async function openLane(github: GitHubStandin): Promise<Lane> {
  const stack = await provisionStack()
  const proxy = await startFaultProxy()
  return {
    stack,
    proxy,
    context: {
      awsEndpoint: proxy.url,
      githubApiUrl: github.url,
      credentials: stack.account.credentials
    },
    async close() {
      stack.aws.destroy()
      await proxy.close()
    }
  }
}

/** The rules a run moves: the /api/* rule alone, or the listener's default action too. */
export function rulesOf(stack: Stack, count: 1 | 2): string[] {
  return count === 1 ? [stack.rules.api] : [stack.rules.api, stack.listenerArn]
}

/** A deploy's inputs against the lane's stack, both alarms watched. */
export function deployInputs(
  stack: Stack,
  rules: readonly string[],
  extra: Record<string, string>
): Record<string, string> {
  return {
    cluster: stack.clusterName,
    services: `${stack.services.blue.name} ${stack.services.green.name}`,
    'listener-rules': rules.join(' '),
    alarms: stack.alarmNames.join(' '),
    ...extra
  }
}

/** Every alarm of the stack back to OK, so the next rollout in the lane can start. */
export async function calmAlarms(stack: Stack): Promise<void> {
  for (const name of stack.alarmNames) await setAlarm(stack.aws, name, 'OK', 'bench: reset')
}

/** Whether every rule reads 100% on the service that does not carry `idleGroup`. */
export async function allOnLive(stack: Stack, rules: readonly string[], idleGroup: string) {
  const views = await Promise.all(rules.map(rule => readWeights(stack.aws, rule)))
  return views.every(view => {
    const total = Object.values(view.weights).reduce((a, b) => a + b, 0)
    return total > 0 && (view.weights[idleGroup] ?? 0) === 0
  })
}

/** How many runs in a row a lane lets end before their first stage, refused, before it gives up. */
const REFUSALS_IN_A_ROW = 5

/**
 * Waits until `run` has started its first stage. On a loaded machine a pre-flight read can
 * outlast the SDK's request timeout and the run rightly refuses, moving nothing: that is no
 * trial, so it answers false (the caller starts another), up to REFUSALS_IN_A_ROW in a row.
 * Anything else that ends the run first throws.
 */
export async function stageStarted(run: ActionHandle, refusedSoFar: number): Promise<boolean> {
  const started = await run.waitForOutput(/^Stage 1\/\d+: /, 120_000).then(
    () => true,
    () => false
  )
  if (started) return true
  const result = await run.done
  if (result.outputs.result !== 'unchanged' || refusedSoFar + 1 >= REFUSALS_IN_A_ROW) {
    throw new Error(
      `bench: the run never reached stage 1 (${result.outputs.result}): ${result.stdout}`
    )
  }
  const reason = (result.outputs.reason ?? '').split('\n')[0].slice(0, 200)
  console.error(`bench: a run was refused before any write, trying again: ${reason}`)
  return false
}

/** Lets one lane at a time into a critical section, in arrival order. */
export class Mutex {
  private tail: Promise<void> = Promise.resolve()

  /** Runs `work` once every earlier caller's work has finished. */
  run<T>(work: () => Promise<T>): Promise<T> {
    const result = this.tail.then(work)
    this.tail = result.then(
      () => undefined,
      () => undefined
    )
    return result
  }
}
