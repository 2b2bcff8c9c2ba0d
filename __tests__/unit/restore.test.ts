// restore() against a host in memory: what it writes and reads, when (by the fake clock), what it
// remembers, logs and throws. The time limits on each call are real timers (within.ts), so a
// stalled call is a promise that never settles and the budgets here are short.
import { describe, expect, it } from '@jest/globals'
import type { Action } from '@aws-sdk/client-elastic-load-balancing-v2'
import { restore, RestoreError, type RestoreHost } from '../../src/aws/elb/restore.js'
import type { Entry, Found, RuleReader } from '../../src/aws/elb/rules.js'
import type { GroupPair } from '../../src/engine/types.js'
import { FakeClock, MemoryLog } from './fakes.js'

const ACCOUNT = 'arn:aws:elasticloadbalancing:us-east-1:123456789012'
const LIVE = `${ACCOUNT}:targetgroup/web-blue/1111111111111111`
const IDLE = `${ACCOUNT}:targetgroup/web-green/2222222222222222`
const THIRD = `${ACCOUNT}:targetgroup/legacy/3333333333333333`
const groups: GroupPair = { live: LIVE, idle: IDLE }
const RULES = `${ACCOUNT}:listener-rule/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2`
const A = `${RULES}/aaaaaaaaaaaaaaaa`
const B = `${RULES}/bbbbbbbbbbbbbbbb`

function forward(live: number, idle: number, third?: number): Action[] {
  return [
    {
      Type: 'forward',
      Order: 1,
      ForwardConfig: {
        TargetGroups: [
          { TargetGroupArn: LIVE, Weight: live },
          { TargetGroupArn: IDLE, Weight: idle },
          ...(third === undefined ? [] : [{ TargetGroupArn: THIRD, Weight: third }])
        ]
      }
    }
  ]
}
const SPLIT = forward(90, 10)
const ON_LIVE = forward(100, 0)

/** `live/idle` as a forward's weights. */
function weights(actions: readonly Action[] | undefined): string {
  const tgs = actions?.find(a => a.Type === 'forward')?.ForwardConfig?.TargetGroups ?? []
  const of = (arn: string) => tgs.find(t => t.TargetGroupArn === arn)?.Weight
  return `${of(LIVE)}/${of(IDLE)}`
}

const entry = (arn: string, actions: Action[]): Entry => ({
  arn,
  kind: 'rule',
  call: 'ModifyRule',
  target: arn,
  label: `listener rule ${arn}`,
  actions: structuredClone(actions)
})

const throttled = () => Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' })
const denied = () =>
  Object.assign(new Error('not authorized'), {
    name: 'AccessDenied',
    $metadata: { httpStatusCode: 403 }
  })
const stalled = () => new Promise<never>(() => undefined)
const realMs = (ms: number) => new Promise<void>(resolve => setTimeout(resolve, ms))

/** A load balancer in memory behind the RestoreHost interface, recording every call. */
class Host implements RestoreHost {
  readonly clock = new FakeClock()
  readonly log = new MemoryLog()
  readonly deps = { clock: this.clock, log: this.log, region: 'us-east-1' }
  readonly started = this.clock.now()
  /** The rules as ELB holds them. */
  readonly elb: Map<string, Action[]>
  /** What read number `n` shows of a rule (nothing: left out of the answer); ELB by default. */
  shown: (arn: string, n: number) => Action[] | undefined = arn => this.elb.get(arn)
  /** Runs before read `n` answers: throw, wait or stall here. */
  onRead: (n: number, arns?: readonly string[]) => Promise<void> | void = () => undefined
  /** Runs before write `n` lands. */
  onWrite: (arn: string, n: number) => Promise<void> | void = () => undefined
  /** Whether ELB answers a write with the rule as written. */
  answers = false
  cache: Found | undefined
  readonly remembered: Found[] = []
  readonly reads: { arns?: readonly string[]; at: number }[] = []
  readonly writes: { arn: string; weights: string; at: number }[] = []
  readonly reader: RuleReader

