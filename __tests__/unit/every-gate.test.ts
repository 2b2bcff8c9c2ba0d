// EveryGate (src/engine/gates/every.ts): a read taken at the very moment the stage began belongs to it.
import { describe, expect, it } from '@jest/globals'
import { EveryGate } from '../../src/engine/gates/every.js'
import type { Gate, GateReading } from '../../src/engine/types.js'
import { FakeClock } from './fakes.js'

describe('EveryGate edges', () => {
  it('reuses a read taken exactly when the stage began', async () => {
    let reads = 0
    const inner: Gate = {
      name: 'alarms',
      read: async (): Promise<GateReading> => ({
        verdict: 'pass',
        reason: '',
        detail: `read ${++reads}`
      })
    }
    const clock = new FakeClock(10_000)
    const gate = new EveryGate(inner, 5_000, clock)
    await gate.read({ stageStartedAt: 10_000, now: 10_000 })
    clock.t = 12_000
    expect((await gate.read({ stageStartedAt: 10_000, now: 12_000 })).detail).toBe('read 1')
    expect(reads).toBe(1)
  })
})
