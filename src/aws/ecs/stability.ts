/**
 * Waiting for an ECS service to become stable, and the verdict on each look: complete, still
 * going, or failed (the circuit breaker, a replaced deployment, the cap), with ECS's events.
 */
import type { Deployment, Service } from '@aws-sdk/client-ecs'
import { Input } from '../../names.js'
import { formatDuration } from '../../engine/plan.js'
import type { Clock, Log } from '../../engine/types.js'

/** How `waitStable` waits. */
export interface WaitOptions {
  readonly intervalMs: number
  readonly timeoutMs: number
  readonly signal?: AbortSignal
  /** The deployment `updateIdle` started: waiting follows it, not whatever is primary later. */
  readonly deploymentId?: string
}

/**
 * Polls the service every `intervalMs` until its deployment is complete and every task runs.
 * A rollout ECS marks FAILED (the circuit breaker gave up) throws with ECS's reason; so does a
 * deployment replaced by another, and the cap. Each message carries the latest events.
 */
export async function waitStable(
  describe: (service: string) => Promise<Service>,
  deps: { readonly clock: Clock; readonly log: Log },
  service: string,
  opts: WaitOptions
): Promise<void> {
  const { clock, log } = deps
  const started = clock.now()
  for (;;) {
    if (opts.signal?.aborted) throw cancelled(service)
    const svc = await describe(service)
    const elapsed = clock.now() - started
    const verdict = judge(svc, opts.deploymentId)
    log.info(
      `${service}: ${verdict.progress} (${clockText(elapsed)} of ${clockText(opts.timeoutMs)})`
    )
    if (verdict.failure) {
      throw new Error(`${verdict.failure}\n${eventsText(svc)}`)
    }
    if (verdict.stable) return
    if (elapsed >= opts.timeoutMs) {
      throw new Error(
        `Service '${service}' did not become stable within ${clockText(opts.timeoutMs)} ` +
          `(${verdict.progress}). If it only needs longer, raise '${Input.serviceTimeout}'.\n` +
          eventsText(svc)
      )
    }
    await clock.sleep(Math.min(opts.intervalMs, opts.timeoutMs - elapsed), opts.signal)
  }
}

/** One look at a service: done, still going, or failed and why. */
export interface Verdict {
  readonly stable: boolean
  readonly failure?: string
  readonly progress: string
}

/** Where the followed deployment stands. Pure, so the wait loop stays a loop. */
export function judge(svc: Service, deploymentId: string | undefined): Verdict {
  const name = svc.serviceName ?? ''
  const deployments = svc.deployments ?? []
  const primary = deployments.find(d => d.status === 'PRIMARY')
  const followed = deploymentId ? deployments.find(d => d.id === deploymentId) : primary
  const progress = progressText(svc, followed ?? primary)
  if (followed?.rolloutState === 'FAILED') {
    const reason = followed.rolloutStateReason ?? 'ECS gave no reason'
    return {
      stable: false,
      progress,
      failure: `Deployment ${followed.id} of service '${name}' failed: ${reason}`
    }
  }
  // No primary at all yet: nothing to judge, keep polling until the cap.
  if (!followed && !deploymentId) return { stable: false, progress }
  if (!followed || followed.status !== 'PRIMARY') {
    const now = primary ? `${primary.id} (${primary.taskDefinition})` : 'none'
    return {
      stable: false,
      progress,
      failure:
        `Deployment ${deploymentId} of service '${name}' is no longer the primary one ` +
        `(primary now: ${now}): it was rolled back or replaced by another deployment.`
    }
  }
  // Without rolloutState (older APIs, emulators), fall back to what the SDK waiter checks.
  const settled = followed.rolloutState === undefined || followed.rolloutState === 'COMPLETED'
  const stable = settled && deployments.length === 1 && svc.runningCount === svc.desiredCount
  return { stable, progress }
}

function progressText(svc: Service, d: Deployment | undefined): string {
  const running = d?.runningCount ?? svc.runningCount ?? 0
  const desired = d?.desiredCount ?? svc.desiredCount ?? 0
  const rollout = d?.rolloutState
    ? `rollout ${d.rolloutState}`
    : `${svc.deployments?.length ?? 0} deployment(s)`
  const failed = d?.failedTasks ? `, ${d.failedTasks} failed task(s)` : ''
  return `${running}/${desired} running, ${rollout}${failed}`
}

/** The latest five events, newest first: where ECS says why tasks do not start. */
export function eventsText(svc: Service): string {
  const events = [...(svc.events ?? [])]
    .sort((a, b) => (b.createdAt?.getTime() ?? 0) - (a.createdAt?.getTime() ?? 0))
    .slice(0, 5)
  // Still point at where the answer will appear: a new service's first events can lag the wait.
  if (events.length === 0) {
    return (
      `Service '${svc.serviceName}' has no events yet: look at the service's events and its ` +
      `stopped tasks' reasons in the ECS console.`
    )
  }
  const lines = events.map(
    e => `  ${e.createdAt?.toISOString().replace(/\.\d+Z$/, 'Z') ?? '?'} ${e.message}`
  )
  return `Latest events of service '${svc.serviceName}' (see also its stopped tasks' reasons):\n${lines.join('\n')}`
}

function clockText(ms: number): string {
  return ms < 1000 ? '0s' : formatDuration(Math.floor(ms / 1000) * 1000)
}

function cancelled(service: string): Error {
  const error = new Error(
    `Stopped waiting for service '${service}' to become stable: the run was cancelled.`
  )
  error.name = 'AbortError'
  return error
}
