/**
 * What a run leaves behind, to the letter: the record the summary and chart are drawn from
 * (stages, their times and statuses, the timeline of shares), the lines in the log, the outcome,
 * and what the engine asked of the traffic and the phase recorder.
 */
import { describe, expect, it } from '@jest/globals'
import { messageOf, runRollout } from '../../src/engine/rollout.js'
import type { Reporter } from '../../src/engine/ports.js'
import type { GateReading, GroupPair, Phase, Plan, StageRecord } from '../../src/engine/types.js'
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

const T0 = Date.UTC(2026, 10, 28, 12, 0, 0)
const MIN = 60_000
const alarm: GateReading = { verdict: 'fail', reason: 'alarm web-5xx', detail: 'web-5xx ALARM' }

/** Traffic that remembers the options of every shift and restore. */
class OptionsTraffic extends FakeTraffic {
  shiftSignals: (AbortSignal | undefined)[] = []
  restoreBudgets: number[] = []
  override async shift(groups: GroupPair, tenths: number, opts?: { signal?: AbortSignal }) {
    this.shiftSignals.push(opts?.signal)
    return super.shift(groups, tenths)
  }
  override async restore(_groups?: GroupPair, opts?: { budgetMs: number }) {
    this.restoreBudgets.push(opts?.budgetMs ?? -1)
    return super.restore()
  }
}

/** A phase recorder that keeps the options each write was given. */
function phaseLog() {
  const phases: { phase: Phase; reason: string; opts?: { withinMs?: number } }[] = []
  const recordPhase = async (phase: Phase, reason: string, opts?: { withinMs?: number }) =>
    void phases.push({ phase, reason, ...(opts ? { opts } : {}) })
  return { phases, recordPhase }
}

/** A reporter that notes each stage's status at the moment it is reported started. */
function startedStatuses() {
  const statuses: string[] = []
  const reporter: Reporter = {
    stageStarted: async (_record, stage) => void statuses.push(`${stage.tenths} ${stage.status}`),
    heartbeat: () => undefined
  }
  return { statuses, reporter }
}

const shares = (traffic: FakeTraffic) => traffic.writes.map(w => `${w.kind} ${w.tenths}`)

describe('the record of a promoted run', () => {
  it('holds every stage with its start, end, bake and status, and the timeline of shares', async () => {
    const traffic = new OptionsTraffic()
    const log = new MemoryLog()
    const { statuses, reporter } = startedStatuses()
    const { deps: d } = deps({
      traffic,
      clock: new FakeClock(T0),
      log,
      reporter,
      gates: [new ScriptedGate('alarms', () => pass)]
    })
    const result = await runRollout(spec({ plan: stagesOf([1, 5, 100], MIN) }), d)
    expect(result.failed).toBe(false)
    expect(result.outcome).toEqual({
      result: 'promoted',
      tenths: 1000,
      reason: '',
      liveService: 'web-green',
      idleService: 'web-blue'
    })
    const stage = (index: number, tenths: number): StageRecord => ({
      index,
      tenths,
      startedAt: T0 + index * MIN,
      endedAt: T0 + (index + 1) * MIN,
      bakeMs: MIN,
      status: 'baked',
      detail: 'web-5xx OK'
    })
    expect(result.record).toStrictEqual({
      startedAt: T0,
      stages: [stage(0, 10), stage(1, 50), stage(2, 1000)],
      timeline: [
        { at: T0, tenths: 0 },
        { at: T0, tenths: 10 },
        { at: T0 + MIN, tenths: 50 },
        { at: T0 + 2 * MIN, tenths: 1000 }
      ],
      outcome: result.outcome
    })
    // Reported while it bakes, before its bake decides anything.
    expect(statuses).toEqual(['10 baking', '50 baking', '1000 baking'])
    expect(log.lines).toEqual([
      'Stage 1/3: 1% on web-green, baking 1m',
      'Stage 2/3: 5% on web-green, baking 1m',
      'Stage 3/3: 100% on web-green, baking 1m'
    ])
  })

  it('gives every weight write the run’s abort signal, so a cancel cuts it short', async () => {
    const traffic = new OptionsTraffic()
    const { deps: d } = deps({ traffic, clock: new FakeClock(T0) })
    await runRollout(spec({ plan: stagesOf([1, 100], MIN) }), d)
    expect(traffic.shiftSignals).toEqual([d.signal, d.signal])
    expect(traffic.shiftSignals[0]).toBe(d.signal)
  })

  it('keeps the last stage’s end at its bake’s end while the promotion record is retried', async () => {
    const traffic = new FakeTraffic()
    const clock = new FakeClock(T0)
    let failures = 2
    const { deps: d } = deps({
      traffic,
      clock,
      recordPhase: async phase => {
        if (phase === 'promoted' && failures-- > 0) throw new Error('AddTags: Throttling')
      }
    })
    const result = await runRollout(spec({ plan: stagesOf([100], MIN) }), d)
    expect(result.outcome.result).toBe('promoted')
    // Two retries (1 s, then 2 s) moved the clock past the bake's end.
    expect(clock.now()).toBe(T0 + MIN + 3_000)
    expect(result.record.stages[0].endedAt).toBe(T0 + MIN)
  })
})

