/**
 * The job summary: what happened, stage by stage, with a chart of the new revision's share over
 * time. Rendering is pure; only `writeSummary` touches the runner.
 */
import * as core from '@actions/core'
import { formatDuration, percentText, weightsFor } from '../engine/plan.js'
import type {
  Log,
  Mode,
  Outcome,
  Plan,
  RevisionFacts,
  RolloutRecord,
  StageRecord,
  Tenths
} from '../engine/types.js'
import { shareChart } from './chart.js'
import { pauseWhy } from './pause-why.js'

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
  /** The task definition the new service runs (or would run). */
  readonly revision?: string
  /** The commit the rollout deploys (its statuses go there). */
  readonly commit?: string
  /** When traffic could not be restored: the commands that put it back. */
  readonly restoreCommands?: readonly string[]
  /** After a rollback: the live and the shipped revision, read once traffic was safe. */
  readonly revisions?: { readonly live: RevisionFacts; readonly shipped: RevisionFacts }
  /** After a rollback: the next step that works, in the refusals' words. */
  readonly next?: string
}

/** `12:03:04` in UTC. */
function clockText(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(11, 19)
}

/** Elapsed time to the second: sub-second noise would only clutter the table. */
function elapsedText(ms: number): string {
  if (ms <= 0) return '0s'
  if (ms < 1000) return 'under 1s'
  return formatDuration(Math.round(ms / 1000) * 1000)
}

import { cell, quoted, whySection } from './why.js'

export { cell }

/** A fenced block that survives backticks inside the text. */
export function fenced(text: string): string {
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
    case 'restore-failed':
      return (
        `**Traffic NOT restored**: ${percentText(outcome.tenths)} is still on ${newService}. ` +
        `Run the commands below (also in the job log) to put all of it back on ${oldService}.`
      )
    case 'paused':
      return (
        `**Paused** at ${percentText(outcome.tenths)} on ${newService}` +
        `${pauseWhy(outcome.reason)}. Continue with ` +
        '`mode: promote`, or undo with `mode: rollback`.'
      )
    case 'unchanged':
      return `**Unchanged**: no traffic moved${outcome.reason ? `; ${outcome.reason.split('\n')[0]}` : '.'}`
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
    '| Stage | Share | Started (UTC) | Baked | Gates | Result |',
    '|---|--:|---|---|---|---|',
    ...rows.map(r => `| ${r.join(' | ')} |`)
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
  const { cluster, newService, plan, record, mode } = input
  const outcome = record.outcome
  const lastEnd = Math.max(record.startedAt, ...record.stages.map(s => s.endedAt ?? s.startedAt))
  const started = new Date(record.startedAt).toISOString().slice(0, 19).replace('T', ' ')
  const parts = [
    `### ecs-canary: ${direction(input)} on ${cluster}`,
    outcomeLine(input, outcome),
    `Mode \`${mode}\` · plan \`${plan}\` · started ${started} UTC` +
      (record.stages.length > 0 ? ` · ran ${elapsedText(lastEnd - record.startedAt)}` : ''),
    identityLine(input.revision, input.commit)
  ]
  const failed = outcome?.result === 'rolled-back' || outcome?.result === 'restore-failed'
  if (failed) {
    parts.push(
      whySection({
        reason: outcome.reason,
        ...(record.evidence ? { evidence: record.evidence } : {}),
        ...(input.revisions ? { revisions: input.revisions } : {}),
        ...(input.next ? { next: input.next } : {})
      })
    )
  } else if (outcome?.result === 'unchanged' && outcome.reason.includes('\n')) {
    parts.push(`Reason:\n\n${quoted(outcome.reason)}`)
  }
  if (input.restoreCommands?.length) parts.push(fenced(input.restoreCommands.join('\n')))
  if (input.dryRun && input.planned) parts.push(plannedTable(input, input.planned))
  if (record.stages.length > 0) {
    const count = input.planned?.length ?? plan.split(/\s+/).filter(Boolean).length
    parts.push(stageTable(record, Math.max(count, record.stages.length)))
  }
  const chart = shareChart({ record, newService, fromZero: mode === 'deploy' })
  if (chart) parts.push(chart)
  return fitSummary(`${parts.join('\n\n')}\n`)
}

/**
 * Which way traffic moved, for the header: toward the new revision, back to live, or not at all
 * (`a ⇄ b`).
 */
function direction(input: SummaryInput): string {
  const { oldService: live, newService: idle, record } = input
  const moved = record.timeline.some(t => t.tenths > 0) || record.stages.some(s => s.tenths > 0)
  const back =
    record.outcome?.result === 'rolled-back' || record.outcome?.result === 'restore-failed'
  if (input.dryRun || !moved) return `${live} ⇄ ${idle}`
  if (!back) return `traffic ${live} → ${idle}`
  // A run that reached its own stages moved toward the new revision first.
  return record.stages.length > 0
    ? `traffic ${live} → ${idle}, then back to ${live}`
    : `traffic ${idle} → ${live}`
}

/** `Revision \`…\` · commit \`…\``: which task definition and which commit a summary is about. */
export function identityLine(revision: string | undefined, commit: string | undefined): string {
  const rev = revision ? `\`${revision}\`` : 'not known'
  const sha = commit ? `\`${commit}\`` : 'not known'
  return `Revision ${rev} · commit ${sha}`
}

/**
 * GitHub drops a step summary over 1 MiB whole ("$GITHUB_STEP_SUMMARY upload aborted, supports
 * content up to a size of 1024k"; docs.github.com/actions, "Adding a job summary"). Leave room
 * for what the post step may add.
 */
export const SUMMARY_LIMIT_BYTES = 1024 * 1024 - 64 * 1024

/** Cuts `markdown` to `limit` bytes at a line break, closing an open fence, with a note. */
export function fitSummary(markdown: string, limit = SUMMARY_LIMIT_BYTES): string {
  if (Buffer.byteLength(markdown, 'utf8') <= limit) return markdown
  const note =
    "\n\n> The summary was cut here to stay under GitHub's 1 MiB limit; the job log has everything.\n"
  const room = limit - Buffer.byteLength(note, 'utf8') - 16
  let cut = Buffer.from(markdown, 'utf8').subarray(0, room).toString('utf8')
  // A cut in the middle of a multi-byte character leaves U+FFFD; drop up to the last line.
  cut = cut.slice(0, Math.max(0, cut.lastIndexOf('\n')))
  const fences = cut.match(/^(`{3,})/gm) ?? []
  const open = fences.length % 2 === 1 ? `\n${fences[fences.length - 1]}` : ''
  return `${cut}${open}${note}`
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
