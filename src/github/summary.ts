/**
 * The job summary: what happened, stage by stage, with a chart of the new revision's share over
 * time. Rendering is pure; only `writeSummary` touches the runner.
 */
import * as core from '@actions/core'
import { formatDuration, percentText, weightsFor } from '../plan.js'
import type { Log, Mode, Outcome, Plan, RolloutRecord, StageRecord, Tenths } from '../types.js'

/** Everything the summary shows. */
export interface SummaryInput {
  readonly cluster: string
  /** The service that receives the new revision (idle before the run). */
  readonly newService: string
  /** The service that held the traffic before the run (live before the run). */
  readonly oldService: string
  /** The plan in its compact text form (`formatPlan`). */
  readonly plan: string
  readonly record: RolloutRecord
  readonly mode: Mode
  readonly dryRun?: boolean
  /** For a dry run: the stages that would run, shown with the weights each would set. */
  readonly planned?: Plan
}

/** `12:03:04` in UTC. */
function clockText(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(11, 19)
}

/** Elapsed time to the second: sub-second noise would only clutter the table and the chart. */
function elapsedText(ms: number): string {
  if (ms <= 0) return '0s'
  if (ms < 1000) return '<1s'
  return formatDuration(Math.round(ms / 1000) * 1000)
}

/** A table cell: no pipes or newlines may escape it. */
function cell(text: string): string {
  return text.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|').trim() || '—'
}

