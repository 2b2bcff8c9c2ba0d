import { describe, expect, it } from '@jest/globals'
import { lastFullMinute } from '../../src/engine/analysis.js'
import type { TargetGroupStats } from '../../src/engine/analysis.js'
import { AnalysisGate } from '../../src/engine/gates/analysis.js'
import { parsePlan } from '../../src/engine/plan.js'
import { runRollout } from '../../src/engine/rollout.js'
import type { Gate, GateReading } from '../../src/engine/types.js'
import { FakeClock, FakeTraffic, MemoryLog, deps, spec } from './fakes.js'

// Issue 13, item 4: a stage passes only once analysis has seen its last full minute, waiting past
// the bake for it (ALB metrics arrive 1-2 minutes late), bounded.
const MIN = 60_000
const T0 = Date.UTC(2026, 10, 28, 12, 0, 30)

function stats(requests: number, newestMinute?: number): TargetGroupStats {
  return {
    requests,
    errors: 0,
    latencySum: 0.04 * requests,
    latencyCount: requests,
    responses: requests,
    connectionErrors: 0,
    ...(newestMinute !== undefined ? { newestMinute } : {})
  }
}

const ARNS = {
  loadBalancerArn: 'lb',
  canaryTargetGroupArn: 'green',
  liveTargetGroupArn: 'blue'
}
const BOUNDS = { errorRatio: 2, errorPoints: 1, latencyRatio: 1.5, minRequests: 50 }

describe('lastFullMinute', () => {
  it('is the last minute that ended within the stage', () => {
    // 12:00:30 → 12:05:30: the minute 12:04-12:05 is the last whole one.
    expect(lastFullMinute(T0, T0 + 5 * MIN)).toBe(Date.UTC(2026, 10, 28, 12, 4))
  })
  it('is the first minute for a stage shorter than a whole minute', () => {
    expect(lastFullMinute(T0, T0 + 20_000)).toBe(Date.UTC(2026, 10, 28, 12, 0))
  })
})

describe('AnalysisGate and late data', () => {
  const endsAt = T0 + 5 * MIN
  const due = Date.UTC(2026, 10, 28, 12, 4)

  it('waits, as late data, when the bake is over and the last full minute has not arrived', async () => {
    const gate = new AnalysisGate(
      async () => ({ canary: stats(500, due - MIN), live: stats(9000) }),
      ARNS,
      BOUNDS
    )
    const reading = await gate.read({ stageStartedAt: T0, now: endsAt, endsAt })
    expect(reading).toMatchObject({ verdict: 'wait', late: true })
    expect(reading.reason).toBe(
      "waiting for the canary's ALB metrics of the minute from 12:04 UTC (they are published one to two minutes late)"
    )
  })

  it('passes once that minute is in', async () => {
    const gate = new AnalysisGate(
      async () => ({ canary: stats(500, due), live: stats(9000) }),
      ARNS,
      BOUNDS
    )
    expect((await gate.read({ stageStartedAt: T0, now: endsAt, endsAt })).verdict).toBe('pass')
  })

  it('does not wait while the bake is still going, nor hold back a failure', async () => {
    const late = new AnalysisGate(
      async () => ({ canary: stats(500, due - MIN), live: stats(9000) }),
      ARNS,
      BOUNDS
    )
    expect((await late.read({ stageStartedAt: T0, now: endsAt - 1, endsAt })).verdict).toBe('pass')
    const failing = new AnalysisGate(
      async () => ({ canary: { ...stats(500, due - MIN), errors: 100 }, live: stats(9000) }),
      ARNS,
      BOUNDS
    )
    expect((await failing.read({ stageStartedAt: T0, now: endsAt, endsAt })).verdict).toBe('fail')
  })
})

class LateGate implements Gate {
  readonly name = 'analysis'
  windows: { now: number; endsAt?: number }[] = []
  constructor(private readonly arrivesAt: number) {}
  async read(w: { stageStartedAt: number; now: number; endsAt?: number }): Promise<GateReading> {
    this.windows.push(w)
    if (w.endsAt !== undefined && w.now >= w.endsAt && w.now < this.arrivesAt) {
      return {
        verdict: 'wait',
        late: true,
        reason: 'waiting for the minute from 12:04 UTC',
        detail: ''
      }
    }
    return { verdict: 'pass', reason: '', detail: 'canary fine' }
  }
}

describe('the engine and late data', () => {
  const plan = parsePlan('100:5m', MIN)

  it('holds the stage past its bake until the data is in, printing why, without extending', async () => {
    const clock = new FakeClock(T0)
    const gate = new LateGate(T0 + 5 * MIN + 95_000)
    const log = new MemoryLog()
    const { deps: d } = deps({ traffic: new FakeTraffic(), clock, gates: [gate], log })
    const result = await runRollout(spec({ plan, lateDataMs: 180_000 }), d)
    expect(result.outcome.result).toBe('promoted')
    expect(clock.now() - T0).toBeGreaterThanOrEqual(5 * MIN + 95_000)
    expect(clock.now() - T0).toBeLessThan(5 * MIN + 95_000 + 5_000 + 1)
    expect(log.lines).toContain(
      'Holding 100% for up to 3m past the bake: waiting for the minute from 12:04 UTC'
    )
    expect(log.lines.some(l => l.startsWith('Extending the bake'))).toBe(false)
    expect(gate.windows.every(w => w.endsAt === T0 + 5 * MIN)).toBe(true)
  })

  it('passes the stage with a warning once the bound is over', async () => {
    const clock = new FakeClock(T0)
    const log = new MemoryLog()
    const { deps: d } = deps({
      traffic: new FakeTraffic(),
      clock,
      gates: [new LateGate(Infinity)],
      log
    })
    const result = await runRollout(spec({ plan, lateDataMs: 180_000 }), d)
    expect(result.outcome.result).toBe('promoted')
    expect(clock.now() - T0).toBe(5 * MIN + 180_000)
    expect(log.lines).toContain(
      'warning: Passing 100% without the data it waited 3m for: waiting for the minute from 12:04 UTC'
    )
  })

  it('waits for nothing without a bound', async () => {
    const clock = new FakeClock(T0)
    const { deps: d } = deps({ traffic: new FakeTraffic(), clock, gates: [new LateGate(Infinity)] })
    const result = await runRollout(spec({ plan }), d)
    expect(result.outcome.result).toBe('promoted')
    expect(clock.now() - T0).toBe(5 * MIN)
  })
})