  constructor(rules: Record<string, Action[]>) {
    this.elb = new Map(
      Object.entries(rules).map(([arn, actions]) => [arn, structuredClone(actions)])
    )
    const arns = Object.keys(rules)
    this.reader = {
      arns,
      isListener: () => false,
      describe: (want?: readonly string[]) => this.describe(want ?? arns, want)
    } as unknown as RuleReader
  }

  /** Caches the rules as ELB holds them now, as an earlier read would have. */
  read(): this {
    this.cache = new Map([...this.elb].map(([arn, actions]) => [arn, entry(arn, actions)]))
    return this
  }

  cached() {
    return this.cache
  }

  remember(found: Found) {
    this.remembered.push(found)
  }

  async write(e: Entry, actions: Action[]): Promise<Action[] | undefined> {
    const n = this.writes.length
    this.writes.push({ arn: e.arn, weights: weights(actions), at: this.elapsed() })
    await this.onWrite(e.arn, n)
    this.elb.set(e.arn, structuredClone(actions))
    return this.answers ? structuredClone(actions) : undefined
  }

  elapsed() {
    return this.clock.now() - this.started
  }

  warnings(about: string) {
    return this.log.lines.filter(l => l.startsWith('warning: ') && l.includes(about))
  }

  private async describe(arns: readonly string[], asked?: readonly string[]): Promise<Found> {
    const n = this.reads.length
    this.reads.push({ ...(asked ? { arns: asked } : {}), at: this.elapsed() })
    await this.onRead(n, asked)
    const found: Found = new Map()
    for (const arn of arns) {
      const actions = this.shown(arn, n)
      if (actions) found.set(arn, entry(arn, actions))
    }
    return found
  }
}

async function failure(p: Promise<unknown>): Promise<RestoreError> {
  try {
    await p
  } catch (error) {
    expect(error).toBeInstanceOf(RestoreError)
    return error as RestoreError
  }
  throw new Error('expected a RestoreError')
}

describe('RestoreError', () => {
  it('names every rule left with its reason, and the budget', () => {
    const error = new RestoreError([A, B], { [A]: 'ThrottlingException: Rate exceeded' }, 5_000)
    expect(error.name).toBe('RestoreError')
    expect(error.message).toBe(
      'Could not put all traffic back on the live target group within 5s; these may still send ' +
        `traffic to the new revision: ${A} (ThrottlingException: Rate exceeded); ${B} (not verified)`
    )
    expect(error.rules).toEqual([A, B])
  })
})

