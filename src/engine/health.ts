/**
 * The health gate's rules: what in the canary's target health and ECS service means "broken
 * now". Pure: it remembers earlier reads (streaks, baselines, since-when) but does no I/O.
 *
 * What trips it, precisely:
 * - a task of the canary's revision that stopped, after the gate began, for a reason of its own
 *   (`isCanaryFault`: an essential container exited, the task failed to start or its health
 *   checks, it ran out of memory), at the read that first sees it;
 * - a target `unhealthy` on two reads in a row (one read can catch a single failed check);
 * - fewer healthy-or-`initial` targets than the canary service's desired count (at least 1)
 *   for longer than a task start takes (`startGraceMs`): `initial` is a replacement on its way,
 *   `draining` a target on its way out (ECS replacing a task, a scale-in), neither a failure;
 * - the service's running count below its desired count for longer than `startGraceMs`
 *   (`scaleUpGraceMs` while the desired count has risen and the tasks are not all there yet);
 * - a deployment's `failedTasks` rising above what it was when the gate first saw it;
 * - a deployment whose `rolloutState` is `FAILED` (the circuit breaker gave up on it).
 *
 * The last two only happen before a deployment is COMPLETED: "Once a service deployment has one
 * or more successfully running tasks, the failed task count resets to zero and stops being
 * evaluated" (Deployment.failedTasks), and "If the service fails to reach a steady state and
 * circuit breaker is turned on, the deployment transitions to a `FAILED` state"
 * (Deployment.rolloutState). A stage bakes only after its deployment is COMPLETED, so a canary
 * that crashes while baking shows as stopped tasks, running-count dips and "has stopped N running
 * tasks" events, never as either of them.
 */
import { parseArnOf } from '../arn.js'
import { isCanaryFault, STOPPED_EVENT, stopLine, type StoppedTask } from './stops.js'

export type { StoppedTask } from './stops.js'

/** One registered target as DescribeTargetHealth reports it. */
export interface TargetState {
  /** `10.0.1.5:8080` or `i-0abc:80`. */
  readonly id: string
  /** `initial`, `healthy`, `unhealthy`, `unhealthy.draining`, `unused`, `draining`, `unavailable`. */
  readonly state: string
  /** ELB's reason code, e.g. `Target.ResponseCodeMismatch`. */
  readonly reason?: string
  readonly description?: string
}

/** One deployment of the canary service. */
export interface CanaryDeployment {
  readonly id: string
  readonly status: string
  readonly taskDefinition: string
  readonly failedTasks: number
  readonly rolloutState?: string
  readonly rolloutStateReason?: string
}

/** The canary ECS service as DescribeServices reports it. */
export interface CanaryService {
  readonly name: string
  readonly desiredCount: number
  readonly runningCount: number
  readonly deployments: readonly CanaryDeployment[]
  /** The latest events, newest first. */
  readonly events: readonly { readonly at: string; readonly message: string }[]
}

/** What the health gate reads; each call is one AWS request. */
export interface HealthReader {
  targets(): Promise<TargetState[]>
  canary(): Promise<CanaryService>
  /**
   * The service's latest stopped tasks (ListTasks `desiredStatus: STOPPED`, DescribeTasks): read
   * when the service shows a stop (`HealthJudge.wantsStops`), and to say why tasks went missing.
   */
  stoppedTasks(): Promise<StoppedTask[]>
}

/** One judgement: a failure (targets or tasks) or none, and the heartbeat line. */
export interface HealthVerdict {
  readonly failure?: {
    /** `stopped`: a task stopped for its own fault (the reason already names it). */
    readonly kind: 'targets' | 'tasks' | 'stopped'
    readonly reason: string
  }
  readonly detail: string
}

/** Targets on their way out: the load balancer sends them no new requests. */
const LEAVING = new Set(['draining', 'unhealthy.draining'])

/** Remembers what it needs across reads of one canary service. */
export class HealthJudge {
  private readonly streaks = new Map<string, number>()
  private readonly baselines = new Map<string, number>()
  private seenOnce = false
  private targetsShortSince: number | undefined
  private tasksShortSince: number | undefined
  private since: number | undefined
  private lastDesired: number | undefined
  private scalingUp = false
  private readonly seenEvents = new Set<string>()
  private readonly seenStops = new Set<string>()

  /**
   * `startGraceMs`: how long a missing task or target may take to come (a task start).
   * `scaleUpGraceMs`: the same while the desired count has risen (a `follow` scale-up).
   */
  constructor(
    private readonly startGraceMs: number,
    private readonly scaleUpGraceMs: number = startGraceMs
  ) {}

