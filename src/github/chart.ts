/**
 * The new revision's share, one bar per stage reached, as a Mermaid `xychart-beta`. A line over
 * the bars ends on the share the run ended with, so a rollback shows as a drop from the stage it
 * fell from. Heights use a square-root scale: 1% stands a tenth of the full height instead of
 * vanishing into 0, and the labels under the bars carry the exact shares.
 *
 * Every colour is set in the diagram itself (an init directive with theme variables), on a
 * background of its own: GitHub draws the same diagram on a white page and on a dark one, and
 * Mermaid's default xychart line (`#ECECFF`) is nearly invisible on white.
 */
import { formatDuration, percentText } from '../engine/plan.js'
import type { RolloutRecord, Tenths } from '../engine/types.js'

/** What the chart needs: the record, who the share belongs to, and where the run started. */
export interface ChartInput {
  readonly record: RolloutRecord
  readonly newService: string
  /** A deploy starts from 0: all traffic on one service is checked first. */
  readonly fromZero: boolean
}

/** One bar: a label under it and the share it stands for. */
export interface Bar {
  readonly label: string
  readonly tenths: Tenths
}

/**
 * GitHub's own palette (Primer): blue bars, a red line, dark text on a white card. Each has a
 * contrast of at least 4.5:1 against the white background, in either page theme.
 */
export const CHART_COLOURS = {
  background: '#ffffff',
  text: '#1f2328',
  bar: '#0969da',
  line: '#cf222e'
} as const

/** A bar's height on the square-root scale, 0..100. */
export function height(tenths: Tenths): number {
  return Math.round(Math.sqrt(Math.max(0, tenths) / 1000) * 1000) / 10
}

/** The bars of a run: the stages it reached, then where it ended if it went back. */
export function bars(record: RolloutRecord): Bar[] {
  const reached: Bar[] = record.stages.map(stage => ({
    label: percentText(stage.tenths),
    tenths: stage.tenths
  }))
  // A run that moved traffic without reaching a stage (a reconcile, a failed first shift):
  // each share the timeline held is a bar.
  if (reached.length === 0) {
    for (const entry of [...record.timeline].sort((a, b) => a.at - b.at)) {
      if (entry.tenths > 0 && entry.tenths !== reached.at(-1)?.tenths) {
        reached.push({ label: `${percentText(entry.tenths)} found`, tenths: entry.tenths })
      }
    }
  }
  const outcome = record.outcome
  const back = outcome?.result === 'rolled-back' || outcome?.result === 'restore-failed'
  // A run that ended on a share no stage set (someone moved the weights): where it ended.
  const last = reached.at(-1)?.tenths
  if (!back && outcome && outcome.tenths > 0 && last !== undefined && outcome.tenths !== last) {
    reached.push({ label: `${percentText(outcome.tenths)} found`, tenths: outcome.tenths })
  }
  if (back && reached.length > 0) {
    reached.push({
      label: outcome.result === 'rolled-back' ? 'rolled back' : 'NOT restored',
      tenths: outcome.tenths
    })
  }
  return unique(reached)
}

/** Mermaid's band axis merges equal labels into one place: number repeats. */
function unique(list: Bar[]): Bar[] {
  const seen = new Map<string, number>()
  return list.map(bar => {
    const count = (seen.get(bar.label) ?? 0) + 1
    seen.set(bar.label, count)
    return count === 1 ? bar : { ...bar, label: `${bar.label} (${count})` }
  })
}

/** Whether any traffic reached the new revision during the run. */
function moved(record: RolloutRecord): boolean {
  return record.stages.some(s => s.tenths > 0) || record.timeline.some(t => t.tenths > 0)
}

/** When the run went back, and from which share: `rolled back from 50% after 9m20s`. */
export function rollbackCaption(record: RolloutRecord): string {
  const outcome = record.outcome
  if (outcome?.result !== 'rolled-back' && outcome?.result !== 'restore-failed') return ''
  const last = record.stages.at(-1)
  const from = last?.tenths ?? Math.max(0, ...record.timeline.map(t => t.tenths))
  if (from <= 0) return ''
  const verb = outcome.result === 'rolled-back' ? 'Rolled back' : 'Tried to roll back'
  // A restore of a share another run left has no stage of its own to time.
  if (!last) return `${verb} from ${percentText(from)}.`
  const at = last.endedAt ?? last.startedAt
  const into = `, ${seconds(at - last.startedAt)} into the stage`
  return `${verb} from ${percentText(from)} after ${seconds(at - record.startedAt)}${into}.`
}

function seconds(ms: number): string {
  return ms < 1000 ? 'under 1s' : formatDuration(Math.round(ms / 1000) * 1000)
}

/** The chart as a fenced Mermaid block, or '' when no traffic moved. */
export function shareChart(input: ChartInput): string {
  const { record } = input
  if (!moved(record)) return ''
  const list = bars(record)
  if (list.length === 0) return ''
  const init = {
    theme: 'base',
    themeVariables: {
      xyChart: {
        backgroundColor: CHART_COLOURS.background,
        titleColor: CHART_COLOURS.text,
        xAxisLabelColor: CHART_COLOURS.text,
        xAxisTitleColor: CHART_COLOURS.text,
        xAxisLineColor: CHART_COLOURS.text,
        xAxisTickColor: CHART_COLOURS.text,
        yAxisTitleColor: CHART_COLOURS.text,
        yAxisLineColor: CHART_COLOURS.text,
        plotColorPalette: `${CHART_COLOURS.bar}, ${CHART_COLOURS.line}`
      }
    },
    xyChart: {
      width: 640,
      height: 360,
      yAxis: { showLabel: false, showTick: false }
    }
  }
  const heights = list.map(b => String(height(b.tenths)))
  const title = `${input.newService} share of traffic per stage`.replace(/["<>&]/g, ' ')
  const caption = rollbackCaption(record)
  return [
    '```mermaid',
    `%%{init: ${JSON.stringify(init)}}%%`,
    'xychart-beta',
    `  title "${title}"`,
    `  x-axis [${list.map(b => `"${b.label.replace(/["<>&]/g, ' ')}"`).join(', ')}]`,
    '  y-axis "share (square-root scale)" 0 --> 100',
    `  bar [${heights.join(', ')}]`,
    `  line [${heights.join(', ')}]`,
    '```',
    ...(caption ? ['', caption] : [])
  ].join('\n')
}