describe('the record of a planned pause', () => {
  const plan: Plan = [
    { tenths: 10, bake: { kind: 'bake', ms: MIN } },
    { tenths: 50, bake: { kind: 'pause' } },
    { tenths: 1000, bake: { kind: 'bake', ms: MIN } }
  ]

  it('says "then pause", records the stage paused without a bake, and ends paused as planned', async () => {
    const traffic = new FakeTraffic()
    const clock = new FakeClock(T0)
    const log = new MemoryLog()
    const phases: { phase: Phase; reason: string }[] = []
    const { deps: d } = deps({
      traffic,
      clock,
      log,
      // The phase write takes a second: the stage ended when the weights settled, not after it.
      recordPhase: async (phase, reason) => {
        phases.push({ phase, reason })
        clock.t += 1_000
      }
    })
    const result = await runRollout(spec({ plan }), d)
    expect(result.failed).toBe(false)
    expect(result.outcome).toMatchObject({
      result: 'paused',
      tenths: 50,
      reason: 'paused at 5% as planned',
      liveService: 'web-blue',
      idleService: 'web-green'
    })
    expect(phases).toEqual([{ phase: 'paused', reason: 'paused at 5%' }])
    expect(log.lines).toEqual([
      'Stage 1/3: 1% on web-green, baking 1m',
      'Stage 2/3: 5% on web-green, then pause'
    ])
    const paused = result.record.stages[1]
    expect(paused).toStrictEqual({
      index: 1,
      tenths: 50,
      startedAt: T0 + MIN,
      endedAt: T0 + MIN,
      status: 'paused',
      detail: ''
    })
    expect(Object.keys(paused)).not.toContain('bakeMs')
    expect(result.record.timeline.at(-1)).toEqual({ at: T0 + MIN, tenths: 50 })
    expect(shares(traffic)).toEqual(['shift 10', 'shift 50'])
  })
})

