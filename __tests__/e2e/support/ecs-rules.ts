/**
 * The health proxy's answers checked against what ECS documents, answer by answer. The proxy
 * records each violation (`HealthProxy.violations()`); the e2e tests and the stand-in's unit test
 * expect none. Each rule quotes its sentence (also in support/README.md's health proxy table).
 */

/** Stop codes the SDK's `TaskStopCode` enum lists. */
const STOP_CODES = new Set([
  'EssentialContainerExited',
  'InfrastructureHealth',
  'ServiceSchedulerInitiated',
  'SpotInterruption',
  'TaskFailedToStart',
  'TerminationNotice',
  'UserInitiated'
])

interface Deployment {
  id?: string
  status?: string
  rolloutState?: string
  failedTasks?: number
  runningCount?: number
}

/** Remembers each deployment's rollout state across answers, to check its transitions. */
export class EcsRules {
  private readonly states = new Map<string, string>()

  /** What is wrong with one DescribeServices answer (JSON), given the earlier ones. */
  services(answer: string): string[] {
    const out = JSON.parse(answer) as { services?: { deployments?: Deployment[] }[] }
    const wrong: string[] = []
    for (const d of (out.services ?? []).flatMap(s => s.deployments ?? [])) {
      const id = d.id ?? '?'
      // ecs-failed-tasks: "Once a service deployment has one or more successfully running tasks,
      // the failed task count resets to zero and stops being evaluated." (Deployment.failedTasks)
      if (
        (d.failedTasks ?? 0) > 0 &&
        ((d.runningCount ?? 0) > 0 || d.rolloutState === 'COMPLETED')
      ) {
        wrong.push(
          `ecs-failed-tasks: deployment ${id} reports failedTasks ${d.failedTasks} with ${d.runningCount ?? 0} running task(s), rolloutState ${d.rolloutState}`
        )
      }
      // ecs-rollout-failed: "When a service deployment is started, it begins in an `IN_PROGRESS`
      // state. When the service reaches a steady state, the deployment transitions to a
      // `COMPLETED` state. If the service fails to reach a steady state and circuit breaker is
      // turned on, the deployment transitions to a `FAILED` state." (Deployment.rolloutState)
      const before = this.states.get(id)
      if (
        d.rolloutState === 'FAILED' &&
        before !== undefined &&
        before !== 'IN_PROGRESS' &&
        before !== 'FAILED'
      ) {
        wrong.push(`ecs-rollout-failed: deployment ${id} went ${before} → FAILED`)
      }
      if (d.rolloutState) this.states.set(id, d.rolloutState)
    }
    return wrong
  }
}

/** What is wrong with one DescribeTasks answer (JSON): stopped tasks must say why and when. */
export function stoppedTaskViolations(answer: string): string[] {
  const out = JSON.parse(answer) as {
    tasks?: { taskArn?: string; lastStatus?: string; stopCode?: string; stoppedAt?: number }[]
  }
  const wrong: string[] = []
  for (const t of out.tasks ?? []) {
    if (t.lastStatus !== 'STOPPED') continue
    // ecs-stopped-tasks: "The stop code indicating why a task was stopped." (Task.stopCode);
    // stoppedAt: "the time when the task transitioned from the `RUNNING` state to the `STOPPED`
    // state" (Task.stoppedAt).
    if (t.stopCode !== undefined && !STOP_CODES.has(t.stopCode)) {
      wrong.push(
        `ecs-stopped-tasks: task ${t.taskArn} has stopCode ${t.stopCode}, not one of TaskStopCode`
      )
    }
    if (t.stoppedAt === undefined)
      wrong.push(`ecs-stopped-tasks: task ${t.taskArn} STOPPED without stoppedAt`)
  }
  return wrong
}
