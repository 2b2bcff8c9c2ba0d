/**
 * The health gate: the canary's target health and ECS service, read while a stage bakes. It
 * sees a crashing or failing canary within seconds, where ALB metrics and alarms take minutes.
 */
import { HealthJudge, stoppedText, type HealthReader, type StoppedTask } from '../health.js'
import type { Clock, Gate, GateReading } from '../types.js'

/** How the gate judges. */
export interface HealthGateOptions {
  /**
   * How long a task or target may be missing before it counts (a task start: placement, image
   * pull, container start). Crashes are seen sooner, through the stopped tasks.
   */
  readonly startGraceMs: number
  /** The same while the desired count has risen (a `canary-capacity: follow` scale-up). */
  readonly scaleUpGraceMs?: number
  /** How long the stop reasons may delay a failure that is already certain. */
  readonly stopReasonsMs: number
}

/** The defaults: two minutes for a task to start, one second for the stop reasons. */
export const HEALTH_DEFAULTS: HealthGateOptions = { startGraceMs: 120_000, stopReasonsMs: 1_000 }

/**
 * One DescribeTargetHealth and one DescribeServices per `read()`, side by side; a ListTasks and
 * a DescribeTasks of the stopped tasks after them only when the service shows a stop (a running
 * count below desired, a new "has stopped" event). Read errors propagate: the engine counts
 * consecutive failed reads and rolls back when blind too long.
 */
export class HealthGate implements Gate {
  readonly name = 'health'
  private readonly judge: HealthJudge

  constructor(
    private readonly reader: HealthReader,
    private readonly clock: Clock,
    private readonly options: HealthGateOptions = HEALTH_DEFAULTS
  ) {
    this.judge = new HealthJudge(options.startGraceMs, options.scaleUpGraceMs)
  }

  async read(window?: { readonly stageStartedAt: number }): Promise<GateReading> {
    const [targets, canary] = await Promise.all([this.reader.targets(), this.reader.canary()])
    const now = this.clock.now()
    // A stop the gate cannot look at (ListTasks or DescribeTasks failing, denied say) leaves it
    // blind to a crash: the error propagates as a failed read, for the engine to count.
    const stopped = this.judge.wantsStops(canary, now)
      ? await this.reader.stoppedTasks()
      : undefined
    const verdict = this.judge.judge(targets, canary, now, stopped)
    if (!verdict.failure) return { verdict: 'pass', reason: '', detail: verdict.detail }
    // The stopped tasks this read fetched are the evidence of any failure they led to (a crash
    // seen at this read, or tasks missing): the summary's "why" shows them.
    const tasks: StoppedTask[] = [...(stopped ?? [])]
    let why = ''
    if (verdict.failure.kind === 'tasks') {
      why = stopped ? stoppedText(stopped) : await this.stopReasons(tasks)
    }
    // The service's events were in the DescribeServices answer already ("A maximum of 100 of the
    // latest events are displayed", Service.events): those of this stage, by createdAt. An event's
    // time comes to the engine in whole seconds (the adapter's ISO text), so the stage's start is
    // taken to its second too: a crash in the stage's first second is this stage's.
    const since = window ? Math.floor(window.stageStartedAt / 1_000) * 1_000 : -Infinity
    const events = canary.events.filter(e => !(Date.parse(e.at) < since))
    return {
      verdict: 'fail',
      reason: `health gate: ${verdict.failure.reason}${why}`,
      detail: verdict.detail,
      evidence: {
        gate: 'health',
        ...(tasks.length > 0 ? { stoppedTasks: tasks } : {}),
        ...(events.length > 0 ? { events } : {})
      }
    }
  }

  /**
   * Why the latest tasks stopped, if ECS answers quickly; the rollback does not wait longer. A
   * read that fails (ListTasks or DescribeTasks denied, say) never holds the rollback back, but
   * is said in the reason, so a reader knows why no exit codes are shown.
   */
  private async stopReasons(into: StoppedTask[]): Promise<string> {
    let timer: NodeJS.Timeout | undefined
    const late = new Promise<string>(resolve => {
      timer = setTimeout(() => resolve(''), this.options.stopReasonsMs)
    })
    try {
      const found = this.reader.stoppedTasks().then(
        tasks => {
          into.push(...tasks)
          return stoppedText(tasks)
        },
        error => `. ${messageOf(error)}; the stopped tasks' reasons are not shown`
      )
      return await Promise.race([found, late])
    } finally {
      clearTimeout(timer)
    }
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
