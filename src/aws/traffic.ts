/**
 * The ELBv2 traffic adapter: reads listener rules (and listener default actions), moves the
 * pair's weights on all of them in lockstep, puts all traffic back on live, and tags the rules.
 * The action-list rewriting itself is pure and lives in `actions.ts`.
 */
import {
  AddTagsCommand,
  ModifyListenerCommand,
  ModifyRuleCommand,
  type Action,
  type ElasticLoadBalancingV2Client
} from '@aws-sdk/client-elastic-load-balancing-v2'
import { formatDuration, percentText, weightsFor } from '../plan.js'
import type { Clock, GroupPair, Log, RuleView, Tenths, Weights } from '../types.js'
import {
  ActionsError,
  ALL_ON_LIVE,
  cliCommand,
  forwardOnly,
  forwardTargets,
  hasWeights,
  isAllOnLive,
  redacted,
  withWeights,
  writable
} from './actions.js'
import { errorText, RuleReader, wrap, type Entry, type Found } from './rules.js'
import { settleBounded } from './bounded.js'
import { canClearByItself } from './retryable.js'
import { OutOfTime, within } from './within.js'

/** Reads after a write until ELB shows it: a few tries a few hundred ms apart. */
const READBACK_TRIES = 5
const READBACK_DELAY_MS = 300
/**
 * How long a shift's read-back may take in all. Every read is cut off there too: a stalled
 * DescribeRules holds one call for four attempts × 4 s, while the traffic sits unverified.
 */
const READBACK_BUDGET_MS = 10_000
/** The part of a restore's budget its first read may take before it falls back to the cache. */
const FIRST_READ_SHARE = 1 / 3
/** The least a restore's read-back gets, even at the end of the budget. */
const LAST_READ_MS = 1_000
/** Restore's per-rule backoff: 250 ms doubling up to 4 s, always within the budget. */
const BACKOFF_MS = 250
const BACKOFF_MAX_MS = 4000
/** AddTags calls in flight at once: near the ELB API write bucket refill (about 3 a second). */
const TAG_CONCURRENCY = 3

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

/** What the adapter needs besides the client. */
export interface TrafficDeps {
  readonly clock: Clock
  readonly log: Log
  /** The client's region: ARNs are checked against it and the printed commands name it. */
  readonly region: string
}

/**
 * Moves traffic between the two target groups of a pair on every listener rule (or listener
 * default action) given, as one unit.
 */
export class ElbTraffic {
  private readonly reader: RuleReader
  private cache: Found | undefined

  /**
   * `arns`: listener-rule ARNs, or listener ARNs meaning the listener's default actions.
   * Throws for an ARN that is neither, or lies outside `deps.region`.
   */
  constructor(
    private readonly client: ElasticLoadBalancingV2Client,
    arns: readonly string[],
    private readonly deps: TrafficDeps
  ) {
    this.reader = new RuleReader(client, arns, deps.region)
  }

  /** Reads every rule's forward targets and tags, in input order, and caches the action lists. */
  async read(): Promise<RuleView[]> {
    const [found, tags] = await Promise.allSettled([this.reader.describe(), this.reader.tags()])
    // A missing rule fails DescribeTags too; the describe error names it better.
    if (found.status === 'rejected') throw found.reason
    if (tags.status === 'rejected') throw tags.reason
    this.cache = found.value
    return [...found.value.values()].map(e => ({
      arn: e.arn,
      kind: e.kind,
      ...forwardTargets(e.actions),
      tags: tags.value.get(e.arn) ?? {}
    }))
  }

