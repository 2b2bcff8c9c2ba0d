import { describe, expect, it } from '@jest/globals'
import { DEFAULT_BOUNDS, judge, type TargetGroupStats } from '../../src/engine/analysis.js'

// judge at its bounds: exactly at one passes, and a difference of 1e-12 is floating-point noise.

function side(requests: number, errors: number, latencyMs?: number): TargetGroupStats {
  return latencyMs === undefined
    ? { requests, errors, latencySum: 0, latencyCount: 0 }
    : { requests, errors, latencySum: (latencyMs / 1000) * requests, latencyCount: requests }
}

describe('judge before min-requests', () => {
  it('waits when the best the canary can still do is exactly the bound', () => {
    // 1 failure: at best 1 in 100 once 100 requests are in, exactly the +1% allowed.
    const reading = judge(side(30, 1, 40), side(20000, 0, 40), {
      ...DEFAULT_BOUNDS,
      minRequests: 100
    })
    expect(reading.verdict).toBe('wait')
    expect(reading.reason).toBe(
      'the canary got too little traffic to judge: 30 of the 100 requests needed (min-requests)'
    )
  })

  it('takes a best rate within 1e-12 of the bound as at it', () => {
    const bounds = { ...DEFAULT_BOUNDS, errorPoints: 0, minRequests: 1e12 }
    expect(judge(side(5, 1, 40), side(20000, 0, 40), bounds).verdict).toBe('wait')
  })
})

describe('judge once min-requests are in', () => {
  it('takes an error rate within 1e-12 of the bound as at it', () => {
    const bounds = { ...DEFAULT_BOUNDS, errorPoints: 0 }
    expect(judge(side(1e12, 1, 40), side(20000, 0, 40), bounds).verdict).toBe('pass')
  })

  it('takes a latency within 1e-12 s of the bound as at it', () => {
    const canary = { requests: 200, errors: 0, latencySum: 1e-12, latencyCount: 1 }
    const live = { requests: 20000, errors: 0, latencySum: 0, latencyCount: 20000 }
    expect(judge(canary, live, DEFAULT_BOUNDS).verdict).toBe('pass')
  })

  it('does not judge latency while live has fewer than min-requests', () => {
    expect(judge(side(200, 0, 900), side(49, 0, 40), DEFAULT_BOUNDS)).toMatchObject({
      verdict: 'pass',
      reason: ''
    })
    expect(judge(side(200, 0, 900), side(50, 0, 40), DEFAULT_BOUNDS).reason).toBe(
      'canary latency 900 ms vs live 40 ms, above the 60 ms allowed (max-latency 1.5x)'
    )
  })
})
