/**
 * The canary service's tasks as ECS shows them while a stage bakes, for the health proxy: moto's
 * services launch no tasks (ListTasks cannot even filter by `serviceName` there, a TODO in
 * moto/ecs/models.py), its running count never moves and it has no stop codes. This timeline
 * answers DescribeServices, ListTasks, DescribeTasks and DescribeTargetHealth for one service as
 * AWS documents them (each rule is a row of support/README.md's health proxy table):
 *
 * - a crash: the running count dips until the replacement runs, a STOPPED task with its
 *   `stopCode`, `stoppedReason`, `stoppedAt` and container exit codes, an event "has stopped 1
 *   running tasks", the crashed task's target `draining`, the replacement's `initial` then
 *   `healthy` (`ecs-crash-loop`, `ecs-stopped-tasks`, `target-replacement`);
 * - the deployment stays COMPLETED with `failedTasks` 0 (`ecs-failed-tasks`, `ecs-rollout-failed`).
 */
import { randomUUID } from 'node:crypto'
import type { Hook } from './health-proxy.js'
import type { FakeTarget } from './health-proxy.js'

/** How a task stops. */
export interface StopSpec {
  stopCode: string
  stoppedReason: string
  exitCode?: number
  /** The container's own reason, e.g. `OutOfMemoryError: Container killed due to memory usage`. */
  containerReason?: string
  /**
   * `replace` (default): the scheduler starts a replacement `replaceMs` after the stop (a dip);
   * `first`: the replacement starts first and the old task stops `replaceMs` later (maintenance);
   * `none`: the desired count drops with the stop (a scale-in).
   */
  replacement?: 'replace' | 'first' | 'none'
  replaceMs?: number
}

interface Task {
  id: string
  ip: string
  /** Date.now() when RUNNING (its target registers then). */
  runningAt: number
  stoppedAt?: number
  stop?: StopSpec
}

/** The timeline's settings. */
export interface EcsTimelineOptions {
  clusterArn: string
  serviceName: string
  /** The canary's revision; by default the PRIMARY deployment's, as DescribeServices shows it. */
  taskDefinitionArn?: string
  /** The canary's tasks running at the start, by their target IP. */
  ips: string[]
  port?: number
  /** How long a new target is `initial` (health check interval × healthy threshold). */
  initialMs?: number
  /** How long a deregistered target is `draining` (deregistration delay). */
  drainingMs?: number
}

/** One service's tasks over time; `hooks()` answers for it. */
export class EcsTimeline {
  private readonly tasks: Task[]
  private readonly events: { id: string; createdAt: number; message: string }[] = []
  private desiredDelta = 0
  private next = 100
  private revision: string | undefined
  private readonly timers = new Set<NodeJS.Timeout>()
  /** Date.now() of each stop, in order. */
  readonly stops: { at: number; taskId: string; spec: StopSpec }[] = []

  constructor(private readonly o: EcsTimelineOptions) {
    this.revision = o.taskDefinitionArn
    this.tasks = o.ips.map(ip => ({ id: taskId(), ip, runningAt: 0 }))
  }

  /** Stops the oldest running task now, as `spec` says, and schedules what ECS does next. */
  stop(spec: StopSpec): string {
    const now = Date.now()
    const victim = this.tasks.find(t => t.stoppedAt === undefined && t.runningAt <= now)
    if (!victim) throw new Error('EcsTimeline: no running task to stop')
    const replaceMs = spec.replaceMs ?? 4_000
    const mode = spec.replacement ?? 'replace'
    const replacement = (at: number) =>
      this.tasks.push({ id: taskId(), ip: `10.0.77.${this.next++}`, runningAt: at })
    if (mode === 'first') {
      replacement(now)
      victim.stoppedAt = now + replaceMs
    } else {
      victim.stoppedAt = now
      if (mode === 'replace') replacement(now + replaceMs)
      else this.desiredDelta--
    }
    victim.stop = spec
    // "(service web-green) has stopped 1 running tasks: (task 0f1e2d…)." once the task stopped.
    const at = victim.stoppedAt
    this.later(at - now, () => {
      this.events.unshift({
        id: randomUUID(),
        createdAt: at,
        message: `(service ${this.o.serviceName}) has stopped 1 running tasks: (task ${victim.id}).`
      })
      this.stops.push({ at, taskId: victim.id, spec })
    })
    return victim.id
  }

  /** A crash every `periodMs` (the first one now), until the returned function is called. */
  crashEvery(periodMs: number, spec: StopSpec): () => void {
    this.stop(spec)
    const timer = setInterval(() => this.stop(spec), periodMs)
    this.timers.add(timer)
    return () => {
      clearInterval(timer)
      this.timers.delete(timer)
    }
  }

  /** Stops every timer. */
  close(): void {
    for (const t of this.timers) clearTimeout(t)
    this.timers.clear()
  }

  /**
   * How many more (or fewer) tasks run at `now` than moto says: fewer between a crash and its
   * replacement, more between a maintenance replacement's start and the old task's stop.
   */
  runningDelta(now = Date.now()): number {
    const running = this.tasks.filter(
      t => t.runningAt <= now && (t.stoppedAt ?? Infinity) > now
    ).length
    return running - (this.o.ips.length + this.desiredDelta)
  }

