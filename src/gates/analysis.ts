/**
 * The analysis gate: the canary's target group against live's, over the stage so far.
 */
import { judge } from '../analysis.js'
import type { AnalysisBounds, TargetGroupArns, TargetGroupStats } from '../analysis.js'
import type { Gate, GateReading } from '../types.js'

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
  }): Promise<GateReading> {
    const { canary, live } = await this.stats(this.arns, window.stageStartedAt, window.now)
    return judge(canary, live, this.bounds)
  }
}
