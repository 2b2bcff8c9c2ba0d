/**
 * Restore, the traffic adapter's way back: 100 % on live on every rule, retried with backoff
 * within a budget and verified by reading back; and the CLI commands for a human when even that
 * fails. Works on the adapter through `RestoreHost`, so `ElbTraffic` keeps its state.
 */
import { formatDuration } from '../../engine/plan.js'
import type { GroupPair } from '../../engine/types.js'
import { ActionsError, ALL_ON_LIVE, forwardTargets, isAllOnLive, withWeights } from './actions.js'
import {
  errorText,
  READBACK_DELAY_MS,
  READBACK_TRIES,
  RULE_READS,
  type Entry,
  type Found
} from './rules.js'
import { printNow } from './restore-commands.js'
import { canClearByItself } from '../retryable.js'
import type { RestoreHost } from './restore-host.js'

export { restoreCommands } from './restore-commands.js'
export type { RestoreHost } from './restore-host.js'
import { OutOfTime, within } from '../within.js'

/** The part of a restore's budget its first read may take before it falls back to the cache. */
const FIRST_READ_SHARE = 1 / 3
/** The least a restore's read-back gets, even at the end of the budget. */
const LAST_READ_MS = 1_000
/** Restore's per-rule backoff: 250 ms doubling up to 4 s, always within the budget. */
const BACKOFF_MS = 250
const BACKOFF_MAX_MS = 4000

/** The rules `restore` could not put back on live (and verify) within its budget. */
export class RestoreError extends Error {
  constructor(
    /** The listener-rule / listener ARNs still not verified at 100 % live. */
    readonly rules: readonly string[],
    /** Why, per ARN: the last error seen. */
    readonly reasons: Readonly<Record<string, string>>,
    budgetMs: number
  ) {
    super(
      `Could not put all traffic back on the live target group within ${formatDuration(budgetMs)}; ` +
        `these may still send traffic to the new revision: ${rules.map(r => `${r} (${reasons[r] ?? 'not verified'})`).join('; ')}`
    )
    this.name = 'RestoreError'
  }
}

/**
 * Puts 100 % on live on every rule, all at once, each rule retrying failed writes with
 * backoff until it lands or `budgetMs` (by `deps.clock`) runs out; then reads back. Rules
 * already all on live are not written. Throws `RestoreError` naming the rules not restored.
 * `signal` ends the retries early.
 */
export async function restore(
  host: RestoreHost,
  groups: GroupPair,
  opts: { budgetMs: number; signal?: AbortSignal }
): Promise<void> {
  const { clock, log } = host.deps
  const deadline = clock.now() + opts.budgetMs
  // Why each rule is not restored yet: its last write's failure, and the last read's.
  const failedWrites: Record<string, string | undefined> = {}
  const lastRead: { failed?: string; hopeless?: boolean } = {}
  const failure = () =>
    new RestoreError(pending, reasonsOf(pending, failedWrites, lastRead.failed), opts.budgetMs)
  // Fresh actions keep changes made since the last read; the cache is the fallback, and a
  // stalled read must leave most of the budget to the writes.
  let found = await tryDescribe(host, lastRead, clock.now() + opts.budgetMs * FIRST_READ_SHARE)
  // A read right after this run's own write may still show the rule as it was (ELB's reads
  // lag its writes): a rule this run last saw off live is written whatever the read says.
  const known = host.cached()
  let pending = host.reader.arns.filter(
    arn =>
      !found ||
      !onLive(found.get(arn), groups) ||
      (known?.has(arn) === true && !onLive(known.get(arn), groups))
  )
  if (pending.length === 0) log.info('All traffic is already on the live target group.')
  const hopeless = new Set<string>()
  for (let round = 0; pending.length > 0; round++) {
    // A round that could not verify is not repeated at once: against a throttled or failing
    // API, hammering makes it worse. The wait doubles like a write's retries.
    if (round > 0) {
      const wait = Math.min(BACKOFF_MS * 2 ** (round - 1), BACKOFF_MAX_MS, deadline - clock.now())
      await clock.sleep(wait, opts.signal)
    }
    const source = found ?? host.cached()
    // Never empty: a round that left only rules waiting for a human has thrown.
    const todo = pending.filter(arn => !hopeless.has(arn))
    const outcomes = await Promise.all(
      todo.map(async arn => {
        const outcome = await restoreRule(
          host,
          arn,
          source?.get(arn),
          groups,
          deadline,
          opts.signal
        )
        // Printed the moment it is known, while the other rules are still being retried.
        if (outcome.hopeless) printNow(host, [arn], { [arn]: outcome.reason }, groups)
        return outcome
      })
    )
    todo.forEach((arn, i) => {
      const outcome = outcomes[i]
      if (outcome.hopeless) hopeless.add(arn)
      failedWrites[arn] = outcome.reason
    })
    const verified = new Set(todo.filter((_, i) => outcomes[i].verified))
    pending = pending.filter(arn => !verified.has(arn))
    const waiting = () => pending.some(arn => !hopeless.has(arn))
    for (let read = 0; pending.length > 0 && read < READBACK_TRIES; read++) {
      // Once every rule left waits for a human, or no retry can read them, one read is enough.
      if (read > 0 && (!waiting() || lastRead.hopeless)) break
      if (read > 0 && (clock.now() >= deadline || opts.signal?.aborted)) break
      if (read > 0) await clock.sleep(READBACK_DELAY_MS, opts.signal)
      // A write that landed at the deadline still gets one quick read to be verified.
      const fresh = await tryDescribe(
        host,
        lastRead,
        Math.max(deadline, clock.now() + LAST_READ_MS)
      )
      if (fresh) found = fresh
      if (fresh) pending = pending.filter(arn => !onLive(fresh.get(arn), groups))
    }
    if (pending.length > 0 && (clock.now() >= deadline || opts.signal?.aborted)) {
      throw failure()
    }
    if (pending.length > 0 && !waiting()) throw failure()
    // The rules cannot be read back, and no retry will change that: verifying is hopeless.
    if (pending.length > 0 && lastRead.hopeless) {
      // Stryker disable next-line StringLiteral: unreachable, a read found hopeless always says why
      const failed = lastRead.failed ?? ''
      const why = `not verified: ${failed}`
      printNow(host, pending, Object.fromEntries(pending.map(arn => [arn, why])), groups)
      throw failure()
    }
  }
  if (found) host.remember(found)
}