describe('the record of a rollback', () => {
  it('marks the stage that was baking rolled back, not an earlier one, and logs both ends', async () => {
    const traffic = new OptionsTraffic()
    const log = new MemoryLog()
    const { phases, recordPhase } = phaseLog()
    const { deps: d } = deps({
      traffic,
      clock: new FakeClock(T0),
      log,
      recordPhase,
      gates: [new ScriptedGate('alarms', () => (traffic.tenths === 1000 ? alarm : pass))]
    })
    const result = await runRollout(spec({ plan: stagesOf([1, 5, 100], MIN) }), d)
    expect(result.outcome).toEqual({
      result: 'rolled-back',
      tenths: 0,
      reason: 'alarm web-5xx',
      liveService: 'web-blue',
      idleService: 'web-green'
    })
    expect(result.record.stages.map(s => [s.tenths, s.status, s.endedAt])).toEqual([
      [10, 'baked', T0 + MIN],
      [50, 'baked', T0 + 2 * MIN],
      [1000, 'rolled-back', T0 + 2 * MIN]
    ])
    expect(result.record.timeline.slice(-2)).toEqual([
      { at: T0 + 2 * MIN, tenths: 1000 },
      { at: T0 + 2 * MIN, tenths: 0 }
    ])
    expect(log.lines.slice(-2)).toEqual([
      'warning: Rolling back: alarm web-5xx',
      'Traffic restored: 100% on web-blue, verified on every rule.'
    ])
    // Not a cancel: the full budget, and no time limit on the record.
    expect(traffic.restoreBudgets).toEqual([60_000])
    expect(phases).toEqual([{ phase: 'rolled-back', reason: 'alarm web-5xx' }])
  })

  it('rolls back, and still returns, when the very first weight write fails', async () => {
    const traffic = new FakeTraffic()
    traffic.failShiftAt = 10
    const { phases, recordPhase } = phaseLog()
    const { deps: d } = deps({ traffic, clock: new FakeClock(T0), recordPhase })
    const result = await runRollout(spec({ plan: stagesOf([1, 100], MIN) }), d)
    expect(result.outcome).toMatchObject({
      result: 'rolled-back',
      tenths: 0,
      reason: 'ModifyRule failed on rule-2 at 10'
    })
    expect(result.record.stages).toEqual([])
    expect(shares(traffic)).toEqual(['shift 10', 'restore 0'])
    expect(phases).toEqual([{ phase: 'rolled-back', reason: 'ModifyRule failed on rule-2 at 10' }])
  })

  it('keeps a gate’s reason when the job is cancelled as the gate fails, with the cancel’s budget', async () => {
    const traffic = new OptionsTraffic()
    const log = new MemoryLog()
    const { phases, recordPhase } = phaseLog()
    const { deps: d, controller } = deps({
      traffic,
      clock: new FakeClock(T0),
      log,
      recordPhase,
      gates: [new ScriptedGate('alarms', () => alarm)]
    })
    // SIGINT lands as the failing reading comes in.
    const reporter: Reporter = {
      ...d.reporter,
      firstReading: async () => void controller.abort()
    }
    const result = await runRollout(
      spec({ plan: stagesOf([1, 100], MIN), rollbackBudgetMs: 60_000, cancelBudgetMs: 7_000 }),
      { ...d, reporter }
    )
    expect(result.outcome).toMatchObject({
      result: 'rolled-back',
      tenths: 0,
      reason: 'alarm web-5xx'
    })
    expect(log.lines).toContain('warning: Rolling back: alarm web-5xx')
    expect(traffic.restoreBudgets).toEqual([7_000])
    expect(phases).toEqual([
      { phase: 'rolled-back', reason: 'alarm web-5xx', opts: { withinMs: 1_500 } }
    ])
  })

  it('ends unchanged, saying traffic stays on live, when cancelled before its first write', async () => {
    const traffic = new FakeTraffic()
    const { phases, recordPhase } = phaseLog()
    const { deps: d, controller } = deps({ traffic, clock: new FakeClock(T0), recordPhase })
    controller.abort()
    const result = await runRollout(spec({ plan: stagesOf([1, 100], MIN) }), d)
    expect(result.outcome).toMatchObject({
      result: 'unchanged',
      tenths: 0,
      reason: 'cancelled: traffic restored to web-blue'
    })
    expect(traffic.writes).toEqual([])
    expect(phases).toEqual([
      {
        phase: 'rolled-back',
        reason: 'cancelled: traffic restored to web-blue',
        opts: { withinMs: 1_500 }
      }
    ])
  })

  it('watches the gates while the second stage is readied, and rolls back before it moves', async () => {
    const traffic = new FakeTraffic()
    let scaling = false
    const { deps: d } = deps({
      traffic,
      clock: new FakeClock(T0),
      gates: [new ScriptedGate('alarms', () => (scaling ? alarm : pass))],
      beforeShift: (stage, signal) => {
        if (stage.tenths !== 1000) return Promise.resolve()
        scaling = true
        // Ready after a real moment, unless a failing gate stops the wait first.
        return new Promise<void>((resolve, reject) => {
          const timer = setTimeout(resolve, 50)
          signal.addEventListener('abort', () => {
            clearTimeout(timer)
            reject(new Error('stopped waiting'))
          })
        })
      }
    })
    const result = await runRollout(spec({ plan: stagesOf([1, 100], MIN) }), d)
    expect(result.outcome).toMatchObject({ result: 'rolled-back', reason: 'alarm web-5xx' })
    expect(shares(traffic)).toEqual(['shift 10', 'restore 0'])
  })
})