  /**
   * Whether this DescribeServices answer points at a stop, so the stopped tasks are worth a
   * ListTasks and a DescribeTasks: fewer tasks running than desired, or an event "has stopped N
   * running tasks" the gate has not seen before (at the first read: one from after `now - 60 s`).
   * Reading them only then keeps a rollout at one ECS read per poll while nothing stops.
   */
  wantsStops(svc: CanaryService, now: number): boolean {
    if (svc.runningCount < svc.desiredCount) return true
    const first = this.since === undefined
    return svc.events.some(
      e =>
        STOPPED_EVENT.test(e.message) &&
        !this.seenEvents.has(eventKey(e)) &&
        (!first || Date.parse(e.at) >= now - 60_000)
    )
  }

  /**
   * Judges one pair of reads taken at `now` (epoch ms), and the stopped tasks when they were
   * read with them.
   */
  judge(
    targets: readonly TargetState[],
    svc: CanaryService,
    now: number,
    stopped?: readonly StoppedTask[]
  ): HealthVerdict {
    this.since ??= now
    for (const e of svc.events) this.seenEvents.add(eventKey(e))
    if (this.lastDesired !== undefined && svc.desiredCount > this.lastDesired) {
      this.scalingUp = true
    }
    if (svc.runningCount >= svc.desiredCount) this.scalingUp = false
    this.lastDesired = svc.desiredCount
    const crashed = stopped ? this.crashes(svc, stopped) : undefined
    const need = Math.max(svc.desiredCount, 1)
    const present = targets.filter(t => !LEAVING.has(t.state))
    const healthy = present.filter(t => t.state === 'healthy').length
    const initial = present.filter(t => t.state === 'initial').length
    const leaving = targets.length - present.length
    // `health OK` when nothing is moving, so the status and the summary stay short (an entry
    // ending in OK reads as fine there); the counts whenever anything is on its way in or out.
    const settled =
      healthy >= need && initial === 0 && leaving === 0 && svc.runningCount >= svc.desiredCount
    const detail = settled
      ? 'health OK'
      : `health: ${healthy}/${need} targets healthy` +
        (initial > 0 ? `, ${initial} initial` : '') +
        (leaving > 0 ? `, ${leaving} draining` : '') +
        ` · ${svc.runningCount}/${svc.desiredCount} tasks running`

    const tasks = this.taskFailure(svc, now)
    const target = this.targetFailure(present, healthy + initial, need, svc.name, now)
    if (crashed) {
      const reason = [crashed, target, tasks].filter(Boolean).join('; ')
      return { failure: { kind: 'stopped', reason }, detail }
    }
    if (!tasks && !target) return { detail }
    const reason = [target, tasks].filter(Boolean).join('; ')
    return { failure: { kind: tasks ? 'tasks' : 'targets', reason }, detail }
  }

  /**
   * The canary's own failures among stopped tasks not judged before: of a revision the service
   * deploys, stopped since the gate's first read (a crash from before the bake is not this
   * stage's), for a reason of their own.
   */
  private crashes(svc: CanaryService, stopped: readonly StoppedTask[]): string | undefined {
    const revisions = new Set(svc.deployments.map(d => d.taskDefinition))
    const since = (this.since ?? 0) - CLOCK_SLACK_MS
    const fresh = stopped.filter(
      t =>
        !this.seenStops.has(t.id) &&
        revisions.has(t.taskDefinition) &&
        (t.stoppedAt === undefined || t.stoppedAt >= since)
    )
    for (const t of stopped) this.seenStops.add(t.id)
    const failed = fresh.filter(isCanaryFault)
    if (failed.length === 0) return undefined
    const running = `${svc.runningCount}/${svc.desiredCount} tasks running`
    return `the canary service ${svc.name} stopped ${failed.length} task(s) of its own fault (${running}): ${failed.map(t => stopLine(t, revision)).join('; ')}${eventsText(svc)}`
  }

  /** A slow scale-up is not a broken canary: it gets `scaleUpGraceMs`. */
  private grace(): number {
    return this.scalingUp ? Math.max(this.scaleUpGraceMs, this.startGraceMs) : this.startGraceMs
  }

