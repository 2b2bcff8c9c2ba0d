/**
 * The share over time as a Mermaid `xychart-beta` line. Mermaid places the points of a line
 * evenly along a band axis, so the chart samples the share at evenly spaced times: the labels
 * are then unique and their spacing is true to time. Labels avoid `<` and `&`, which Mermaid
 * escapes into visible `&lt;` text.
 */
import { formatDuration } from '../engine/plan.js'
import type { RolloutRecord, Tenths } from '../engine/types.js'

/** Enough points to show a short stage, few enough for the labels to stay readable. */
const SAMPLES = 25

/** What the chart needs: the record, who the share belongs to, and where the run started. */
export interface ChartInput {
  readonly record: RolloutRecord
  readonly newService: string
  /** A deploy starts from 0: all traffic on one service is checked first. */
  readonly fromZero: boolean
}

/** The share steps as (time, share) pairs, sorted, starting at the run's start. */
function steps(input: ChartInput): { at: number; tenths: Tenths }[] {
  const { record } = input
  const timeline = [...record.timeline].sort((a, b) => a.at - b.at)
  if (input.fromZero && (timeline[0]?.tenths ?? 0) !== 0) {
    timeline.unshift({ at: record.startedAt, tenths: 0 })
  }
  const final = record.outcome?.tenths
  const end = endOf(record, timeline)
  // End on the outcome's share even if the engine recorded no entry for the last move.
  if (final !== undefined && final >= 0 && timeline.at(-1)?.tenths !== final) {
    timeline.push({ at: end, tenths: final })
  }
  return timeline
}

function endOf(record: RolloutRecord, timeline: readonly { at: number }[]): number {
  const ends = record.stages.map(s => s.endedAt ?? s.startedAt)
  return Math.max(record.startedAt, ...ends, ...timeline.map(t => t.at))
}

/** The share in force at `at`. */
function shareAt(timeline: readonly { at: number; tenths: Tenths }[], at: number): Tenths {
  let share = timeline[0]?.tenths ?? 0
  for (const entry of timeline) if (entry.at <= at) share = entry.tenths
  return share
}

/** The highest share in force at any moment of (from, to]: a short stage still shows. */
function peakIn(timeline: readonly { at: number; tenths: Tenths }[], from: number, to: number) {
  let peak = shareAt(timeline, to)
  for (const entry of timeline)
    if (entry.at > from && entry.at <= to) peak = Math.max(peak, entry.tenths)
  return peak
}

/**
 * An elapsed-time label at the resolution of `step`: whole seconds (`1m30s`) when points are a
 * second or more apart, tenths (`2.5s`) or milliseconds below. Labels of points `step` apart
 * never collide at their own resolution.
 */
export function elapsedLabel(ms: number, step: number): string {
  if (ms <= 0) return '0s'
  if (step >= 1000) return formatDuration(Math.round(ms / 1000) * 1000)
  if (step >= 100) return `${(Math.round(ms / 100) / 10).toFixed(1)}s`
  return `${Math.round(ms)}ms`
}

/** The chart as a fenced Mermaid block, or '' when there is nothing to draw. */
export function shareChart(input: ChartInput): string {
  const timeline = steps(input)
  if (timeline.length === 0) return ''
  const origin = Math.min(input.record.startedAt, timeline[0].at)
  const span = Math.max(0, endOf(input.record, timeline) - origin)
  const count = span === 0 ? 1 : SAMPLES
  const step = span === 0 ? 1000 : span / (count - 1)
  const labels: string[] = []
  const values: string[] = []
  for (let i = 0; i < count; i++) {
    const at = origin + i * step
    const last = i === count - 1
    // The last point is the share the run ended on; the others the peak since the point before.
    const tenths =
      i === 0 || last ? shareAt(timeline, last ? Infinity : at) : peakIn(timeline, at - step, at)
    labels.push(`"${elapsedLabel(at - origin, step)}"`)
    values.push(String(tenths / 10))
  }
  const title = `${input.newService} share of traffic (%)`.replace(/["<>&]/g, ' ')
  return [
    '```mermaid',
    'xychart-beta',
    `  title "${title}"`,
    `  x-axis "elapsed" [${labels.join(', ')}]`,
    '  y-axis "%" 0 --> 100',
    `  line [${values.join(', ')}]`,
    '```'
  ].join('\n')
}