describe('the record when a run stops on weights it did not set', () => {
  const someoneAt = (traffic: FakeTraffic, act: () => void) =>
    new ScriptedGate('alarms', () => {
      if (traffic.tenths === 50) act()
      return pass
    })

  it('ends paused at 0% when someone put all traffic back on live, and leaves the stage baked', async () => {
    const traffic = new FakeTraffic()
    const clock = new FakeClock(T0)
    const log = new MemoryLog()
    const gate = someoneAt(traffic, () => {
      for (const r of traffic.rules) Object.assign(r, { live: 100, idle: 0 })
    })
    const { deps: d } = deps({ traffic, clock, log, gates: [gate] })
    const result = await runRollout(spec({ plan: stagesOf([1, 5, 100], MIN) }), d)
    expect(result.failed).toBe(true)
    expect(result.outcome).toMatchObject({ result: 'paused', tenths: 0 })
    expect(result.record.timeline.slice(-2)).toEqual([
      { at: T0 + MIN, tenths: 50 },
      { at: T0 + 2 * MIN, tenths: 0 }
    ])
    expect(result.record.stages.map(s => [s.status, s.endedAt])).toEqual([
      ['baked', T0 + MIN],
      ['baked', T0 + 2 * MIN]
    ])
    expect(log.lines.at(-1)).toMatch(/^warning: the weights changed under this run: expected 5%/)
    expect(traffic.writes.map(w => w.tenths)).toEqual([10, 50])
  })

  it('keeps its own share when a rule was turned into a forward to other groups', async () => {
    const traffic = new FakeTraffic()
    const clock = new FakeClock(T0)
    const view = traffic.read.bind(traffic)
    let third = false
    traffic.read = async () => {
      const views = await view()
      if (!third) return views
      const [first, second] = views
      return [first, { ...second, targets: [...second.targets, { arn: 'tg-other', weight: 0 }] }]
    }
    const gate = someoneAt(traffic, () => (third = true))
    const { deps: d } = deps({ traffic, clock, gates: [gate] })
    const result = await runRollout(spec({ plan: stagesOf([1, 5, 100], MIN) }), d)
    expect(result.outcome).toMatchObject({ result: 'paused', tenths: 50 })
    expect(result.outcome.reason).toContain('a forward to other target groups')
    expect(result.record.timeline).toEqual([
      { at: T0, tenths: 0 },
      { at: T0, tenths: 10 },
      { at: T0 + MIN, tenths: 50 }
    ])
  })
})

describe('the record of a stage held for data', () => {
  it('marks the stage paused, ended when it was held', async () => {
    const traffic = new FakeTraffic()
    const clock = new FakeClock(T0)
    const gate = new ScriptedGate('analysis', () => ({
      verdict: 'wait',
      reason: 'canary got 12 requests, 50 needed',
      detail: ''
    }))
    const { deps: d, phases } = deps({ traffic, clock, gates: [gate] })
    const result = await runRollout(spec({ plan: stagesOf([1, 100], MIN) }), d)
    expect(result.outcome).toMatchObject({
      result: 'paused',
      tenths: 10,
      reason: 'held at 1%: canary got 12 requests, 50 needed'
    })
    expect(result.record.stages.map(s => [s.status, s.endedAt])).toEqual([['paused', T0 + 2 * MIN]])
    expect(phases).toEqual([
      { phase: 'paused', reason: 'held at 1%: canary got 12 requests, 50 needed' }
    ])
  })
})

describe('messageOf', () => {
  it('gives an Error’s message, a string as it is, and anything else as JSON', () => {
    expect(messageOf(new Error('AccessDenied'))).toBe('AccessDenied')
    expect(messageOf('Throttling')).toBe('Throttling')
    expect(messageOf({ code: 'Throttling', retry: 2 })).toBe('{"code":"Throttling","retry":2}')
    expect(messageOf(42)).toBe('42')
  })

  it('names a thrown string as the reason a run rolled back', async () => {
    const traffic = new FakeTraffic()
    const shift = traffic.shift.bind(traffic)
    traffic.shift = async (groups, tenths) => {
      if (tenths === 1000) throw 'ModifyRule: Throttling'
      return shift(groups, tenths)
    }
    const { deps: d } = deps({ traffic, clock: new FakeClock(T0) })
    const result = await runRollout(spec({ plan: stagesOf([1, 100], MIN) }), d)
    expect(result.outcome).toMatchObject({
      result: 'rolled-back',
      reason: 'ModifyRule: Throttling'
    })
  })
})
