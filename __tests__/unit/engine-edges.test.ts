import { describe, expect, it } from '@jest/globals'
import { DriftError, describeShare, expectShare } from '../../src/engine/drift.js'
import { parsePlan } from '../../src/engine/plan.js'
import { runRollout } from '../../src/engine/rollout.js'
import type { Reporter } from '../../src/engine/ports.js'
import type { RuleView } from '../../src/engine/types.js'
import {
  deps,
  FakeClock,
  FakeTraffic,
  GROUPS,
  MemoryLog,
  pass,
  ScriptedGate,
  spec,
  stagesOf
} from './fakes.js'

const plan = stagesOf([1, 5, 100], 60_000)
const alarmAt = (traffic: FakeTraffic, tenths: number) =>
  new ScriptedGate('alarms', () =>
    traffic.tenths === tenths ? { verdict: 'fail', reason: 'alarm web-5xx', detail: '' } : pass
  )

/** Traffic that remembers the budget each restore was given. */
class BudgetTraffic extends FakeTraffic {
  budgets: number[] = []
  override async restore(_groups = GROUPS, options?: { budgetMs?: number }) {
    this.budgets.push(options?.budgetMs ?? -1)
    return super.restore()
  }
}

describe('rolling back', () => {
  it('gives an alarm rollback the full rollback budget, not the cancel one', async () => {
    const traffic = new BudgetTraffic()
    const { deps: d } = deps({ traffic, clock: new FakeClock(), gates: [alarmAt(traffic, 50)] })
    await runRollout(spec({ plan, rollbackBudgetMs: 60_000, cancelBudgetMs: 7_000 }), d)
    expect(traffic.budgets).toEqual([60_000])
  })

  it('gives a cancel the short budget', async () => {
    const traffic = new BudgetTraffic()
    const clock = new FakeClock()
    const { deps: d, controller } = deps({
      traffic,
      clock,
      gates: [new ScriptedGate('a', () => pass)]
    })
    clock.onSleep = () => {
      if (traffic.tenths === 50) controller.abort()
    }
    await runRollout(spec({ plan, rollbackBudgetMs: 60_000, cancelBudgetMs: 7_000 }), d)
    expect(traffic.budgets).toEqual([7_000])
  })

  it('marks the stage it left as rolled-back in the record the summary shows', async () => {
    const traffic = new FakeTraffic()
    const { deps: d } = deps({ traffic, clock: new FakeClock(), gates: [alarmAt(traffic, 50)] })
    const result = await runRollout(spec({ plan }), d)
    expect(result.record.stages.map(s => s.status)).toEqual(['baked', 'rolled-back'])
    expect(result.record.stages[1].endedAt).toBeDefined()
  })

  it('warns when the rolled-back phase cannot be recorded, and still ends rolled back', async () => {
    const traffic = new FakeTraffic()
    const log = new MemoryLog()
    const { deps: d } = deps({
      traffic,
      clock: new FakeClock(),
      log,
      gates: [alarmAt(traffic, 50)],
      recordPhase: async () => {
        throw new Error('AddTags: Throttling')
      }
    })
    const result = await runRollout(spec({ plan }), d)
    expect(result.outcome.result).toBe('rolled-back')
    expect(traffic.tenths).toBe(0)
    expect(log.lines).toContainEqual(
      'warning: Could not record the rolled-back phase on the rules: AddTags: Throttling'
    )
  })
})

describe('heartbeat lines', () => {
  it('reports the stage, the time baked and the total while a stage bakes', async () => {
    const traffic = new FakeTraffic()
    const beats: { tenths: number; elapsed: number; total: number }[] = []
    const { deps: d } = deps({
      traffic,
      clock: new FakeClock(),
      gates: [new ScriptedGate('a', () => pass)]
    })
    const reporter: Reporter = {
      ...d.reporter,
      heartbeat: (stage, elapsed, total) =>
        void beats.push({ tenths: stage.tenths, elapsed, total })
    }
    await runRollout(spec({ plan: parsePlan('100:2m', 60_000) }), { ...d, reporter })
    expect(beats.length).toBeGreaterThanOrEqual(3)
    expect(beats.every(b => b.tenths === 1000 && b.total === 120_000)).toBe(true)
    expect(beats[0].elapsed).toBeGreaterThan(0)
    expect(beats.at(-1)!.elapsed).toBeLessThanOrEqual(120_000)
  })
})

describe('the drift check', () => {
  const view = (over: Partial<RuleView>): RuleView => ({
    arn: 'rule-1',
    kind: 'rule',
    forwardActions: 1,
    targets: [
      { arn: GROUPS.live, weight: 95 },
      { arn: GROUPS.idle, weight: 5 }
    ],
    tags: {},
    ...over
  })

  it('accepts the rules at the share this run left', async () => {
    await expect(expectShare({ read: async () => [view({})] } as never, GROUPS, 50)).resolves.toBe(
      undefined
    )
  })

  it('stops on a rule that also forwards to a third target group', async () => {
    const third = view({
      targets: [
        { arn: GROUPS.live, weight: 95 },
        { arn: GROUPS.idle, weight: 5 },
        { arn: 'tg-other', weight: 0 }
      ]
    })
    expect(describeShare(third, GROUPS).ours).toBe(false)
    await expect(expectShare({ read: async () => [third] } as never, GROUPS, 50)).rejects.toThrow(
      DriftError
    )
  })

  it('stops on a rule with two forward actions', async () => {
    const two = view({ forwardActions: 2 })
    expect(describeShare(two, GROUPS).ours).toBe(false)
    await expect(expectShare({ read: async () => [two] } as never, GROUPS, 50)).rejects.toThrow(
      /other target groups/
    )
  })

  it('names DriftError as its class', () => {
    expect(new DriftError('x').name).toBe('DriftError')
  })
})