  /** The targets DescribeTargetHealth shows at `now`. */
  targets(now = Date.now()): FakeTarget[] {
    const { initialMs = 1_500, drainingMs = 3_000, port = 8080 } = this.o
    const out: FakeTarget[] = []
    for (const t of this.tasks) {
      if (t.runningAt > now) continue
      if (t.stoppedAt !== undefined && t.stoppedAt <= now) {
        // "draining: The target is deregistering and connection draining is in process."
        if (now < t.stoppedAt + drainingMs) {
          out.push({ id: t.ip, port, state: 'draining', reason: 'Target.DeregistrationInProgress' })
        }
        continue
      }
      // "initial: The load balancer is registering the target or performing the initial health
      // checks on the target."
      if (t.runningAt > 0 && now < t.runningAt + initialMs) {
        const reason =
          now < t.runningAt + initialMs / 2
            ? 'Elb.RegistrationInProgress'
            : 'Elb.InitialHealthChecking'
        out.push({ id: t.ip, port, state: 'initial', reason })
      } else out.push({ id: t.ip, port, state: 'healthy' })
    }
    return out
  }

  /** Hooks for the health proxy: DescribeServices, ListTasks, DescribeTasks. */
  hooks(): Record<'DescribeServices' | 'ListTasks' | 'DescribeTasks', Hook> {
    return {
      DescribeServices: ({ answer }) => this.describeServices(answer),
      ListTasks: ({ request }) => this.listTasks(request),
      DescribeTasks: ({ request }) => this.describeTasks(request)
    }
  }

  private describeServices(answer: string): string | undefined {
    const out = JSON.parse(answer) as { services?: Record<string, unknown>[] }
    const svc = out.services?.find(s => s.serviceName === this.o.serviceName)
    if (!svc) return undefined
    const now = Date.now()
    // moto's counts (its tasks never stop) moved by what this timeline did to them.
    const desired = Math.max(0, Number(svc.desiredCount ?? 0) + this.desiredDelta)
    const running = Math.max(
      0,
      Number(svc.runningCount ?? 0) + this.desiredDelta + this.runningDelta(now)
    )
    svc.desiredCount = desired
    svc.runningCount = running
    for (const d of (svc.deployments ?? []) as Record<string, unknown>[]) {
      if (d.status !== 'PRIMARY') continue
      this.revision ??= typeof d.taskDefinition === 'string' ? d.taskDefinition : undefined
      d.desiredCount = desired
      d.runningCount = running
      // The deployment is COMPLETED: "Once a service deployment has one or more successfully
      // running tasks, the failed task count resets to zero and stops being evaluated."
      d.failedTasks = 0
    }
    const events = (svc.events ?? []) as Record<string, unknown>[]
    svc.events = [
      ...this.events
        .filter(e => e.createdAt <= now)
        .map(e => ({ id: e.id, createdAt: e.createdAt / 1000, message: e.message })),
      ...events
    ]
    return JSON.stringify(out)
  }

  private stopped(now = Date.now()): Task[] {
    return this.tasks
      .filter(t => t.stoppedAt !== undefined && t.stoppedAt <= now)
      .sort((a, b) => (b.stoppedAt ?? 0) - (a.stoppedAt ?? 0))
  }

  private arn(t: Task): string {
    return `${this.o.clusterArn.replace(':cluster/', ':task/')}/${t.id}`
  }

  private listTasks(request: string): string | undefined {
    const r = JSON.parse(request) as {
      serviceName?: string
      desiredStatus?: string
      maxResults?: number
    }
    // "Specifying a `desiredStatus` of `STOPPED` limits the results to tasks that Amazon ECS has
    // set the desired status to `STOPPED`"; "Specifying a `serviceName` limits the results to
    // tasks that belong to that service."
    if (r.desiredStatus !== 'STOPPED' || r.serviceName !== this.o.serviceName) return undefined
    const arns = this.stopped().map(t => this.arn(t))
    return JSON.stringify({ taskArns: arns.slice(0, r.maxResults ?? 100) })
  }

  private describeTasks(request: string): string | undefined {
    const asked = (JSON.parse(request) as { tasks?: string[] }).tasks ?? []
    const found = this.stopped().filter(t => asked.includes(this.arn(t)))
    if (found.length === 0) return undefined
    return JSON.stringify({
      tasks: found.map(t => ({
        taskArn: this.arn(t),
        clusterArn: this.o.clusterArn,
        taskDefinitionArn: this.revision ?? '',
        group: `service:${this.o.serviceName}`,
        lastStatus: 'STOPPED',
        desiredStatus: 'STOPPED',
        stopCode: t.stop?.stopCode,
        stoppedReason: t.stop?.stoppedReason,
        stoppingAt: (t.stoppedAt ?? 0) / 1000,
        stoppedAt: (t.stoppedAt ?? 0) / 1000,
        containers: [
          {
            name: 'web',
            lastStatus: 'STOPPED',
            ...(t.stop?.exitCode !== undefined ? { exitCode: t.stop.exitCode } : {}),
            ...(t.stop?.containerReason ? { reason: t.stop.containerReason } : {})
          }
        ]
      })),
      failures: []
    })
  }

  private later(ms: number, run: () => void): void {
    if (ms <= 0) return run()
    const timer = setTimeout(() => {
      this.timers.delete(timer)
      run()
    }, ms)
    this.timers.add(timer)
  }
}

function taskId(): string {
  return randomUUID().replace(/-/g, '')
}