describe('restore', () => {
  it('writes a split rule at once, reads it back, and keeps that read', async () => {
    const host = new Host({ [A]: SPLIT, [B]: ON_LIVE })

    await restore(host, groups, { budgetMs: 10_000 })

    expect(host.writes).toEqual([{ arn: A, weights: '100/0', at: 0 }])
    expect(host.reads).toEqual([{ at: 0 }, { at: 0 }])
    expect(host.remembered).toHaveLength(1)
    expect(weights(host.remembered[0].get(A)?.actions)).toBe('100/0')
    expect(host.log.lines).toEqual([])
  })

  it('writes nothing, and says so, when all traffic is already on live', async () => {
    const host = new Host({ [A]: ON_LIVE, [B]: ON_LIVE })

    await restore(host, groups, { budgetMs: 10_000 })

    expect(host.writes).toEqual([])
    expect(host.reads).toHaveLength(1)
    expect(host.log.lines).toEqual(['All traffic is already on the live target group.'])
    expect(host.remembered).toHaveLength(1)
  })

  it('takes ELB answering a write with all on live as verified, reading nothing back', async () => {
    const host = new Host({ [A]: SPLIT })
    host.answers = true

    await restore(host, groups, { budgetMs: 10_000 })

    expect(host.writes).toHaveLength(1)
    expect(host.reads).toHaveLength(1)
  })

  it('writes the cached actions when the rules cannot be read, and does not keep a read it lacks', async () => {
    const host = new Host({ [A]: SPLIT }).read()
    host.answers = true
    host.onRead = () => {
      throw denied()
    }

    await restore(host, groups, { budgetMs: 10_000 })

    expect(host.writes).toEqual([{ arn: A, weights: '100/0', at: 0 }])
    expect(host.remembered).toHaveLength(0)
    expect(host.log.lines).toEqual([
      'warning: Could not read the listener rules back: AccessDenied: not authorized'
    ])
  })

  it('reads a rule it has no actions for on its own before writing it', async () => {
    const host = new Host({ [A]: SPLIT })
    host.answers = true
    host.onRead = (_n, arns) => {
      if (!arns) throw throttled()
    }

    await restore(host, groups, { budgetMs: 10_000 })

    expect(host.reads).toEqual([{ at: 0 }, { arns: [A], at: 0 }])
    expect(host.writes).toEqual([{ arn: A, weights: '100/0', at: 0 }])
    expect(host.warnings('Retry')).toEqual([])
  })

  it('counts a rule a read left out as not on live, and writes it', async () => {
    const host = new Host({ [A]: SPLIT, [B]: ON_LIVE })
    host.answers = true
    host.shown = (arn, n) => (n === 0 && arn === A ? undefined : host.elb.get(arn))

    await restore(host, groups, { budgetMs: 10_000 })

    expect(host.reads).toEqual([{ at: 0 }, { arns: [A], at: 0 }])
    expect(host.writes).toEqual([{ arn: A, weights: '100/0', at: 0 }])
  })

  it('reads again, 300 ms later, when the first read back still shows the old weights', async () => {
    const host = new Host({ [A]: SPLIT })
    host.shown = (arn, n) => (n < 2 ? SPLIT : host.elb.get(arn))

    await restore(host, groups, { budgetMs: 10_000 })

    expect(host.writes).toHaveLength(1)
    expect(host.reads).toEqual([{ at: 0 }, { at: 0 }, { at: 300 }])
    expect(weights(host.remembered[0].get(A)?.actions)).toBe('100/0')
  })

  it('keeps the rules as last read for the next round when the reads back fail', async () => {
    const host = new Host({ [A]: SPLIT })
    host.onRead = n => {
      if (n >= 1 && n <= 5) throw throttled()
    }
    host.shown = (arn, n) => (n < 6 ? SPLIT : host.elb.get(arn))

    await restore(host, groups, { budgetMs: 10_000 })

    // Round 1: the write, five failed reads 300 ms apart; round 2 after 250 ms writes the
    // actions of the first read again (no read of the rule on its own), and reads it back.
    expect(host.reads.map(r => r.arns)).toEqual(Array(7).fill(undefined))
    expect(host.writes).toEqual([
      { arn: A, weights: '100/0', at: 0 },
      { arn: A, weights: '100/0', at: 1_450 }
    ])
  })

  it('is done when a rule it could not write reads back on live', async () => {
    const host = new Host({ [A]: SPLIT })
    host.onWrite = () => {
      throw denied()
    }
    host.shown = (_arn, n) => (n === 0 ? SPLIT : ON_LIVE)

    await restore(host, groups, { budgetMs: 10_000 })

    expect(host.reads).toHaveLength(2)
    expect(host.writes).toHaveLength(1)
  })

  it('still reads back a write that lands at the very end of the budget', async () => {
    const host = new Host({ [A]: SPLIT })
    // Reads take real time: the last one must get its own second, not what is left (nothing).
    host.onRead = () => realMs(20)
    host.onWrite = (_arn, n) => {
      if (n === 0) throw throttled()
    }

    await restore(host, groups, { budgetMs: 250 })

    expect(host.writes).toEqual([
      { arn: A, weights: '100/0', at: 0 },
      { arn: A, weights: '100/0', at: 250 }
    ])
    expect(host.reads).toEqual([{ at: 0 }, { at: 250 }])
    expect(host.log.lines).toEqual([
      'warning: Retry 1 in 250ms: ThrottlingException: Rate exceeded'
    ])
  })

  it('lets reads and writes that take real time finish within the budget', async () => {
    const host = new Host({ [A]: SPLIT, [B]: SPLIT })
    host.onRead = () => realMs(20)
    host.onWrite = () => realMs(20)

    await restore(host, groups, { budgetMs: 10_000 })

    expect(host.reads).toEqual([{ at: 0 }, { at: 0 }])
    expect(host.writes.map(w => w.arn)).toEqual([A, B])
    expect(host.log.lines).toEqual([])
  })

  it('gives a stalled first read a third of the budget, leaving the rest to the writes', async () => {
    const host = new Host({ [A]: SPLIT }).read()
    host.answers = true
    host.onRead = n => (n === 0 ? stalled() : undefined)

    await restore(host, groups, { budgetMs: 600 })

    // The read's own limit, 200 ms, is named in the warning: no wall-clock measure needed.
    expect(host.writes).toEqual([{ arn: A, weights: '100/0', at: 0 }])
    expect(host.warnings('Could not read the listener rules back')).toEqual([
      'warning: Could not read the listener rules back: OutOfTime: DescribeRules/DescribeListeners did not answer within 200ms'
    ])
  })

  it('waits between rounds no longer than the budget has left', async () => {
    const host = new Host({ [A]: SPLIT })
    // A read that lags forever: nothing is ever verified.
    host.shown = () => SPLIT

    const error = await failure(restore(host, groups, { budgetMs: 1_300 }))

    // Round 1 ends at 1.2 s (five reads 300 ms apart); round 2 waits the 100 ms left, not 250.
    expect(host.elapsed()).toBe(1_300)
    expect(host.writes.map(w => w.at)).toEqual([0, 1_300])
    expect(host.reads).toHaveLength(7)
    expect(error.rules).toEqual([A])
    expect(error.reasons).toEqual({ [A]: 'not verified' })
    expect(error.message).toBe(
      'Could not put all traffic back on the live target group within 1.3s; these may still send ' +
        `traffic to the new revision: ${A} (not verified)`
    )
  })

  it('retries only the rules that can clear, and stops once the rest wait for a human', async () => {
    const host = new Host({ [A]: SPLIT, [B]: SPLIT })
    host.onWrite = arn => {
      if (arn === A) throw denied()
    }
    // B reads back as written only from the seventh read (lag): a second round writes it again.
    host.shown = (arn, n) => (arn === B && n >= 6 ? host.elb.get(arn) : SPLIT)

    const error = await failure(restore(host, groups, { budgetMs: 60_000 }))

    expect(error.rules).toEqual([A])
    expect(error.reasons).toEqual({ [A]: 'AccessDenied: not authorized' })
    expect(host.writes.map(w => `${w.arn === A ? 'A' : 'B'} ${w.at}`)).toEqual([
      'A 0',
      'B 0',
      'B 1450'
    ])
    // Round 2 read once, saw B on live, and stopped: only A is left, and it waits for a human.
    expect(host.reads).toHaveLength(7)
    expect(host.elapsed()).toBe(1_450)
    const printed = host.warnings('cannot be restored automatically')
    expect(printed).toHaveLength(1)
    expect(printed[0]).toContain(`(${A}: AccessDenied: not authorized)`)
    expect(printed[0]).toContain(`aws elbv2 modify-rule --region us-east-1 --rule-arn ${A}`)
  })

  it('stops at once, printing the commands, for a rule whose actions cannot carry the pair', async () => {
    const host = new Host({ [A]: forward(80, 10, 10) })

    const error = await failure(restore(host, groups, { budgetMs: 60_000 }))

    expect(host.writes).toEqual([])
    expect(host.elapsed()).toBe(0)
    const why = `listener rule ${A} forwards to target group ${THIRD}, which belongs to neither service of the pair; make the rule forward only to ${LIVE} and ${IDLE}`
    expect(error.reasons).toEqual({ [A]: why })
    expect(host.warnings('Retry')).toEqual([])
    const printed = host.warnings('cannot be restored automatically')
    expect(printed).toHaveLength(1)
    expect(printed[0]).toContain(`(${A}: ${why})`)
  })

  it('says why the last write failed, not the same error twice', async () => {
    const host = new Host({ [A]: SPLIT })
    host.onWrite = () => {
      throw throttled()
    }

    const error = await failure(restore(host, groups, { budgetMs: 500 }))

    expect(error.reasons).toEqual({ [A]: 'ThrottlingException: Rate exceeded' })
    expect(host.writes.map(w => w.at)).toEqual([0, 250, 500])
    expect(host.warnings('Retry')).toEqual([
      'warning: Retry 1 in 250ms: ThrottlingException: Rate exceeded',
      'warning: Retry 2 in 250ms: ThrottlingException: Rate exceeded'
    ])
  })

  it('says what came before a write the budget cut short', async () => {
    const host = new Host({ [A]: SPLIT })
    host.onWrite = (_arn, n) => {
      if (n === 0) throw throttled()
      return stalled()
    }

    const error = await failure(restore(host, groups, { budgetMs: 300 }))

    expect(error.reasons).toEqual({
      [A]:
        'ThrottlingException: Rate exceeded' +
        `; then OutOfTime: ModifyRule for ${A} did not answer within 50ms` +
        `; then OutOfTime: ModifyRule for ${A} did not answer within 0ms`
    })
  })

  it('names a write that never answered', async () => {
    const host = new Host({ [A]: SPLIT })
    host.onWrite = () => stalled()

    const error = await failure(restore(host, groups, { budgetMs: 100 }))

    expect(error.reasons).toEqual({
      [A]:
        `OutOfTime: ModifyRule for ${A} did not answer within 100ms` +
        `; then OutOfTime: ModifyRule for ${A} did not answer within 0ms`
    })
  })

  it('names the read of a rule it had no actions for, and why it could not verify', async () => {
    const host = new Host({ [A]: SPLIT })
    host.onRead = (_n, arns) => {
      if (!arns) throw throttled()
      return stalled()
    }

    const error = await failure(restore(host, groups, { budgetMs: 100 }))

    expect(host.writes).toEqual([])
    expect(error.reasons).toEqual({
      [A]:
        `OutOfTime: DescribeRules/DescribeListeners for ${A} did not answer within 100ms` +
        `; then OutOfTime: DescribeRules/DescribeListeners for ${A} did not answer within 0ms` +
        '; not verified: ThrottlingException: Rate exceeded'
    })
  })

  it('prints the commands and stops when the rules cannot be read back, and no retry fixes it', async () => {
    const host = new Host({ [A]: SPLIT }).read()
    host.onRead = () => {
      throw denied()
    }

    const error = await failure(restore(host, groups, { budgetMs: 60_000 }))

    expect(host.writes).toEqual([{ arn: A, weights: '100/0', at: 0 }])
    // One read back: another would fail the same way.
    expect(host.reads).toHaveLength(2)
    expect(host.elapsed()).toBe(0)
    expect(error.reasons).toEqual({ [A]: 'not verified: AccessDenied: not authorized' })
    const printed = host.warnings('cannot be restored automatically')
    expect(printed).toHaveLength(1)
    expect(printed[0]).toContain(`(${A}: not verified: AccessDenied: not authorized)`)
    expect(printed[0]).toContain(`--rule-arn ${A}`)
  })
})