  /**
   * Gives the idle group exactly `tenths` on every rule, all written at once. If any write
   * fails, the rules already written are put back and the error says so. Resolves once every
   * rule reads back with the new weights.
   */
  async shift(
    groups: GroupPair,
    tenths: Tenths,
    opts: { signal?: AbortSignal } = {}
  ): Promise<void> {
    const before = this.cache
    if (!before) throw new Error('ElbTraffic.shift was called before read(); read the rules first')
    const weights = weightsFor(tenths)
    // Rewrite every list before writing any, so a rule that cannot carry the pair moves nothing.
    const planned = [...before.values()].map(entry => ({
      entry,
      actions: withWeights(entry.actions, groups, weights, entry.label)
    }))
    if (opts.signal?.aborted) {
      throw new Error(`Moving to ${percentText(tenths)} was cancelled before any rule was written`)
    }
    // Not cut short by a cancel: a write abandoned in flight can still land after the rollback
    // has read the rule back as restored, leaving it split. The SDK's own timeouts bound it.
    const results = await Promise.allSettled(
      planned.map(async p => {
        // ELB answers with the rule as written: verify the write there first.
        const answered = await this.write(p.entry, p.actions)
        if (answered && !hasWeights(forwardTargets(answered).targets, groups, weights)) {
          throw new Error(
            `${p.entry.call} answered for ${p.entry.label} with ${targetsText(answered)} instead of the new weights`
          )
        }
        return answered
      })
    )
    const failures = results.flatMap(r => (r.status === 'rejected' ? [r.reason as unknown] : []))
    if (failures.length > 0) {
      const written = planned.filter((_, i) => results[i].status === 'fulfilled')
      throw await this.revert(
        tenths,
        failures,
        written.map(p => p.entry)
      )
    }
    const confirmed = planned.every((_, i) => {
      const r = results[i]
      return r.status === 'fulfilled' && r.value !== undefined
    })
    // What ELB answered is what the rules now carry, whatever a lagging read says.
    this.cache = new Map(
      planned.map(({ entry }, i) => {
        const r = results[i]
        const actions = r.status === 'fulfilled' && r.value ? r.value : entry.actions
        return [entry.arn, { ...entry, actions }]
      })
    )
    await this.awaitWeights(groups, weights, before, confirmed, opts.signal)
  }