/** How one rule's restore ended: `hopeless` always says why. */
type RuleOutcome =
  | { hopeless: true; reason: string; verified?: undefined }
  | { hopeless?: false; reason?: string; verified?: boolean }

/**
 * One rule's restore: retries until the write lands, or says why it gave up (`hopeless` when
 * the rule's actions cannot carry the pair, or the error is one no retry fixes: AccessDenied,
 * a validation error). `verified` when ELB's own answer to the write shows all on live.
 */
async function restoreRule(
  host: RestoreHost,
  arn: string,
  entry: Entry | undefined,
  groups: GroupPair,
  deadline: number,
  signal?: AbortSignal
): Promise<RuleOutcome> {
  const { clock, log } = host.deps
  let last = ''
  for (let attempt = 1; ; attempt++) {
    try {
      // Every attempt ends with the budget, however long the API holds the call.
      const what = `${entry?.call ?? 'DescribeRules/DescribeListeners'} for ${arn}`
      const answered = await within(deadline - clock.now(), what, async abort => {
        entry ??= (await host.reader.describe([arn], abort)).get(arn) as Entry
        const actions = withWeights(entry.actions, groups, ALL_ON_LIVE, entry.label)
        return host.write(entry, actions, abort)
      })
      // ELB's answer is the rule as written: all on live there is verified, whatever a lagging
      // read says next.
      const verified =
        answered !== undefined && isAllOnLive(forwardTargets(answered).targets, groups)
      return { verified }
    } catch (err) {
      if (err instanceof ActionsError) return { reason: err.message, hopeless: true }
      // A denial or a refused request fails the same way every time: a human must act now.
      if (!canClearByItself(err)) return { reason: errorText(err), hopeless: true }
      // An attempt cut short by the budget says less than the failure before it.
      last = err instanceof OutOfTime && last ? `${last}; then ${errorText(err)}` : errorText(err)
      const left = deadline - clock.now()
      if (left <= 0 || signal?.aborted) return { reason: last }
      const wait = Math.min(BACKOFF_MS * 2 ** (attempt - 1), BACKOFF_MAX_MS, left)
      log.warn(`Retry ${attempt} in ${formatDuration(wait)}: ${errorText(err)}`)
      await clock.sleep(wait, signal)
    }
  }
}

/** `describe` ending by `deadline`, or `undefined` (noting why in `read`) when it fails. */
async function tryDescribe(
  host: RestoreHost,
  read: { failed?: string; hopeless?: boolean },
  deadline: number
): Promise<Found | undefined> {
  try {
    const found = await within(deadline - host.deps.clock.now(), RULE_READS, abort =>
      host.reader.describe(undefined, abort)
    )
    read.failed = undefined
    read.hopeless = false
    return found
  } catch (err) {
    host.deps.log.warn(`Could not read the listener rules back: ${errorText(err)}`)
    read.failed = errorText(err)
    read.hopeless = !canClearByItself(err)
    return undefined
  }
}

/** Per rule: why its write failed, and why it could not be verified, whichever apply. */
function reasonsOf(
  arns: readonly string[],
  failedWrites: Readonly<Record<string, string | undefined>>,
  failedRead: string | undefined
): Record<string, string> {
  return Object.fromEntries(
    arns.map(arn => {
      const why = [failedWrites[arn], failedRead && `not verified: ${failedRead}`]
      return [arn, why.filter(Boolean).join('; ') || 'not verified']
    })
  )
}

function onLive(entry: Entry | undefined, groups: GroupPair): boolean {
  return entry !== undefined && isAllOnLive(forwardTargets(entry.actions).targets, groups)
}
