/**
 * The refusals of the pre-flight checks, as types the modes can tell apart: a split or rules out
 * of step are states with a way out, not configuration errors.
 */
import { describeShare } from './rollout.js'
import type { RuleView } from './types.js'
import { rollbackTo } from './wayout.js'

/** The fields of a service a refusal names. */
interface Named {
  readonly name: string
}

/** One or more checks failed; the message lists them all. Nothing was written. */
export class PreflightError extends Error {
  override name = 'PreflightError'
  constructor(readonly problems: readonly string[]) {
    super(
      problems.length === 1
        ? problems[0]
        : `${problems.length} problems:\n${problems.map(p => `  - ${p}`).join('\n')}`
    )
  }
}

/** The rules of a recorded rollout give the new revision different shares. */
export class RulesDisagree extends PreflightError {
  override name = 'RulesDisagree'
}

/** Traffic is split between the pair (or the rules disagree): an unfinished rollout. */
export class SplitTraffic extends Error {
  override name = 'SplitTraffic'
  constructor(
    readonly services: readonly [Named, Named],
    readonly rules: readonly RuleView[],
    readonly groups: [string, string]
  ) {
    const pair = { live: groups[0], idle: groups[1] }
    const shares = rules
      .map(r => `${r.arn}: ${describeShare(r, pair).text} on ${services[1].name}`)
      .join('; ')
    // A forward listing both groups without weights reads back with weight 1 on each, a 50/50
    // split: TargetGroupTuple.Weight is optional, 0-999 (ELB API reference, API_TargetGroupTuple);
    // weights 1 and 1 split evenly (CloudFormation ListenerRule ForwardConfig, weighted example);
    // the default of 1 was checked against AWS for moto (getmoto/moto#9174). Common at first.
    const evenSplit = rules.some(
      r => r.targets.length === 2 && r.targets.every(t => t.weight === 1)
    )
      ? ' Weights 1/1 are what ELB sets when a forward lists both groups without weights: write 100 and 0 explicitly, or let the rollback below do it.'
      : ''
    super(
      `traffic is split between ${services[0].name} and ${services[1].name} (${shares}), so which one is live is not clear and no rollout can start.${evenSplit} Choose the live one: ${rollbackTo(services.map(s => s.name))}`
    )
  }
}