  private taskFailure(svc: CanaryService, now: number): string | undefined {
    const failedRollout = svc.deployments.find(d => d.rolloutState === 'FAILED')
    const rising: string[] = []
    for (const d of svc.deployments) {
      // A deployment already there at the first read starts from what it had; one that appears
      // later started from nothing.
      const base = this.baselines.get(d.id) ?? (this.seenOnce ? 0 : d.failedTasks)
      this.baselines.set(d.id, base)
      if (d.failedTasks > base) {
        rising.push(
          `${d.failedTasks - base} task(s) of deployment ${d.id} (${revision(d.taskDefinition)}) failed (failedTasks ${base} → ${d.failedTasks})`
        )
      }
    }
    this.seenOnce = true
    this.tasksShortSince =
      svc.runningCount < svc.desiredCount ? (this.tasksShortSince ?? now) : undefined
    const shortMs = now - (this.tasksShortSince ?? now)
    const grace = this.grace()
    const short =
      shortMs > grace
        ? `only ${svc.runningCount} of ${svc.desiredCount} tasks running for ${seconds(shortMs)}, longer than ${this.scalingUp ? 'a scale-up may take' : 'a task start may take'} (${seconds(grace)})`
        : undefined
    const what = [
      failedRollout &&
        `ECS marked deployment ${failedRollout.id} (${revision(failedRollout.taskDefinition)}) FAILED: ${failedRollout.rolloutStateReason ?? 'no reason given'}`,
      ...rising,
      short
    ].filter(Boolean)
    if (what.length === 0) return undefined
    return `the canary service ${svc.name} is losing tasks: ${what.join('; ')}${eventsText(svc)}`
  }

  private targetFailure(
    present: readonly TargetState[],
    coming: number,
    need: number,
    service: string,
    now: number
  ): string | undefined {
    const ids = new Set(present.map(t => t.id))
    for (const id of [...this.streaks.keys()]) if (!ids.has(id)) this.streaks.delete(id)
    const failing: TargetState[] = []
    for (const t of present) {
      const streak = t.state === 'unhealthy' ? (this.streaks.get(t.id) ?? 0) + 1 : 0
      this.streaks.set(t.id, streak)
      if (streak >= 2) failing.push(t)
    }
    if (failing.length > 0) {
      return `${failing.length} of ${present.length} canary target(s) unhealthy on two reads in a row: ${failing.map(targetText).join('; ')}`
    }
    this.targetsShortSince = coming < need ? (this.targetsShortSince ?? now) : undefined
    const shortMs = now - (this.targetsShortSince ?? now)
    if (shortMs > this.grace()) {
      const states = present.map(targetText).join('; ') || 'none registered'
      return `the canary's target group has ${coming} healthy or starting target(s), fewer than the ${need} ${service} needs, for ${seconds(shortMs)}: ${states}`
    }
    return undefined
  }
}

/** How far ECS's clock (stoppedAt) may run behind the runner's before a stop is missed. */
const CLOCK_SLACK_MS = 5_000

function eventKey(e: { readonly at: string; readonly message: string }): string {
  return `${e.at} ${e.message}`
}

/** Appends why the latest tasks stopped, for the reason of a `tasks` failure. */
export function stoppedText(tasks: readonly StoppedTask[]): string {
  if (tasks.length === 0) return ''
  const lines = tasks.map(t => {
    const exits = t.containers
      .filter(c => c.exitCode !== undefined || c.reason)
      .map(c => `${c.name} exit code ${c.exitCode ?? '?'}${c.reason ? ` (${c.reason})` : ''}`)
    return `task ${t.id} (${revision(t.taskDefinition)}) stopped: ${t.stoppedReason || t.stopCode || 'no reason given'}${exits.length > 0 ? `, ${exits.join(', ')}` : ''}`
  })
  return `. Stopped tasks: ${lines.join('; ')}`
}

function targetText(t: TargetState): string {
  return `${t.id} ${t.state}${t.reason ? ` ${t.reason}` : ''}${t.description ? ` (${t.description})` : ''}`
}

function eventsText(svc: CanaryService): string {
  const events = svc.events.slice(0, 3)
  if (events.length === 0) return ''
  return `. Latest events of ${svc.name}: ${events.map(e => `${e.at} ${e.message}`).join(' | ')}`
}

/** `arn:…:task-definition/web:7` → `web:7`. */
function revision(arn: string): string {
  const parsed = parseArnOf(arn, ['task-definition'])
  return parsed ? `${parsed.name}:${parsed.revision}` : arn || 'unknown revision'
}

function seconds(ms: number): string {
  return `${Math.round(ms / 1000)}s`
}
