/**
 * Job summaries for the endings that run no stages: a refusal before any write, `mode: status`,
 * and a restore by the post step or by the watchdog (`reconcile`). Pure renderers, like
 * `renderSummary`; each names the revision and the commit, and stays under GitHub's limit.
 */
import { cell, fenced, fitSummary, identityLine } from './summary.js'
import { quoted, whySection } from './why.js'
import { shareChart } from './chart.js'

/** The weights one rule carries, labelled with the service behind each target group. */
export interface RuleWeights {
  readonly arn: string
  /** `[service, weight]` pairs, in the order the table shows them. */
  readonly weights: readonly (readonly [service: string, weight: number])[]
  /** Set when the rule forwards elsewhere than the pair: what was found instead. */
  readonly note?: string
}

/** What every ending tells. */
export interface EndingInput {
  /** What the run was about, e.g. `web-blue ⇄ web-green on prod`. */
  readonly subject: string
  /** The bold first line, e.g. `**Refused** before any change: …`. */
  readonly headline: string
  readonly revision?: string
  readonly commit?: string
  /** Extra lines under the headline (phase, owner, plan). */
  readonly facts?: readonly string[]
  /** The whole reason, quoted as a block. */
  readonly reason?: string
  /** Set on a restore: the reason is told as "Why it rolled back". */
  readonly why?: boolean
  /** A chart of the share, already rendered. */
  readonly chart?: string
  readonly rules?: readonly RuleWeights[]
  /** Commands a person must run (traffic not restored, a record to fix). */
  readonly commands?: readonly string[]
}

/** The weights per rule as a table, a column per service. */
export function weightsTable(rules: readonly RuleWeights[]): string {
  const services = [...new Set(rules.flatMap(r => r.weights.map(([name]) => name)))]
  const rows = rules.map(rule => {
    const weights = services.map(name => {
      const found = rule.weights.find(([n]) => n === name)
      return found ? String(found[1]) : '—'
    })
    return `| ${[cell(rule.arn), ...weights, cell(rule.note ?? '')].join(' | ')} |`
  })
  return [
    `| Rule | ${services.map(s => `${cell(s)} weight`).join(' | ')} | Note |`,
    `|---|${services.map(() => '--:|').join('')}---|`,
    ...rows
  ].join('\n')
}

/** Renders any ending that ran no stages as Markdown. Pure. */
export function renderEnding(input: EndingInput): string {
  const parts = [
    `### ecs-canary: ${input.subject}`,
    input.headline,
    identityLine(input.revision, input.commit)
  ]
  if (input.facts?.length) parts.push(input.facts.join('  \n'))
  // A blockquote wraps; a code block would run the suggested fix off the right edge.
  if (input.reason && input.why) parts.push(whySection({ reason: input.reason }))
  else if (input.reason) parts.push(`Reason:\n\n${quoted(input.reason)}`)
  if (input.rules?.length) parts.push(weightsTable(input.rules))
  if (input.commands?.length) parts.push(fenced(input.commands.join('\n')))
  if (input.chart) parts.push(input.chart)
  return fitSummary(`${parts.join('\n\n')}\n`)
}

/** A run refused before it wrote anything. */
export function refusalSummary(input: {
  readonly cluster: string
  readonly services: readonly string[]
  readonly mode: string
  readonly reason: string
  readonly revision?: string
  readonly commit?: string
}): string {
  return renderEnding({
    subject: `${input.services.join(' ⇄ ')} on ${input.cluster || 'an unknown cluster'}`,
    headline: `**Refused** (\`mode: ${input.mode}\`): nothing was changed. The reason says what to do next.`,
    reason: input.reason,
    ...(input.revision ? { revision: input.revision } : {}),
    ...(input.commit ? { commit: input.commit } : {})
  })
}

/**
 * A restore by the post step (main died mid-rollout) or by the watchdog (`reconcile`, the
 * runner is gone). `restored: false` means traffic is still on the new revision.
 */
export function restoreSummary(input: {
  readonly by: 'the post step' | 'the watchdog (mode: reconcile)'
  readonly restored: boolean
  readonly liveService: string
  readonly idleService: string
  readonly cluster?: string
  readonly reason: string
  readonly revision?: string
  readonly commit?: string
  readonly rules?: readonly RuleWeights[]
  readonly commands?: readonly string[]
  /** The new revision's share the restore found, for the chart. */
  readonly foundTenths?: number
}): string {
  const found = input.foundTenths ?? 0
  const chart =
    found > 0
      ? shareChart({
          record: {
            startedAt: 0,
            stages: [],
            timeline: [
              { at: 0, tenths: found },
              { at: 0, tenths: input.restored ? 0 : found }
            ],
            outcome: {
              result: input.restored ? 'rolled-back' : 'restore-failed',
              tenths: input.restored ? 0 : found,
              reason: input.reason,
              liveService: input.liveService,
              idleService: input.idleService
            }
          },
          newService: input.idleService,
          fromZero: false
        })
      : ''
  const headline = input.restored
    ? `**Rolled back** by ${input.by}: all traffic is back on ${input.liveService}.`
    : `**Traffic NOT restored** by ${input.by}: ${input.idleService} still takes a share. Run the commands below to put all of it back on ${input.liveService}.`
  return renderEnding({
    // Which way traffic moved: back to live, when the restore found any on the new revision.
    subject: `${found > 0 && input.restored ? `traffic ${input.idleService} → ${input.liveService}` : `${input.liveService} ⇄ ${input.idleService}`}${input.cluster ? ` on ${input.cluster}` : ''}`,
    headline,
    reason: input.reason,
    why: true,
    // The next step: the revision is still on the idle service, at 0%.
    ...(input.restored
      ? {
          facts: [
            `Next: ${input.idleService} keeps the new revision at 0%. Fix what the reason names, then run the deploy again.`
          ]
        }
      : {}),
    ...(input.revision ? { revision: input.revision } : {}),
    ...(input.commit ? { commit: input.commit } : {}),
    ...(input.rules ? { rules: input.rules } : {}),
    ...(input.commands ? { commands: input.commands } : {}),
    ...(chart ? { chart } : {})
  })
}