/** A fenced block that survives backticks inside the text. */
function fenced(text: string): string {
  const longest = Math.max(2, ...Array.from(text.matchAll(/`+/g), m => m[0].length))
  const fence = '`'.repeat(longest + 1)
  return `${fence}text\n${text}\n${fence}`
}

const RESULT_TEXT: Record<StageRecord['status'], string> = {
  baking: 'baking',
  baked: 'baked',
  paused: 'paused',
  'rolled-back': 'rolled back'
}

/** The share at which a rollback began: the last stage reached. */
function reachedShare(record: RolloutRecord): Tenths | undefined {
  const last = record.stages[record.stages.length - 1]
  return last?.tenths
}

function outcomeLine(input: SummaryInput, outcome: Outcome | undefined): string {
  const { newService, oldService, record } = input
  if (input.dryRun) return '**Dry run**: nothing was changed. This is what a deploy would do.'
  if (!outcome) return `**In progress**: ${newService} has not finished its rollout.`
  switch (outcome.result) {
    case 'promoted':
      return `**Promoted**: ${newService} takes ${percentText(outcome.tenths)} of the traffic.`
    case 'rolled-back': {
      const reached = reachedShare(record)
      const at = reached === undefined ? '' : ` at ${percentText(reached)}`
      return `**Rolled back**${at}: all traffic is back on ${oldService}.`
    }
    case 'paused':
      return (
        `**Paused** at ${percentText(outcome.tenths)} on ${newService}. Continue with ` +
        '`mode: promote`, or undo with `mode: rollback`.'
      )
    case 'unchanged':
      return `**Unchanged**${outcome.reason ? `: ${outcome.reason.split('\n')[0]}` : '.'}`
  }
}

function stageTable(record: RolloutRecord, stageCount: number): string {
  const rows = record.stages.map(stage => {
    const baked =
      stage.bakeMs === undefined
        ? 'pause'
        : stage.endedAt === undefined
          ? `… of ${formatDuration(stage.bakeMs)}`
          : `${elapsedText(stage.endedAt - stage.startedAt)} of ${formatDuration(stage.bakeMs)}`
    return [
      `${stage.index + 1}/${stageCount}`,
      percentText(stage.tenths),
      clockText(stage.startedAt),
      baked,
      cell(stage.detail),
      RESULT_TEXT[stage.status]
    ]
  })
  return [
    '| Stage | Share | Started (UTC) | Baked | Alarms | Result |',
    '|---|--:|---|---|---|---|',
    ...rows.map(r => `| ${r.join(' | ')} |`)
  ].join('\n')
}

/**
 * The share over time as a step line. The x axis is a band axis of elapsed-time labels; a
 * change is two points under the same label (old share, then new), and Mermaid places equal
 * labels at the same x, which draws the vertical edge of the step.
 */
export function shareChart(input: SummaryInput): string {
  const { record, newService } = input
  const points: { at: number; tenths: Tenths }[] = []
  let timeline = record.timeline
  // A deploy starts from 0 (all traffic on one service is checked first); promote picks up
  // wherever the engine's first timeline entry says.
  if (input.mode === 'deploy' && (timeline[0]?.tenths ?? 0) !== 0) {
    timeline = [{ at: record.startedAt, tenths: 0 }, ...timeline]
  }
  for (const entry of timeline) {
    const prev = points[points.length - 1]
    if (prev && prev.tenths === entry.tenths) continue
    if (prev) points.push({ at: entry.at, tenths: prev.tenths })
    points.push({ at: entry.at, tenths: entry.tenths })
  }
  if (points.length === 0) return ''
  // Extend the last level to the end of the run so the final stage shows as a flat segment,
  // and end on the outcome's share even if the engine recorded no entry for the last move.
  const ends = record.stages.map(s => s.endedAt ?? s.startedAt)
  const end = Math.max(...ends, points[points.length - 1].at)
  const final = record.outcome?.tenths ?? points[points.length - 1].tenths
  if (end > points[points.length - 1].at || final !== points[points.length - 1].tenths) {
    points.push({ at: end, tenths: points[points.length - 1].tenths })
  }
  if (final !== points[points.length - 1].tenths) points.push({ at: end, tenths: final })
  const origin = Math.min(record.startedAt, points[0].at)
  const labels = points.map(p => `"${elapsedText(p.at - origin)}"`)
  const values = points.map(p => String(p.tenths / 10))
  const title = `${newService} share of traffic (%)`.replace(/"/g, "'")
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

function plannedTable(input: SummaryInput, planned: Plan): string {
  const { oldService, newService } = input
  const rows = planned.map((stage, i) => {
    const w = weightsFor(stage.tenths)
    const bake = stage.bake.kind === 'pause' ? 'pause' : formatDuration(stage.bake.ms)
    return `| ${i + 1}/${planned.length} | ${percentText(stage.tenths)} | ${bake} | ${w.live} | ${w.idle} |`
  })
  return [
    `| Stage | Share | Bake | ${cell(oldService)} weight | ${cell(newService)} weight |`,
    '|---|--:|---|--:|--:|',
    ...rows
  ].join('\n')
}

/** Renders the job summary as Markdown. Pure. */
export function renderSummary(input: SummaryInput): string {
  const { cluster, newService, oldService, plan, record, mode } = input
  const outcome = record.outcome
  const lastEnd = Math.max(record.startedAt, ...record.stages.map(s => s.endedAt ?? s.startedAt))
  const started = new Date(record.startedAt).toISOString().slice(0, 19).replace('T', ' ')
  const parts = [
    `### ecs-canary: ${oldService} → ${newService} on ${cluster}`,
    outcomeLine(input, outcome),
    `Mode \`${mode}\` · plan \`${plan}\` · started ${started} UTC` +
      (record.stages.length > 0 ? ` · ran ${elapsedText(lastEnd - record.startedAt)}` : '')
  ]
  if (outcome?.result === 'rolled-back' && outcome.reason) {
    parts.push(`Reason:\n\n${fenced(outcome.reason)}`)
  }
  if (input.dryRun && input.planned) parts.push(plannedTable(input, input.planned))
  if (record.stages.length > 0) {
    const count = input.planned?.length ?? plan.split(/\s+/).filter(Boolean).length
    parts.push(stageTable(record, Math.max(count, record.stages.length)))
  }
  const chart = shareChart(input)
  if (chart) parts.push(chart)
  return `${parts.join('\n\n')}\n`
}

/** Appends `markdown` to the job summary; a failure is a warning, never a failed step. */
export async function writeSummary(
  markdown: string,
  log: Pick<Log, 'warn'> = { warn: line => core.warning(line) }
): Promise<void> {
  try {
    await core.summary.addRaw(markdown).write()
  } catch (error) {
    // The buffer keeps unwritten text; drop it so a later write does not repeat it.
    core.summary.emptyBuffer()
    const message = error instanceof Error ? error.message : String(error)
    log.warn(`Could not write the job summary: ${message}`)
  }
}
