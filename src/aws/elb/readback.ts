/**
 * A shift's read-back: every rule must show the new weights. ELB's own answer to the write is
 * the first proof; DescribeRules may trail it for a moment (read-after-write lag), which is
 * waited for, bounded, and told apart from a rule showing anything else.
 */
import type { Action } from '@aws-sdk/client-elastic-load-balancing-v2'
import { formatDuration } from '../../engine/plan.js'
import type { Clock, GroupPair, Weights } from '../../engine/types.js'
import { forwardTargets, hasWeights } from './actions.js'
import {
  errorText,
  READBACK_DELAY_MS,
  READBACK_TRIES,
  RULE_READS,
  type Entry,
  type Found,
  type RuleReader
} from './rules.js'
import { OutOfTime, within } from '../within.js'

/**
 * How long a shift's read-back may take in all. Every read is cut off there too: a stalled
 * DescribeRules holds one call for four attempts × 4 s, while the traffic sits unverified.
 */
const READBACK_BUDGET_MS = 10_000

/**
 * Reads back until every rule shows `weights`, READBACK_DELAY_MS apart; and resolves with
 * what it read. A rule that still shows its weights from `before` is read-after-write lag (ELB's
 * reads trail its writes for a moment) and is waited for up to READBACK_BUDGET_MS; anything
 * else, or a read that fails, gets READBACK_TRIES reads. `confirmed`: every write's own answer
 * already showed the new weights.
 */
export async function awaitWeights(
  reader: RuleReader,
  clock: Clock,
  opts: {
    groups: GroupPair
    weights: Weights
    before: Found
    confirmed: boolean
    signal?: AbortSignal
    /** The rules that must show `weights` (read alone); unset: every rule of the reader. */
    arns?: readonly string[]
  }
): Promise<Found> {
  const { groups, weights, before, confirmed, signal, arns } = opts
  const started = clock.now()
  const deadline = started + READBACK_BUDGET_MS
  let problem = ''
  let lagging = false
  let tries = 0
  let otherTries = 0
  for (let read = 0; ; read++) {
    if (otherTries >= READBACK_TRIES) break
    if (read > 0) await clock.sleep(READBACK_DELAY_MS, signal)
    if (signal?.aborted) throw new Error(`Cancelled while checking the new weights. ${problem}`)
    if (read > 0 && clock.now() >= deadline) break
    tries++
    try {
      const found = await within(
        deadline - clock.now(),
        RULE_READS,
        abort => reader.describe(arns, abort),
        signal
      )
      const wrong = [...found.values()].filter(
        e => !hasWeights(forwardTargets(e.actions).targets, groups, weights)
      )
      if (wrong.length === 0) return found
      const stale = (e: Entry) => sameTargets(e.actions, before.get(e.arn)?.actions)
      lagging = confirmed && wrong.every(stale)
      if (!lagging) otherTries++
      problem = wrong.map(e => `${e.label} shows ${targetsText(e.actions)}`).join('; ')
    } catch (err) {
      // A read cut short by the end of the wait itself (on a slow API or a loaded runner) says
      // nothing new about the rules: what the reads before it showed stands.
      if (err instanceof OutOfTime && lagging) {
        problem = `${problem} (the last read, cut short: ${errorText(err)})`
        break
      }
      otherTries++
      lagging = false
      problem = errorText(err)
    }
  }
  const waited = formatDuration(clock.now() - started)
  if (lagging) {
    throw new Error(
      `ModifyRule answered with the new weights (live ${weights.live}, idle ${weights.idle}), but DescribeRules still shows the previous weights after ${waited}: ${problem}. ELB's reads trail its writes for a moment, not this long; check the rules with 'aws elbv2 describe-rules'`
    )
  }
  throw new Error(
    `The new weights (live ${weights.live}, idle ${weights.idle}) were written but did not read back after ${tries} ${tries === 1 ? 'try' : 'tries'}: ${problem}`
  )
}

/** Whether two action lists forward with the same weights to the same groups. */
function sameTargets(a: readonly Action[], b: readonly Action[] | undefined): boolean {
  if (!b) return false
  const text = (actions: readonly Action[]) =>
    forwardTargets(actions)
      .targets.map(t => `${t.arn}=${t.weight}`)
      .sort()
      .join(',')
  return text(a) === text(b)
}

/** A rule's forward targets as `arn=weight, …`, for messages. */
export function targetsText(actions: readonly Action[]): string {
  const { targets } = forwardTargets(actions)
  return targets.length ? targets.map(t => `${t.arn}=${t.weight}`).join(', ') : 'no forward target'
}
