// The analysis gate (src/engine/gates/analysis.ts) at its edges: its name, a window without an end
// (never held for late data), and a canary with no minute at all once the bake is over.
import { describe, expect, it } from '@jest/globals'
import type { TargetGroupStats } from '../../src/engine/analysis.js'
import { AnalysisGate } from '../../src/engine/gates/analysis.js'

const T0 = Date.UTC(2026, 10, 28, 12, 0, 30)
const ENDS = T0 + 5 * 60_000
const ARNS = { loadBalancerArn: 'lb', canaryTargetGroupArn: 'green', liveTargetGroupArn: 'blue' }
const BOUNDS = { errorRatio: 2, errorPoints: 1, latencyRatio: 1.5, minRequests: 50 }

function stats(requests: number, newestMinute?: number): TargetGroupStats {
  return {
    requests,
    errors: 0,
    latencySum: 0.04 * requests,
    latencyCount: requests,
    ...(newestMinute !== undefined ? { newestMinute } : {})
  }
}

const gate = (canary: TargetGroupStats) =>
  new AnalysisGate(async () => ({ canary, live: stats(9000) }), ARNS, BOUNDS)

describe('AnalysisGate edges', () => {
  it('is named analysis', () => {
    expect(gate(stats(500)).name).toBe('analysis')
  })

  it('passes a window without an end at once, whatever minute has come in', async () => {
    const reading = await gate(stats(500)).read({ stageStartedAt: T0, now: ENDS })
    expect(reading.verdict).toBe('pass')
    expect(reading.reason).toBe('')
  })

  it('waits at the end of the bake when the canary has no minute of data at all', async () => {
    const reading = await gate(stats(500)).read({ stageStartedAt: T0, now: ENDS, endsAt: ENDS })
    expect(reading).toMatchObject({ verdict: 'wait', late: true })
    expect(reading.reason).toContain('the minute from 12:04 UTC')
  })
})