  /**
   * Puts 100 % on live on every rule, all at once, each rule retrying failed writes with
   * backoff until it lands or `budgetMs` (by `deps.clock`) runs out; then reads back. Rules
   * already all on live are not written. Throws `RestoreError` naming the rules not restored.
   * `signal` ends the retries early.
   */
  async restore(
    groups: GroupPair,
    opts: { budgetMs: number; signal?: AbortSignal }
  ): Promise<void> {
    const { clock, log } = this.deps
    const deadline = clock.now() + opts.budgetMs
    // Why each rule is not restored yet: its last write's failure, and the last read's.
    const failedWrites: Record<string, string> = {}
    const lastRead: { failed?: string; hopeless?: boolean } = {}
    const failure = () =>
      new RestoreError(pending, reasonsOf(pending, failedWrites, lastRead.failed), opts.budgetMs)
    // Fresh actions keep changes made since the last read; the cache is the fallback, and a
    // stalled read must leave most of the budget to the writes.
    let found = await this.tryDescribe(lastRead, clock.now() + opts.budgetMs * FIRST_READ_SHARE)
    // A read right after this run's own write may still show the rule as it was (ELB's reads
    // lag its writes): a rule this run last saw off live is written whatever the read says.
    const known = this.cache
    let pending = this.reader.arns.filter(
      arn =>
        !found ||
        !onLive(found.get(arn), groups) ||
        (known?.has(arn) && !onLive(known.get(arn), groups))
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
      const source = found ?? this.cache
      const todo = pending.filter(arn => !hopeless.has(arn))
      if (todo.length === 0) throw failure()
      const outcomes = await Promise.all(
        todo.map(async arn => {
          const outcome = await this.restoreRule(
            arn,
            source?.get(arn),
            groups,
            deadline,
            opts.signal
          )
          // Printed the moment it is known, while the other rules are still being retried.
          if (outcome.hopeless) this.printNow([arn], { [arn]: outcome.reason ?? '' }, groups)
          return outcome
        })
      )
      todo.forEach((arn, i) => {
        const outcome = outcomes[i]
        if (outcome.hopeless) hopeless.add(arn)
        if (outcome.reason) failedWrites[arn] = outcome.reason
        else delete failedWrites[arn]
      })
      const verified = new Set(todo.filter((_, i) => outcomes[i].verified))
      pending = pending.filter(arn => !verified.has(arn))
      const waiting = () => pending.some(arn => !hopeless.has(arn))
      for (let read = 0; pending.length > 0 && read < READBACK_TRIES; read++) {
        // Once every rule left is waiting for a human, one read to verify is enough.
        if (read > 0 && (!waiting() || lastRead.hopeless)) break
        if (read > 0 && (clock.now() >= deadline || opts.signal?.aborted)) break
        if (read > 0) await clock.sleep(READBACK_DELAY_MS, opts.signal)
        // A write that landed at the deadline still gets one quick read to be verified.
        const fresh = await this.tryDescribe(
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
        const why = `not verified: ${lastRead.failed ?? ''}`
        this.printNow(pending, Object.fromEntries(pending.map(arn => [arn, why])), groups)
        throw failure()
      }
    }
    if (found) this.cache = found
  }

  /**
   * The AWS CLI commands that put 100 % on live, one per rule, for a human to run when even
   * `restore` failed. Each carries the full action list as last read; a rule never read gets a
   * comment line and a forward-only list.
   */
  restoreCommands(groups: GroupPair): string[] {
    return this.reader.arns.flatMap(arn => {
      const entry = this.cache?.get(arn)
      if (!entry) {
        const kind = this.reader.isListener(arn) ? 'ModifyListener' : 'ModifyRule'
        return [
          `# The actions of ${arn} were never read: this replaces them with a single forward; check 'aws elbv2 describe-rules' first`,
          cliCommand(kind, arn, this.deps.region, forwardOnly(groups, ALL_ON_LIVE))
        ]
      }
      try {
        const actions = withWeights(entry.actions, groups, ALL_ON_LIVE, entry.label)
        return [cliCommand(entry.call, entry.target, this.deps.region, actions)]
      } catch (err) {
        return [`# ${errorText(err)}`]
      }
    })
  }

  /**
   * Adds `tags` to every rule and listener given, one AddTags call per ARN: ELB refuses a list
   * ("ValidationError: Only one resource can be tagged at a time", aws-sdk-go-v2 issue 2715).
   * At most TAG_CONCURRENCY calls are in flight, near ELB's write refill rate. Every ARN is
   * tried; the error names the ones that failed. `withinMs` bounds each call, retries included
   * (under a cancel the runner's kill is seconds away).
   */
  async tag(tags: Record<string, string>, opts: { withinMs?: number } = {}): Promise<void> {
    const Tags = Object.entries(tags).map(([Key, Value]) => ({ Key, Value }))
    if (Tags.length === 0) return
    const send = (command: AddTagsCommand) =>
      opts.withinMs === undefined
        ? this.client.send(command)
        : within(opts.withinMs, 'AddTags', abortSignal =>
            this.client.send(command, { abortSignal })
          )
    const arns = this.reader.arns
    const results = await settleBounded(arns, TAG_CONCURRENCY, arn =>
      send(new AddTagsCommand({ ResourceArns: [arn], Tags }))
    )
    const failed = arns.flatMap((arn, i) => {
      const r = results[i]
      return r.status === 'rejected' ? [wrap('AddTags', arn, r.reason)] : []
    })
    if (failed.length === 1) throw failed[0]
    if (failed.length > 1) {
      throw new Error(failed.map(e => e.message).join('; '), { cause: failed[0].cause })
    }
  }

  /**
   * Writes one rule's actions; `signal` (a cancel, or a budget's end) cuts the call short.
   * Resolves with the actions ELB answered with (the rule or listener as written), when it did.
   */
  private async write(
    entry: Entry,
    actions: Action[],
    signal?: AbortSignal
  ): Promise<Action[] | undefined> {
    this.deps.log.debug(`${entry.call} ${entry.target}: ${JSON.stringify(redacted(actions))}`)
    const send = async (abortSignal: AbortSignal) => {
      if (entry.call === 'ModifyRule') {
        const out = await this.client.send(
          new ModifyRuleCommand({ RuleArn: entry.target, Actions: actions }),
          { abortSignal }
        )
        return out?.Rules?.find(r => r.RuleArn === entry.target)?.Actions
      }
      const out = await this.client.send(
        new ModifyListenerCommand({ ListenerArn: entry.target, DefaultActions: actions }),
        { abortSignal }
      )
      return out?.Listeners?.find(l => l.ListenerArn === entry.target)?.DefaultActions
    }
    try {
      return await within(Infinity, entry.call, send, signal)
    } catch (err) {
      throw wrap(entry.call, entry.label, err)
    }
  }

  /** Lockstep: puts the written rules back as they were read, and builds the error to throw. */
  private async revert(tenths: Tenths, failures: unknown[], written: Entry[]): Promise<Error> {
    const results = await Promise.allSettled(written.map(e => this.write(e, writable(e.actions))))
    const back = written.filter((_, i) => results[i].status === 'fulfilled').map(e => e.label)
    const stuck = results.flatMap(r => (r.status === 'rejected' ? [errorText(r.reason)] : []))
    let others = 'No other rule had been changed.'
    if (back.length) others = `The rules already written were put back: ${back.join(', ')}.`
    if (stuck.length) {
      others += ` Putting back failed too (${stuck.join('; ')}): roll back to restore the other rules.`
    }
    return new Error(
      `Moving to ${percentText(tenths)} failed: ${failures.map(errorText).join('; ')}. ${others}`,
      { cause: failures[0] }
    )
  }

  /**
   * Reads back until every rule shows `weights`, READBACK_DELAY_MS apart; then refreshes the
   * cache. A rule that still shows its weights from `before` is read-after-write lag (ELB's
   * reads trail its writes for a moment) and is waited for up to READBACK_BUDGET_MS; anything
   * else, or a read that fails, gets READBACK_TRIES reads. `confirmed`: every write's own answer
   * already showed the new weights.
   */
  private async awaitWeights(
    groups: GroupPair,
    weights: Weights,
    before: Found,
    confirmed: boolean,
    signal?: AbortSignal
  ) {
    const { clock } = this.deps
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
          abort => this.reader.describe(undefined, abort),
          signal
        )
        const wrong = [...found.values()].filter(
          e => !hasWeights(forwardTargets(e.actions).targets, groups, weights)
        )
        if (wrong.length === 0) {
          this.cache = found
          return
        }
        const stale = (e: Entry) => sameTargets(e.actions, before.get(e.arn)?.actions)
        lagging = confirmed && wrong.every(stale)
        if (!lagging) otherTries++
        problem = wrong.map(e => `${e.label} shows ${targetsText(e.actions)}`).join('; ')
      } catch (err) {
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

  /**
   * One rule's restore: retries until the write lands, or says why it gave up (`hopeless` when
   * the rule's actions cannot carry the pair, which no retry fixes).
   */
  private async restoreRule(
    arn: string,
    entry: Entry | undefined,
    groups: GroupPair,
    deadline: number,
    signal?: AbortSignal
  ): Promise<{ reason?: string; hopeless?: boolean; verified?: boolean }> {
    const { clock, log } = this.deps
    let last = ''
    for (let attempt = 1; ; attempt++) {
      try {
        // Every attempt ends with the budget, however long the API holds the call.
        const what = `${entry?.call ?? 'DescribeRules/DescribeListeners'} for ${arn}`
        const answered = await within(deadline - clock.now(), what, async abort => {
          entry ??= (await this.reader.describe([arn], abort)).get(arn) as Entry
          const actions = withWeights(entry.actions, groups, ALL_ON_LIVE, entry.label)
          return this.write(entry, actions, abort)
        })
        // ELB's answer is the rule as written: all on live there is verified, whatever a
        // lagging read says next.
        return {
          verified: answered !== undefined && isAllOnLive(forwardTargets(answered).targets, groups)
        }
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
  private async tryDescribe(
    read: { failed?: string; hopeless?: boolean },
    deadline: number
  ): Promise<Found | undefined> {
    try {
      const found = await within(deadline - this.deps.clock.now(), RULE_READS, abort =>
        this.reader.describe(undefined, abort)
      )
      read.failed = undefined
      read.hopeless = false
      return found
    } catch (err) {
      this.deps.log.warn(`Could not read the listener rules back: ${errorText(err)}`)
      read.failed = errorText(err)
      read.hopeless = !canClearByItself(err)
      return undefined
    }
  }

  /**
   * Prints the commands for `arns` the moment they cannot be restored automatically, so a human
   * can act while the rules that can clear are still being retried.
   */
  private printNow(arns: readonly string[], reasons: Record<string, string>, groups: GroupPair) {
    const only = new Set(arns)
    const commands = this.restoreCommands(groups).filter(line =>
      [...only].some(arn => line.includes(arn))
    )
    const why = arns.map(arn => `${arn}: ${reasons[arn] ?? 'not verified'}`).join('; ')
    this.deps.log.warn(
      `Traffic on these rules cannot be restored automatically (${why}). Run these commands now to put all traffic back on the live target group:\n${commands.join('\n')}`
    )
  }
}

const RULE_READS = 'DescribeRules/DescribeListeners'

/** Per rule: why its write failed, and why it could not be verified, whichever apply. */
function reasonsOf(
  arns: readonly string[],
  failedWrites: Readonly<Record<string, string>>,
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

function targetsText(actions: readonly Action[]): string {
  const { targets } = forwardTargets(actions)
  return targets.length ? targets.map(t => `${t.arn}=${t.weight}`).join(', ') : 'no forward target'
}
