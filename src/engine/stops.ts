/**
 * Which stopped tasks are the canary's fault. ECS says why it stopped a task in `stopCode`:
 * "The stop code indicating why a task was stopped. The `stoppedReason` might contain additional
 * details." (API reference, Task.stopCode). The codes are the SDK's `TaskStopCode` enum:
 * EssentialContainerExited, TaskFailedToStart, ServiceSchedulerInitiated, SpotInterruption,
 * TerminationNotice, UserInitiated, InfrastructureHealth.
 */
/** A stopped task and why it stopped (DescribeTasks). */
export interface StoppedTask {
  readonly id: string
  readonly taskDefinition: string
  readonly stoppedReason: string
  readonly stopCode?: string
  /** Epoch ms: "the time when the task transitioned from the `RUNNING` state to the `STOPPED` state" (Task.stoppedAt). */
  readonly stoppedAt?: number
  readonly containers: readonly {
    readonly name: string
    readonly exitCode?: number
    readonly reason?: string
  }[]
}

/**
 * Codes that say the task itself failed:
 * - `EssentialContainerExited`: "If the essential parameter of a container is marked as true and
 *   that container fails or stops for any reason, then all other containers that are part of that
 *   task are stopped" (ECS knowledge center, "Why is my Amazon ECS task stopped?"); a container
 *   killed for running out of memory stops its task the same way (container reason
 *   `OutOfMemoryError`).
 * - `TaskFailedToStart`: the task never reached RUNNING (image pull, secrets, ENI); ECS counts
 *   such a task as failed: "A task is considered a failure if the service scheduler can't launch
 *   the task, the task doesn't transition to a `RUNNING` state, …" (Deployment.failedTasks).
 */
const CANARY_FAULT = new Set(['EssentialContainerExited', 'TaskFailedToStart'])

/**
 * Codes that say someone else stopped a healthy task: the scheduler (scale-in, a deployment, a
 * replacement for maintenance: `ServiceSchedulerInitiated`; the scheduler "replace[s] unhealthy
 * tasks by starting replacement tasks first and then stopping the unhealthy tasks",
 * DeploymentConfiguration.maximumPercent), a Spot interruption (`SpotInterruption`: the ECS
 * guide's task state change events name a FARGATE_SPOT task stopped by a Spot interruption), the
 * host going away (`TerminationNotice`, `InfrastructureHealth`: the SDK's `TaskStopCode` enum,
 * no more said), or whoever called StopTask or scaled the service (`UserInitiated`).
 */
const NOT_CANARY_FAULT = new Set([
  'ServiceSchedulerInitiated',
  'SpotInterruption',
  'TerminationNotice',
  'InfrastructureHealth',
  'UserInitiated'
])

/**
 * The scheduler also stops a task that fails its health checks, with `ServiceSchedulerInitiated`:
 * "Task failed ELB health checks", "Task failed container health checks" (knowledge center, the
 * stopped reasons). Those are the canary's fault.
 */
const FAILED_CHECKS = /failed (container|ELB|elb|load balancer) health checks/i

/** Stopped reasons that name a failure when the stop code is missing or new to this action. */
const FAILURE_REASON = /Essential container in task exited|health checks|OutOfMemory|CannotPull/i

/** Whether a stopped task is the canary's own failure. */
export function isCanaryFault(task: StoppedTask): boolean {
  const code = task.stopCode ?? ''
  if (CANARY_FAULT.has(code)) return true
  if (code === 'ServiceSchedulerInitiated') return FAILED_CHECKS.test(task.stoppedReason)
  if (NOT_CANARY_FAULT.has(code)) return false
  return FAILURE_REASON.test(task.stoppedReason)
}

/** `task 0f1e (web:7) stopped: EssentialContainerExited, Essential container … exited, app exit code 1`. */
export function stopLine(task: StoppedTask, revision: (arn: string) => string): string {
  const exits = task.containers
    .filter(c => c.exitCode !== undefined || c.reason)
    .map(c => `${c.name} exit code ${c.exitCode ?? '?'}${c.reason ? ` (${c.reason})` : ''}`)
  const why = [task.stopCode, task.stoppedReason].filter(Boolean).join(', ') || 'no reason given'
  return `task ${task.id} (${revision(task.taskDefinition)}) stopped: ${why}${exits.length > 0 ? `, ${exits.join(', ')}` : ''}`
}

/** The event ECS posts when it stops a running task of a service. */
export const STOPPED_EVENT = /has stopped \d+ running tasks?/
