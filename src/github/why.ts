/**
 * The summary's "Why it rolled back" section, built only from what the run already read: the
 * failing gate's evidence, and (read once traffic was safe) what changed between the live
 * revision and the one shipped. Pure.
 */
import type { Evidence, RevisionFacts, SideNumbers } from '../engine/types.js'

/** What the section tells. */
export interface WhyInput {
  readonly reason: string
  readonly evidence?: Evidence
  /** The live revision and the shipped one, when both could be read. */
  readonly revisions?: { readonly live: RevisionFacts; readonly shipped: RevisionFacts }
  /** The next step that works, in the refusals' words. */
  readonly next?: string
}

/** A table cell: no pipes or newlines may escape it. */
export function cell(text: string): string {
  return text.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|').trim() || '—'
}

const GATE_NAMES: Record<string, string> = {
  alarms: 'the alarms gate',
  analysis: 'the analysis gate (canary against live)',
  health: 'the health gate (the canary service and its targets)'
}

/** `12:03:04 UTC` from epoch ms or an ISO time. */
function when(at: number | string): string {
  const ms = typeof at === 'number' ? at : Date.parse(at)
  return Number.isFinite(ms) ? `${new Date(ms).toISOString().slice(11, 19)} UTC` : String(at)
}

/** Text quoted as Markdown that wraps: a blockquote, with Markdown's own characters escaped. */
export function quoted(text: string): string {
  return text
    .split(/\r?\n/)
    .map(line => `> ${escapeOutsideCode(line)}`)
    .join('\\\n')
}

/**
 * Escapes what Markdown would act on, except inside `code spans`, which show text as it is:
 * emphasis, HTML, strike-through, a link's `](`, a heading's leading `#`. Plain brackets stay, so
 * a reason reads (and greps) as CloudWatch wrote it.
 */
function escapeOutsideCode(line: string): string {
  return line
    .split(/(`[^`]+`)/)
    .map((part, i) =>
      i % 2 === 1
        ? part
        : part
            .replace(/([\\*_<>~])/g, '\\$1')
            .replace(/\](?=[([])/g, '\\]')
            .replace(/^#/, '\\#')
    )
    .join('')
}

function sides(c: SideNumbers, l: SideNumbers): string {
  const rate = (s: SideNumbers) =>
    s.requests > 0 ? `${((100 * s.errors) / s.requests).toFixed(2)}%` : '—'
  const latency = (s: SideNumbers) => (s.latencyMs === undefined ? '—' : `${s.latencyMs} ms`)
  return [
    '| Metric | canary | live |',
    '|---|--:|--:|',
    `| Requests | ${c.requests} | ${l.requests} |`,
    `| 5xx errors | ${c.errors} | ${l.errors} |`,
    `| Error rate | ${rate(c)} | ${rate(l)} |`,
    `| Mean latency | ${latency(c)} | ${latency(l)} |`
  ].join('\n')
}

/** The evidence, as Markdown lines and tables. */
function evidenceParts(evidence: Evidence): string[] {
  const parts = [`Stopped by ${GATE_NAMES[evidence.gate] ?? evidence.gate}.`]
  for (const alarm of evidence.alarms ?? []) {
    const at = alarm.changedAt === undefined ? '' : `, since ${when(alarm.changedAt)}`
    parts.push(
      `Alarm **${cell(alarm.name)}** went to ${alarm.state}${at}:\n\n${quoted(alarm.reason || 'no reason given')}`
    )
  }
  if (evidence.comparison) parts.push(sides(evidence.comparison.canary, evidence.comparison.live))
  if (evidence.stoppedTasks?.length) {
    parts.push(
      [
        '| Stopped task | Stop code | Reason | Containers (exit code) |',
        '|---|---|---|---|',
        ...evidence.stoppedTasks.map(t => {
          const exits = t.containers
            .map(c => `${c.name} ${c.exitCode ?? '?'}${c.reason ? ` (${c.reason})` : ''}`)
            .join(', ')
          return `| ${cell(t.id)} | ${cell(t.stopCode ?? '')} | ${cell(t.stoppedReason)} | ${cell(exits)} |`
        })
      ].join('\n')
    )
  }
  if (evidence.events?.length) {
    parts.push(
      'ECS events of the canary service since the stage began:\n\n' +
        evidence.events.map(e => `- ${when(e.at)}: ${cell(e.message)}`).join('\n')
    )
  }
  return parts
}

/** The lines that differ between two revisions: images, env names (never values), cpu, memory, ports. */
export function revisionChanges(live: RevisionFacts, shipped: RevisionFacts): string[] {
  const lines: string[] = []
  const changed = (what: string, a: string | undefined, b: string | undefined) => {
    if ((a ?? '') !== (b ?? '')) lines.push(`${what}: \`${a || 'unset'}\` → \`${b || 'unset'}\``)
  }
  changed('cpu', live.cpu, shipped.cpu)
  changed('memory', live.memory, shipped.memory)
  const names = [...new Set([...live.containers, ...shipped.containers].map(c => c.name))]
  for (const name of names) {
    const a = live.containers.find(c => c.name === name)
    const b = shipped.containers.find(c => c.name === name)
    if (!a || !b) {
      lines.push(`container \`${name}\` ${a ? 'removed' : 'added'}`)
      continue
    }
    changed(`\`${name}\` image`, a.image, b.image)
    const added = b.environment.filter(n => !a.environment.includes(n))
    const removed = a.environment.filter(n => !b.environment.includes(n))
    if (added.length)
      lines.push(`\`${name}\` new environment variables: ${added.map(n => `\`${n}\``).join(', ')}`)
    if (removed.length)
      lines.push(
        `\`${name}\` environment variables removed: ${removed.map(n => `\`${n}\``).join(', ')}`
      )
    changed(`\`${name}\` ports`, a.ports.join(', '), b.ports.join(', '))
  }
  return lines
}

/** The section, or '' when there is nothing to say. */
export function whySection(input: WhyInput): string {
  const parts = ['#### Why it rolled back', quoted(input.reason || 'no reason was recorded')]
  if (input.evidence) parts.push(...evidenceParts(input.evidence))
  if (input.revisions) {
    const { live, shipped } = input.revisions
    const lines = revisionChanges(live, shipped)
    parts.push(
      `What changed from the live revision \`${live.arn}\` to \`${shipped.arn}\`:\n\n` +
        (lines.length
          ? lines.map(l => `- ${l}`).join('\n')
          : '- nothing in images, environment names, cpu, memory or ports')
    )
  }
  if (input.next) parts.push(`**Next:** ${input.next}`)
  return parts.join('\n\n')
}
