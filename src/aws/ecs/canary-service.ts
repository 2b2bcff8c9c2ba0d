/**
 * The health gate's read of the canary's ECS service: counts, deployments and latest events, and,
 * when those point at a stop, its stopped tasks with their stop codes and exit codes.
 */
import {
  DescribeServicesCommand,
  DescribeTasksCommand,
  ListTasksCommand
} from '@aws-sdk/client-ecs'
import type { ECSClient } from '@aws-sdk/client-ecs'
import type { CanaryService, StoppedTask } from '../../engine/health.js'

/** Stopped tasks looked at for their reasons: ECS lists the newest first, a few say enough. */
const STOPPED_TASKS = 5

/** The canary service, read with the action's ECS client. */
export class EcsCanaryService {
  constructor(
    private readonly ecs: ECSClient,
    private readonly cluster: string,
    private readonly service: string
  ) {}

  /** One DescribeServices of the canary service: counts, deployments and latest events. */
  async canary(): Promise<CanaryService> {
    let out
    try {
      out = await this.ecs.send(
        new DescribeServicesCommand({ cluster: this.cluster, services: [this.service] })
      )
    } catch (error) {
      throw failed('DescribeServices', `service ${this.service}`, error)
    }
    const svc = out.services?.find(
      s => s.serviceName === this.service || s.serviceArn === this.service
    )
    if (!svc) {
      throw new Error(
        `DescribeServices found no service '${this.service}' in cluster '${this.cluster}' while baking: was it deleted?`
      )
    }
    return {
      name: svc.serviceName ?? this.service,
      desiredCount: svc.desiredCount ?? 0,
      runningCount: svc.runningCount ?? 0,
      deployments: (svc.deployments ?? []).map(d => ({
        id: d.id ?? '?',
        status: d.status ?? '?',
        taskDefinition: d.taskDefinition ?? '',
        failedTasks: d.failedTasks ?? 0,
        ...(d.rolloutState ? { rolloutState: d.rolloutState } : {}),
        ...(d.rolloutStateReason ? { rolloutStateReason: d.rolloutStateReason } : {})
      })),
      events: [...(svc.events ?? [])]
        .sort((a, b) => (b.createdAt?.getTime() ?? 0) - (a.createdAt?.getTime() ?? 0))
        .slice(0, 5)
        .map(e => ({
          at: e.createdAt?.toISOString().replace(/\.\d+Z$/, 'Z') ?? '?',
          message: e.message ?? ''
        }))
    }
  }

  /**
   * The service's most recently stopped tasks with their stop codes, reasons and exit codes: a
   * ListTasks and a DescribeTasks. "Specifying a `desiredStatus` of `STOPPED` limits the results
   * to tasks that Amazon ECS has set the desired status to `STOPPED`" and "Specifying a
   * `serviceName` limits the results to tasks that belong to that service" (ListTasksRequest).
   */
  async stoppedTasks(): Promise<StoppedTask[]> {
    const where = `service ${this.service}`
    let listed
    try {
      listed = await this.ecs.send(
        new ListTasksCommand({
          cluster: this.cluster,
          serviceName: this.service,
          desiredStatus: 'STOPPED',
          maxResults: STOPPED_TASKS
        })
      )
    } catch (error) {
      throw stopReadFailed('ListTasks', where, error)
    }
    const arns = listed.taskArns ?? []
    if (arns.length === 0) return []
    let out
    try {
      out = await this.ecs.send(new DescribeTasksCommand({ cluster: this.cluster, tasks: arns }))
    } catch (error) {
      throw stopReadFailed('DescribeTasks', where, error)
    }
    return (out.tasks ?? []).map(t => ({
      id: (t.taskArn ?? '?').split('/').at(-1) ?? '?',
      taskDefinition: t.taskDefinitionArn ?? '',
      stoppedReason: t.stoppedReason ?? '',
      ...(t.stopCode ? { stopCode: t.stopCode } : {}),
      ...(t.stoppedAt ? { stoppedAt: t.stoppedAt.getTime() } : {}),
      containers: (t.containers ?? []).map(c => ({
        name: c.name ?? '?',
        ...(c.exitCode !== undefined ? { exitCode: c.exitCode } : {}),
        ...(c.reason ? { reason: c.reason } : {})
      }))
    }))
  }
}

function failed(call: string, what: string, error: unknown): Error {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error)
  return new Error(`health gate: ${call} of ${what} failed: ${text}`, { cause: error })
}

/** `ListTasks failed for service web-green: AccessDeniedException: …`: the call comes first. */
function stopReadFailed(call: string, what: string, error: unknown): Error {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error)
  return new Error(`${call} failed for ${what}: ${text}`, { cause: error })
}
