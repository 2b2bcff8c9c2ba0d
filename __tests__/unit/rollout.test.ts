import { describe, expect, it } from '@jest/globals'
import { parsePlan } from '../../src/engine/plan.js'
import { runRollout } from '../../src/engine/rollout.js'
import type { GroupPair } from '../../src/engine/types.js'
import {
  deps,
  FakeClock,
  FakeTraffic,
  MemoryLog,
  pass,
  ScriptedGate,
  spec,
  stagesOf
} from './fakes.js'

const plan = stagesOf([1, 2, 5, 10, 50, 100], 60_000)

describe('runRollout', () => {
  it('promotes through every stage, baking each, and records the phase', async () => {
    const clock = new FakeClock()
    const traffic = new FakeTraffic()
    const gate = new ScriptedGate('alarms', () => pass)
    const { deps: d, phases, started } = deps({ traffic, clock, gates: [gate] })
    const t0 = clock.now()
    const result = await runRollout(spec({ plan }), d)
    expect(result.failed).toBe(false)
    expect(result.outcome).toMatchObject({
      result: 'promoted',
      tenths: 1000,
      liveService: 'web-green',
      idleService: 'web-blue'
    })
    expect(traffic.writes.map(w => w.tenths)).toEqual([10, 20, 50, 100, 500, 1000])
    expect(started).toEqual([10, 20, 50, 100, 500, 1000])
    expect(traffic.tenths).toBe(1000)
    expect(clock.now() - t0).toBe(6 * 60_000)
    expect(phases).toEqual([{ phase: 'promoted', reason: '' }])
    expect(result.record.stages.every(s => s.status === 'baked')).toBe(true)
    // 12 polls a minute, plus the read at the very end of each bake
    expect(gate.reads).toBe(6 * 13)
  })

  it.each([10, 20, 50, 100, 500, 1000])(
    'rolls back when an alarm fires in the %i-tenths stage',
    async tenths => {
      const clock = new FakeClock()
      const traffic = new FakeTraffic()
      const gate = new ScriptedGate('alarms', () =>
        traffic.tenths === tenths && traffic.writes.at(-1)?.kind === 'shift'
          ? { verdict: 'fail', reason: 'alarm web-5xx is in ALARM: threshold crossed', detail: '' }
          : pass
      )
      const { deps: d, phases } = deps({ traffic, clock, gates: [gate] })
      const result = await runRollout(spec({ plan }), d)
      expect(result.failed).toBe(true)
      expect(result.outcome.result).toBe('rolled-back')
      expect(result.outcome.reason).toBe('alarm web-5xx is in ALARM: threshold crossed')
      expect(result.outcome.liveService).toBe('web-blue')
      expect(traffic.writes.at(-1)).toEqual({ kind: 'restore', tenths: 0 })
      expect(traffic.writes.filter(w => w.kind === 'shift').at(-1)?.tenths).toBe(tenths)
      expect(traffic.tenths).toBe(0)
      expect(phases.at(-1)?.phase).toBe('rolled-back')
    }
  )

  it('reacts to an alarm within one poll interval', async () => {
    const clock = new FakeClock()
    const traffic = new FakeTraffic()
    let flippedAt = 0
    const gate = new ScriptedGate('alarms', now => {
      if (traffic.tenths === 50 && !flippedAt) flippedAt = now + 12_345
      return flippedAt && now >= flippedAt ? { verdict: 'fail', reason: 'alarm', detail: '' } : pass
    })
    const { deps: d } = deps({ traffic, clock, gates: [gate] })
    await runRollout(spec({ plan }), d)
    expect(clock.now() - flippedAt).toBeGreaterThanOrEqual(0)
    expect(clock.now() - flippedAt).toBeLessThanOrEqual(5000)
  })

  it('rolls back when a write fails after the first one, naming the failure', async () => {
    const clock = new FakeClock()
    const traffic = new FakeTraffic()
    traffic.failShiftAt = 50
    const { deps: d } = deps({ traffic, clock, gates: [new ScriptedGate('a', () => pass)] })
    const result = await runRollout(spec({ plan }), d)
    expect(result.outcome.result).toBe('rolled-back')
    expect(result.outcome.reason).toContain('ModifyRule failed on rule-2')
    expect(traffic.writes.at(-1)?.kind).toBe('restore')
    expect(traffic.tenths).toBe(0)
  })

  it('rolls back when the alarms cannot be read for three polls in a row, not after one', async () => {
    const clock = new FakeClock()
    const traffic = new FakeTraffic()
    const onceOnly = new ScriptedGate('alarms', (_n, i) =>
      i === 2 ? new Error('Throttling') : pass
    )
    const first = await runRollout(spec({ plan }), deps({ traffic, clock, gates: [onceOnly] }).deps)
    expect(first.outcome.result).toBe('promoted')

    const traffic2 = new FakeTraffic()
    const blind = new ScriptedGate('alarms', (_n, i) =>
      i >= 20 ? new Error('AccessDenied') : pass
    )
    const second = await runRollout(
      spec({ plan }),
      deps({ traffic: traffic2, clock, gates: [blind] }).deps
    )
    expect(second.outcome.result).toBe('rolled-back')
    expect(second.outcome.reason).toMatch(
      /^the alarms gate could not be read for 3 polls in a row \(alarms: AccessDenied\)/
    )
    expect(blind.reads).toBe(23)
    expect(traffic2.tenths).toBe(0)
  })

  it('names the gate that could not be read, not the alarms, when analysis is blind', async () => {
    const clock = new FakeClock()
    const traffic = new FakeTraffic()
    const alarms = new ScriptedGate('alarms', () => pass)
    const denied = new Error(
      'GetMetricData failed for target groups web-green and web-blue: AccessDenied: not authorized'
    )
    const analysis = new ScriptedGate('analysis', () => denied)
    const log = new MemoryLog()
    const { deps: d } = deps({ traffic, clock, log, gates: [alarms, analysis] })
    const result = await runRollout(spec({ plan }), d)
    expect(result.outcome.result).toBe('rolled-back')
    expect(result.outcome.reason).toBe(
      `the analysis gate could not be read for 3 polls in a row (analysis: ${denied.message}); a rollout that cannot be watched is not safe`
    )
    expect(log.lines).toContain(
      `warning: Could not read the analysis gate (1/3): analysis: ${denied.message}`
    )
    expect(traffic.tenths).toBe(0)
  })

  it('stops without writing when the weights were changed by someone else mid-bake', async () => {
    const clock = new FakeClock()
    const traffic = new FakeTraffic()
    const gate = new ScriptedGate('alarms', () => {
      if (traffic.tenths === 50) traffic.rules[1].idle = 0 // a human rolled rule-2 back
      return pass
    })
    const { deps: d, phases } = deps({ traffic, clock, gates: [gate] })
    const result = await runRollout(spec({ plan }), d)
    expect(result.failed).toBe(true)
    expect(result.outcome.reason).toMatch(/weights changed under this run: expected 5% .* found 0%/)
    expect(traffic.writes.at(-1)).toEqual({ kind: 'shift', tenths: 50 })
    expect(phases.at(-1)?.phase).toBe('paused')
  })

  it('pauses at a pause stage with traffic held and the phase recorded', async () => {
    const clock = new FakeClock()
    const traffic = new FakeTraffic()
    const { deps: d, phases } = deps({ traffic, clock, gates: [new ScriptedGate('a', () => pass)] })
    const result = await runRollout(spec({ plan: parsePlan('1,10:pause,100', 1000) }), d)
    expect(result.failed).toBe(false)
    expect(result.outcome).toMatchObject({ result: 'paused', tenths: 100 })
    expect(traffic.tenths).toBe(100)
    expect(phases).toEqual([{ phase: 'paused', reason: 'paused at 10%' }])
  })

  it('continues from the share on the rules when promoting', async () => {
    const clock = new FakeClock()
    const traffic = new FakeTraffic()
    await traffic.shift({ live: '', idle: '' }, 100)
    traffic.writes = []
    const { deps: d } = deps({ traffic, clock, gates: [] })
    const result = await runRollout(spec({ plan, fromTenths: 100 }), d)
    expect(result.outcome.result).toBe('promoted')
    expect(traffic.writes.map(w => w.tenths)).toEqual([500, 1000])
  })

  it('extends a stage once while a gate waits for data, then holds traffic there', async () => {
    const clock = new FakeClock()
    const traffic = new FakeTraffic()
    const gate = new ScriptedGate('analysis', () => ({
      verdict: 'wait',
      reason: 'canary got 12 requests, 50 needed',
      detail: ''
    }))
    const log = new MemoryLog()
    const { deps: d, phases } = deps({ traffic, clock, gates: [gate], log })
    const t0 = clock.now()
    const result = await runRollout(spec({ plan }), d)
    expect(result.outcome.result).toBe('paused')
    expect(result.failed).toBe(true)
    expect(result.outcome.reason).toBe('held at 1%: canary got 12 requests, 50 needed')
    expect(clock.now() - t0).toBe(120_000)
    expect(traffic.tenths).toBe(10)
    expect(phases.at(-1)?.phase).toBe('paused')
    expect(log.lines.some(l => l.startsWith('Extending the bake by 1m'))).toBe(true)
  })

  it('restores traffic at once when cancelled mid-bake', async () => {
    const clock = new FakeClock()
    const traffic = new FakeTraffic()
    const { deps: d, controller } = deps({
      traffic,
      clock,
      gates: [new ScriptedGate('a', () => pass)]
    })
    clock.onSleep = () => {
      if (traffic.tenths === 20) controller.abort()
    }
    const result = await runRollout(spec({ plan }), d)
    expect(result.outcome.result).toBe('rolled-back')
    expect(result.outcome.reason).toBe('cancelled: traffic restored to web-blue')
    expect(traffic.tenths).toBe(0)
  })

  it('treats a shift cut short by a cancel as a cancel, with the short restore budget', async () => {
    const clock = new FakeClock()
    const traffic = new CancelledMidShift(20)
    const { deps: d, controller } = deps({
      traffic,
      clock,
      gates: [new ScriptedGate('a', () => pass)]
    })
    traffic.cancel = () => controller.abort()
    const result = await runRollout(spec({ plan, cancelBudgetMs: 6_000 }), d)
    expect(result.outcome.result).toBe('rolled-back')
    expect(result.outcome.reason).toBe('cancelled: traffic restored to web-blue')
    expect(traffic.budgets).toEqual([6_000])
    expect(traffic.tenths).toBe(0)
  })

  it('hands back the restore commands when even the rollback fails', async () => {
    const clock = new FakeClock()
    const traffic = new FakeTraffic()
    traffic.failRestore = true
    const gate = new ScriptedGate('a', () => ({ verdict: 'fail', reason: 'alarm x', detail: '' }))
    const result = await runRollout(spec({ plan }), deps({ traffic, clock, gates: [gate] }).deps)
    expect(result.failed).toBe(true)
    expect(result.restoreCommands).toHaveLength(2)
    expect(result.outcome.reason).toMatch(/could NOT be restored to web-blue/)
  })

  it('writes nothing when the rules are not as expected before the first shift', async () => {
    const clock = new FakeClock()
    const traffic = new FakeTraffic()
    traffic.rules[0].idle = 5
    const result = await runRollout(spec({ plan }), deps({ traffic, clock }).deps)
    expect(result.failed).toBe(true)
    expect(traffic.writes).toEqual([])
  })
})

/** A job cancelled while a shift is reading back: ElbTraffic then throws a plain Error. */
class CancelledMidShift extends FakeTraffic {
  budgets: number[] = []
  cancel: () => void = () => undefined
  constructor(private readonly atTenths: number) {
    super()
  }
  override async shift(groups: GroupPair, tenths: number) {
    if (tenths !== this.atTenths) return super.shift(groups, tenths)
    this.writes.push({ kind: 'shift', tenths })
    this.cancel()
    throw new Error('Cancelled while checking the new weights.')
  }
  override async restore(_groups?: GroupPair, opts?: { budgetMs: number }) {
    this.budgets.push(opts?.budgetMs ?? NaN)
    return super.restore()
  }
}
