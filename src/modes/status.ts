/**
 * `mode: status`: prints the pair, the weights on every rule (labelled with the services) and
 * the record, and writes the same as a job summary. Writes nothing anywhere else.
 */
import type { Context } from './context.js'
import { renderEnding, type RuleWeights } from '../github/endings.js'
import { percentText, shareOf } from '../engine/plan.js'
import { RulesDisagree, SplitTraffic, type PairState } from '../engine/preflight.js'
import type { RunEnd } from '../github/report.js'
import { describeShare, messageOf } from '../engine/rollout.js'
import { ownerUrl, type RecordedState } from '../engine/state.js'
import type { RuleView } from '../engine/types.js'
import { readPair } from './pair.js'

/** `web-green takes 100%` or `web-green takes 5%, web-blue 95%`: shares by service name. */
export function sharesText(pair: PairState): string {
  const idle = pair.tenths
  if (idle <= 0) return `${pair.live.name} takes 100%`
  if (idle >= 1000) return `${pair.idle.name} takes 100%`
  return `${pair.idle.name} takes ${percentText(idle)}, ${pair.live.name} ${percentText(1000 - idle)}`
}

/** One rule's weights labelled with the services, for the log and the summary. */
export function ruleWeights(rule: RuleView, pair: PairState): RuleWeights {
  const weight = (arn: string) => rule.targets.find(t => t.arn === arn)?.weight ?? 0
  const found = describeShare(rule, pair.groups)
  return {
    arn: rule.arn,
    weights: [
      [pair.live.name, weight(pair.groups.live)],
      [pair.idle.name, weight(pair.groups.idle)]
    ],
    // A test rule is all on the canary during a rollout: say which it is, or it reads as a split.
    ...(found.ours && !rule.test
      ? {}
      : { note: [rule.test && 'test rule', !found.ours && found.text].filter(Boolean).join('; ') })
  }
}

function weightsLine(rule: RuleWeights): string {
  const weights = rule.weights.map(([name, w]) => `${name}=${w}`).join(' ')
  const idle = rule.weights[1]?.[1] ?? 0
  const share = shareOf({ live: rule.weights[0]?.[1] ?? 0, idle })
  const text = share ? ` (${rule.weights[1][0]} ${percentText(share.tenths)})` : ''
  return `${weights}${text}${rule.note ? `; ${rule.note}` : ''}`
}

/** Runs `mode: status`. */
export async function status(ctx: Context): Promise<RunEnd> {
  const { log } = ctx
  const read = await readPair(ctx, false)
  const recorded = read.recorded
  let pair: PairState
  try {
    pair = read.check(recorded?.live)
  } catch (error) {
    log.warn(messageOf(error))
    // Status reports any state, split or out of step included: it is where people look first.
    if (!(error instanceof SplitTraffic) && !(error instanceof RulesDisagree)) throw error
    pair = read.check(recorded?.live ?? ctx.settings.services[0], true)
  }
  const rules = read.rules.map(rule => ruleWeights(rule, pair))
  const shares = sharesText(pair)
  log.info(`Pair: live ${pair.live.name}, idle ${pair.idle.name}: ${shares}`)
  for (const rule of rules) log.info(`  ${rule.arn}: ${weightsLine(rule)}`)
  const facts = recorded ? recordFacts(recorded) : ['No rollout is recorded on these rules yet.']
  for (const line of facts) log.info(line)
  const reason = recorded ? `${recorded.phase}: ${shares}` : `no rollout recorded: ${shares}`
  const markdown = renderEnding({
    subject: `${pair.live.name} ⇄ ${pair.idle.name} on ${ctx.settings.cluster}`,
    headline: `**Status** (nothing was changed): ${reason}.`,
    revision: recorded?.revision || pair.idle.taskDefinition,
    commit: recorded?.commit ?? 'none recorded',
    facts,
    rules
  })
  return {
    outcome: {
      result: 'unchanged',
      tenths: pair.tenths,
      reason,
      liveService: pair.live.name,
      idleService: pair.idle.name
    },
    failed: false,
    settled: true,
    taskDefinitionArn: recorded?.revision || pair.idle.taskDefinition,
    summaryMarkdown: markdown
  }
}

function recordFacts(recorded: RecordedState): string[] {
  return [
    `Phase: ${recorded.phase} (updated ${recorded.updated})`,
    `Plan: ${recorded.plan}`,
    `Owner: ${ownerUrl(recorded.owner)}`,
    ...(recorded.revision ? [`Revision: ${recorded.revision}`] : []),
    ...(recorded.commit ? [`Commit: ${recorded.commit}`] : []),
    ...(recorded.reason ? [`Reason: ${recorded.reason}`] : [])
  ]
}
