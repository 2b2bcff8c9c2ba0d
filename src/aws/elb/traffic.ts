/**
 * The ELBv2 traffic adapter: reads listener rules (and listener default actions), moves the
 * pair's weights on all of them in lockstep, puts all traffic back on live, and tags the rules.
 * The action-list rewriting itself is pure and lives in `actions.ts`; restore in `restore.ts`.
 */
import {
  AddTagsCommand,
  ModifyListenerCommand,
  ModifyRuleCommand,
  type Action,
  type ElasticLoadBalancingV2Client
} from '@aws-sdk/client-elastic-load-balancing-v2'
import { percentText, weightsFor } from '../../engine/plan.js'
import type { GroupPair, RuleView, Tenths } from '../../engine/types.js'
import { forwardTargets, hasWeights, redacted, withWeights, writable } from './actions.js'
import { awaitWeights, targetsText } from './readback.js'
import { settleBounded } from '../bounded.js'
import { restore, restoreCommands } from './restore.js'
import type { RestoreHost, TrafficDeps } from './restore-host.js'
import { errorText, RULE_READS, RuleReader, wrap, type Entry, type Found } from './rules.js'
import { within } from '../within.js'

export { RestoreError } from './restore.js'
export type { TrafficDeps } from './restore-host.js'

/** AddTags calls in flight at once: near the ELB API write bucket refill (about 3 a second). */
const TAG_CONCURRENCY = 3

/**
 * Moves traffic between the two target groups of a pair on every listener rule (or listener
 * default action) given, as one unit.
 */
export class ElbTraffic {
  private readonly reader: RuleReader
  private cache: Found | undefined
  /** The production rules, deduplicated, in input order: the ones `shift` moves. */
  private readonly production: readonly string[]
  /** The test rules (`test-listener-rules`): all on idle from `routeTests`, all on live after. */
  private readonly tests: readonly string[]

  /**
   * `arns`: listener-rule ARNs, or listener ARNs meaning the listener's default actions;
   * `testArns` the same for the test rules. Tags, reads and `restore` cover both sets.
   * Throws for an ARN that is neither, or lies outside `deps.region`.
   */
  constructor(
    private readonly client: ElasticLoadBalancingV2Client,
    arns: readonly string[],
    private readonly deps: TrafficDeps,
    testArns: readonly string[] = []
  ) {
    this.reader = new RuleReader(client, [...arns, ...testArns], deps.region, testArns)
    this.production = [...new Set(arns)]
    this.tests = [...new Set(testArns)]
  }

  /** Reads every rule's targets and tags, in order, caching the actions; `signal` cuts it short. */
  async read(opts: { signal?: AbortSignal } = {}): Promise<RuleView[]> {
    const [found, tags] = await Promise.allSettled([
      within(Infinity, RULE_READS, abort => this.reader.describe(undefined, abort), opts.signal),
      within(Infinity, 'DescribeTags', abort => this.reader.tags(abort), opts.signal)
    ])
    // A missing rule fails DescribeTags too; the describe error names it better.
    if (found.status === 'rejected') throw found.reason
    if (tags.status === 'rejected') throw tags.reason
    this.cache = found.value
    const view = (arn: string, test: boolean): RuleView => {
      const e = found.value.get(arn) as Entry
      return {
        arn: e.arn,
        kind: e.kind,
        ...forwardTargets(e.actions),
        tags: tags.value.get(e.arn) ?? {},
        ...(test ? { test } : {})
      }
    }
    // An ARN in both lists shows twice, once as a test rule: pre-flight refuses it by that.
    return [...this.production.map(a => view(a, false)), ...this.tests.map(a => view(a, true))]
  }

  /**
   * Points every test rule 100 % at the idle group, all at once, and resolves once each reads
   * back so: the test route to the revision under test, opened before any production weight
   * moves. A failed write is not put back here: the caller rolls back, and `restore` puts the
   * test rules on live with the others.
   */
  async routeTests(groups: GroupPair, opts: { signal?: AbortSignal } = {}): Promise<void> {
    if (this.tests.length === 0) return
    const before = this.cache
    if (!before)
      throw new Error('ElbTraffic.routeTests was called before read(); read the rules first')
    const weights = weightsFor(1000)
    const planned = this.tests.map(arn => {
      const entry = before.get(arn) as Entry
      return { entry, actions: withWeights(entry.actions, groups, weights, entry.label) }
    })
    if (opts.signal?.aborted) {
      throw new Error('Opening the test route was cancelled before any test rule was written')
    }
    const answers = await Promise.all(planned.map(p => this.write(p.entry, p.actions)))
    this.cache = new Map([
      ...before,
      ...planned.map(({ entry }, i): [string, Entry] => [
        entry.arn,
        { ...entry, actions: answers[i] ?? entry.actions }
      ])
    ])
    const found = await awaitWeights(this.reader, this.deps.clock, {
      groups,
      weights,
      before,
      confirmed: answers.every(
        a => a !== undefined && hasWeights(forwardTargets(a).targets, groups, weights)
      ),
      signal: opts.signal,
      arns: this.tests
    })
    this.cache = new Map([...this.cache, ...found])
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
    // Only production rules: the test rules stay all on the canary.
    const planned = this.production
      .map(arn => before.get(arn) as Entry)
      .map(entry => ({
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
    this.cache = new Map([
      ...before,
      ...planned.map(({ entry }, i): [string, Entry] => {
        const r = results[i]
        const actions = r.status === 'fulfilled' && r.value ? r.value : entry.actions
        return [entry.arn, { ...entry, actions }]
      })
    ])
    const found = await awaitWeights(this.reader, this.deps.clock, {
      groups,
      weights,
      before,
      confirmed,
      signal: opts.signal,
      arns: this.production
    })
    this.cache = new Map([...this.cache, ...found])
  }

  /**
   * Puts 100 % on live on every rule, all at once, each rule retrying failed writes with
   * backoff until it lands or `budgetMs` (by `deps.clock`) runs out; then reads back. Rules
   * already all on live are not written. Throws `RestoreError` naming the rules not restored.
   * `signal` ends the retries early. (In `restore.ts`.)
   */
  async restore(
    groups: GroupPair,
    opts: { budgetMs: number; signal?: AbortSignal }
  ): Promise<void> {
    await restore(this.host(), groups, opts)
  }

  /**
   * The AWS CLI commands that put 100 % on live, one per rule, for a human to run when even
   * `restore` failed (in `restore.ts`).
   */
  restoreCommands(groups: GroupPair): string[] {
    return restoreCommands(this.host(), groups)
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
    // One call per rule can leave the record half-written, which misleads every later run: the
    // rules that failed (a passing denial, a lost answer) are tried once more on their own,
    // unless a cancel's short budget leaves no time for it.
    const again = arns.flatMap((_arn, i) => (results[i].status === 'rejected' ? [i] : []))
    if (again.length > 0 && opts.withinMs === undefined) {
      const retried = await settleBounded(again, TAG_CONCURRENCY, i =>
        send(new AddTagsCommand({ ResourceArns: [arns[i]], Tags }))
      )
      again.forEach((i, k) => {
        if (retried[k].status === 'fulfilled') results[i] = retried[k]
      })
    }
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

  /** What `restore.ts` works with: this adapter's reader, cache and writes. */
  private host(): RestoreHost {
    return {
      reader: this.reader,
      deps: this.deps,
      cached: () => this.cache,
      remember: found => {
        this.cache = found
      },
      write: (entry, actions, signal) => this.write(entry, actions, signal)
    }
  }
}
