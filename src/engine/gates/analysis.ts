/**
 * The analysis gate: the canary's target group against live's, over the stage so far.
 */
import { judge, lastFullMinute } from '../analysis.js'
import type { AnalysisBounds, TargetGroupArns, TargetGroupStats } from '../analysis.js'
import type { Gate, GateReading, SideNumbers } from '../types.js'

/** Reads both sides' stats over a window; `readTargetGroupStats` with its client bound. */
export type StatsReader = (
  arns: TargetGroupArns,
  startMs: number,
  endMs: number
) => Promise<{ canary: TargetGroupStats; live: TargetGroupStats }>

/**
 * One GetMetricData read per `read()`, judged by `judge`. The window starts when the stage's
 * weights were verified, so each stage is judged on its own traffic. Read errors propagate.
 */
export class AnalysisGate implements Gate {
  readonly name = 'analysis'

  constructor(
    private readonly stats: StatsReader,
    private readonly arns: TargetGroupArns,
    private readonly bounds: AnalysisBounds
  ) {}

  async read(window: {
    readonly stageStartedAt: number
    readonly now: number
    readonly endsAt?: number
  }): Promise<GateReading> {
    const { canary, live } = await this.stats(this.arns, window.stageStartedAt, window.now)
    const judged = judge(canary, live, this.bounds)
    const reading: GateReading =
      judged.verdict === 'fail'
        ? {
            ...judged,
            evidence: { gate: 'analysis', comparison: { canary: side(canary), live: side(live) } }
          }
        : judged
    // A stage passes only once its last full minute has been seen: ALB metrics arrive one to
    // two minutes late, and the final minutes of a rollout must not go unjudged.
    const { endsAt } = window
    if (reading.verdict !== 'pass' || endsAt === undefined || window.now < endsAt) return reading
    const due = lastFullMinute(window.stageStartedAt, endsAt)
    if ((canary.newestMinute ?? -Infinity) >= due) return reading
    return {
      verdict: 'wait',
      late: true,
      reason: `waiting for the canary's ALB metrics of the minute from ${clockTime(due)} UTC (they are published one to two minutes late)`,
      detail: reading.detail
    }
  }
}

/** One side's numbers for the summary: requests, 5xx, mean latency. */
function side(stats: TargetGroupStats): SideNumbers {
  return {
    requests: stats.requests,
    errors: stats.errors,
    ...(stats.latencyCount > 0
      ? { latencyMs: Math.round((stats.latencySum / stats.latencyCount) * 1000) }
      : {})
  }
}

function clockTime(ms: number): string {
  return new Date(ms).toISOString().slice(11, 16)
}
