import { describe, expect, it } from '@jest/globals'
import { runRollout } from '../../src/engine/rollout.js'
import type { Stage } from '../../src/engine/types.js'
import {
  deps,
  FakeClock,
  FakeTraffic,
  GROUPS,
  pass,
  ScriptedGate,
  spec,
  stagesOf
} from './fakes.js'

const plan = stagesOf([1, 2, 5, 10, 50, 100], 60_000)

describe('runRollout with a beforeShift hook', () => {
  it('readies each stage before its weight moves, in order', async () => {
    const traffic = new FakeTraffic()
    await traffic.shift(GROUPS, 20)
    const order: string[] = []
    const beforeShift = async (stage: Stage) => {
      order.push(`ready ${stage.tenths} (traffic at ${traffic.tenths})`)
    }
    const { deps: d } = deps({
      traffic,
      clock: new FakeClock(),
      gates: [new ScriptedGate('alarms', () => pass)],
      beforeShift
    })
    const result = await runRollout(spec({ plan, fromTenths: 20 }), d)
    expect(result.outcome.result).toBe('promoted')
    // Stages at or below the starting share are not readied again.
    expect(order).toEqual([
      'ready 50 (traffic at 20)',
      'ready 100 (traffic at 50)',
      'ready 500 (traffic at 100)',
      'ready 1000 (traffic at 500)'
    ])
  })

  it('rolls back, naming the stage, when a stage cannot be readied', async () => {
    const traffic = new FakeTraffic()
    const { deps: d, phases } = deps({
      traffic,
      clock: new FakeClock(),
      gates: [new ScriptedGate('alarms', () => pass)],
      beforeShift: async stage => {
        if (stage.tenths === 100) throw new Error('web-green is not stable: 1/2 running')
      }
    })
    const result = await runRollout(spec({ plan }), d)
    expect(result.failed).toBe(true)
    expect(result.outcome.result).toBe('rolled-back')
    expect(result.outcome.reason).toBe(
      'stage 4/6 (10%) could not start: web-green is not stable: 1/2 running'
    )
    // The weight for 10% never went out; traffic went back from 5%.
    expect(traffic.writes.map(w => `${w.kind} ${w.tenths}`)).toEqual([
      'shift 10',
      'shift 20',
      'shift 50',
      'restore 0'
    ])
    expect(phases.at(-1)).toMatchObject({ phase: 'rolled-back' })
  })

  it('moves nothing when the first stage cannot be readied', async () => {
    const traffic = new FakeTraffic()
    const { deps: d } = deps({
      traffic,
      clock: new FakeClock(),
      beforeShift: async () => {
        throw new Error('UpdateService failed')
      }
    })
    const result = await runRollout(spec({ plan }), d)
    expect(result.outcome.result).toBe('unchanged')
    expect(result.outcome.reason).toBe('stage 1/6 (1%) could not start: UpdateService failed')
    expect(traffic.writes).toEqual([])
  })

  it('keeps reading the gates while the canary scales, and rolls back when one fails', async () => {
    const traffic = new FakeTraffic()
    let scaling = false
    let stopped = false
    const gate = new ScriptedGate('alarms', () =>
      scaling ? { verdict: 'fail', reason: 'alarm web-5xx is in ALARM', detail: '' } : pass
    )
    const { deps: d } = deps({
      traffic,
      clock: new FakeClock(),
      gates: [gate],
      beforeShift: (stage, signal) => {
        if (stage.tenths !== 100) return Promise.resolve()
        scaling = true
        // A scale-up that would wait for good: only the abort ends it.
        return new Promise((_, reject) =>
          signal.addEventListener('abort', () => {
            stopped = true
            reject(new Error('stopped waiting'))
          })
        )
      }
    })
    const result = await runRollout(spec({ plan }), d)
    expect(result.outcome.result).toBe('rolled-back')
    expect(result.outcome.reason).toBe('alarm web-5xx is in ALARM')
    expect(stopped).toBe(true)
    expect(traffic.writes.map(w => `${w.kind} ${w.tenths}`)).toEqual([
      'shift 10',
      'shift 20',
      'shift 50',
      'restore 0'
    ])
  })
})
