import { describe, it, expect, jest } from '@jest/globals'
import { DEFAULT_BOUNDS, describeStats, failedRequests, judge } from '../../src/engine/analysis.js'
import {
  parseAnalysisSwitch,
  parseErrorBound,
  parseMinRequests,
  parseRatio
} from '../../src/inputs/analysis-inputs.js'
import type { AnalysisBounds, TargetGroupStats } from '../../src/engine/analysis.js'
import { AnalysisGate } from '../../src/engine/gates/analysis.js'
import type { StatsReader } from '../../src/engine/gates/analysis.js'
import { InputError } from '../../src/engine/plan.js'

/** Stats with a mean latency in milliseconds (one sample per request, as the ALB reports). */
function side(requests: number, errors: number, latencyMs?: number): TargetGroupStats {
  return latencyMs === undefined
    ? { requests, errors, latencySum: 0, latencyCount: 0 }
    : { requests, errors, latencySum: (latencyMs / 1000) * requests, latencyCount: requests }
}

const bounds: AnalysisBounds = DEFAULT_BOUNDS
const healthyLive = side(20000, 60, 40)

describe('judge', () => {
  it.each([
    ['a canary as good as live', side(200, 0, 40), healthyLive, bounds, 'pass'],
    [
      'one error in 200 with no live errors (under the +1% floor)',
      side(200, 1, 40),
      side(20000, 0, 40),
      bounds,
      'pass'
    ],
    ['exactly +1% with no live errors', side(200, 2, 40), side(20000, 0, 40), bounds, 'pass'],
    ['just over +1% with no live errors', side(200, 3, 40), side(20000, 0, 40), bounds, 'fail'],
    [
      '2x a high live rate, which is above +1%',
      side(200, 20, 40),
      side(20000, 1000, 40),
      bounds,
      'pass'
    ],
    ['over 2x a high live rate', side(200, 21, 40), side(20000, 1000, 40), bounds, 'fail'],
    [
      'over 2x a low live rate but within +1%',
      side(1000, 10, 40),
      side(20000, 60, 40),
      bounds,
      'pass'
    ],
    ['a canary failing every request', side(200, 200, 40), healthyLive, bounds, 'fail'],
    ['too few canary requests, all fine so far', side(49, 0, 900), healthyLive, bounds, 'wait'],
    [
      'too few requests, and a bound still within reach if the rest succeed',
      side(30, 1, 40),
      side(20000, 400, 40),
      bounds,
      'wait'
    ],
    [
      'too few requests, but out of reach even if the rest succeed',
      side(30, 3, 40),
      side(20000, 400, 40),
      bounds,
      'fail'
    ],
    ['30 of 30 failed, before min-requests', side(30, 30, 40), healthyLive, bounds, 'fail'],
    [
      'no 5xx from targets, but connection errors',
      { ...side(200, 0, 40), connectionErrors: 20, responses: 180 },
      healthyLive,
      bounds,
      'fail'
    ],
    [
      'no 5xx and no connection errors, but requests no target answered',
      { ...side(200, 0, 40), connectionErrors: 0, responses: 150 },
      healthyLive,
      bounds,
      'fail'
    ],
    [
      'every request answered by a target, no connection errors',
      { ...side(200, 1, 40), connectionErrors: 0, responses: 200 },
      healthyLive,
      bounds,
      'pass'
    ],
    ['no canary data at all', side(0, 0), healthyLive, bounds, 'wait'],
    ['no data on either side', side(0, 0), side(0, 0), bounds, 'wait'],
    [
      'a canary without latency samples, judged on its 5xx only',
      side(200, 0),
      healthyLive,
      bounds,
      'pass'
    ],
    [
      'a canary without latency samples and too many 5xx',
      side(200, 20),
      healthyLive,
      bounds,
      'fail'
    ],
    [
      'a slow canary whose 5xx rate is within bounds',
      side(200, 2, 90),
      healthyLive,
      bounds,
      'fail'
    ],
    ['exactly min-requests', side(50, 0, 40), healthyLive, bounds, 'pass'],
    ['live with no traffic, canary under +1%', side(200, 2, 40), side(0, 0), bounds, 'pass'],
    ['live with no traffic, canary over +1%', side(200, 3, 40), side(0, 0), bounds, 'fail'],
    ['latency exactly 1.5x', side(200, 0, 60), healthyLive, bounds, 'pass'],
    ['latency over 1.5x with no errors', side(200, 0, 61), healthyLive, bounds, 'fail'],
    ['slow canary without live latency data', side(200, 0, 900), side(20000, 0), bounds, 'pass'],
    [
      'slow canary when live has too few requests',
      side(200, 0, 900),
      side(10, 0, 40),
      bounds,
      'pass'
    ],
    [
      'a points-only bound (ratio 1) just over live + points',
      side(1000, 15, 40),
      side(20000, 80, 40),
      { ...bounds, errorRatio: 1, errorPoints: 1 },
      'fail'
    ],
    [
      'a ratio-only bound (points 0) on zero live errors',
      side(200, 1, 40),
      side(20000, 0, 40),
      { ...bounds, errorPoints: 0 },
      'fail'
    ]
  ] as const)('%s → %s', (_name, canary, live, b, verdict) => {
    expect(judge(canary, live, b).verdict).toBe(verdict)
  })

  it('gives both sides’ numbers and the bound when the 5xx rate fails', () => {
    const reading = judge(side(200, 24, 40), side(20000, 60, 40), bounds)
    expect(reading.reason).toBe(
      'canary 5xx 12.0% (24/200) vs live 0.3% (60/20000), above the 1.3% allowed (max-error-rate)'
    )
  })

  it('gives both sides’ latency when the latency fails', () => {
    const reading = judge(side(200, 0, 812), side(20000, 0, 41), bounds)
    expect(reading.reason).toBe(
      'canary latency 812 ms vs live 41 ms, above the 62 ms allowed (max-latency 1.5x)'
    )
  })

  it('names both failures when error rate and latency are both out of bounds', () => {
    const reading = judge(side(200, 200, 900), healthyLive, bounds)
    expect(reading.reason).toMatch(/^canary 5xx 100\.0% .*; canary latency 900 ms vs live 40 ms/)
  })

  it('fails a canary before min-requests when even a perfect rest could not save it', () => {
    const reading = judge(side(30, 30, 40), healthyLive, bounds)
    expect(reading.verdict).toBe('fail')
    expect(reading.reason).toBe(
      'canary 5xx (30/30) before min-requests: even if the 20 request(s) still missing to reach 50 all succeed, its rate would be 60.0%, above the 1.3% allowed (max-error-rate; live 0.3%)'
    )
  })

  it('counts a request with a connection error and no response once, not twice', () => {
    const canary = { ...side(100, 0, 40), connectionErrors: 10, responses: 90 }
    expect(failedRequests(canary)).toBe(10)
    expect(failedRequests({ ...canary, errors: 5 })).toBe(15)
    expect(failedRequests({ ...canary, connectionErrors: 30 })).toBe(30)
    expect(failedRequests({ ...side(10, 0), connectionErrors: 40, responses: 0 })).toBe(10)
  })

  it('says how many failed requests no target answered', () => {
    const reading = judge({ ...side(200, 2, 40), responses: 170 }, healthyLive, bounds)
    expect(reading.reason).toContain('canary 5xx 16.0% (32/200, 30 without a target response)')
    expect(reading.detail).toContain('canary 16.0% 5xx (32/200, 30 without a target response)')
  })

  it('says how many canary requests it is still waiting for', () => {
    const reading = judge(side(12, 0, 40), healthyLive, bounds)
    expect(reading.reason).toBe(
      'the canary got too little traffic to judge: 12 of the 50 requests needed (min-requests)'
    )
  })

  it('shows both sides in the detail line whatever the verdict', () => {
    const detail = 'canary 0.0% 5xx (0/120), 41 ms · live 0.4% (80/20000), 39 ms'
    expect(judge(side(120, 0, 41), side(20000, 80, 39), bounds)).toEqual({
      verdict: 'pass',
      reason: '',
      detail
    })
    expect(judge(side(12, 0, 41), side(20000, 80, 39), bounds).detail).toContain('(0/12), 41 ms')
  })

  it('says when a side has no latency data', () => {
    expect(describeStats(side(0, 0), side(0, 0))).toBe(
      'canary 0.0% 5xx (0/0), no latency data · live 0.0% (0/0), no latency data'
    )
  })
})

describe('parseErrorBound', () => {
  it.each([
    ['2x', { errorRatio: 2, errorPoints: 1 }],
    ['3x', { errorRatio: 3, errorPoints: 1 }],
    ['+0.5%', { errorRatio: 2, errorPoints: 0.5 }],
    ['2x +1%', { errorRatio: 2, errorPoints: 1 }],
    ['1.5x,+2%', { errorRatio: 1.5, errorPoints: 2 }],
    ['+2% 1.5X', { errorRatio: 1.5, errorPoints: 2 }],
    ['', { errorRatio: 2, errorPoints: 1 }]
  ])('reads %p', (value, expected) => {
    expect(parseErrorBound(value)).toEqual(expected)
  })

  it.each([
    ['1%', /'1%' could be read as an absolute rate; write \+1%/],
    ['two', /'two' in 'two' is neither a ratio/],
    ['0.5x', /at least 1x/],
    ['2x 3x', /gives the ratio twice/],
    ['+1% +2%', /gives the points twice/],
    ['-1%', /neither a ratio/]
  ])('refuses %p, naming the input', (value, message) => {
    expect(() => parseErrorBound(value)).toThrow(InputError)
    expect(() => parseErrorBound(value)).toThrow(/^Input 'max-error-rate': /)
    expect(() => parseErrorBound(value)).toThrow(message)
  })
})

describe('parseRatio', () => {
  it('reads a ratio with an x', () => {
    expect(parseRatio('max-latency', '1.5x')).toBe(1.5)
    expect(parseRatio('max-latency', ' 3X ')).toBe(3)
  })

  it('gives the fallback for an empty value', () => {
    expect(parseRatio('max-latency', '', 1.5)).toBe(1.5)
  })

  it.each(['200', '1.5', 'fast', '', '0.9x'])('refuses %p, naming the input', value => {
    expect(() => parseRatio('max-latency', value)).toThrow(/^Input 'max-latency': /)
  })
})

describe('parseMinRequests', () => {
  it('reads a whole number and defaults to 50', () => {
    expect(parseMinRequests('200')).toBe(200)
    expect(parseMinRequests('')).toBe(50)
  })

  it.each(['0', '-5', '2.5', 'many'])('refuses %p, naming the input', value => {
    expect(() => parseMinRequests(value)).toThrow(/^Input 'min-requests': /)
  })
})

describe('parseAnalysisSwitch', () => {
  it('defaults to on without alarms and off with them', () => {
    expect(parseAnalysisSwitch('', false)).toBe(true)
    expect(parseAnalysisSwitch('', true)).toBe(false)
  })

  it('follows an explicit on or off whatever the alarms', () => {
    expect(parseAnalysisSwitch('on', true)).toBe(true)
    expect(parseAnalysisSwitch('OFF', false)).toBe(false)
  })

  it('refuses anything else, naming the input', () => {
    expect(() => parseAnalysisSwitch('maybe', false)).toThrow(/^Input 'analysis': 'maybe'/)
  })
})

describe('AnalysisGate', () => {
  const arns = {
    loadBalancerArn:
      'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web/50dc6c495c0c9188',
    canaryTargetGroupArn:
      'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-green/73e2d6bc24d8a067',
    liveTargetGroupArn:
      'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-blue/8f1c5a0c2b3d4e5f'
  }

  it('reads the stage so far and judges the canary against live', async () => {
    const stats = jest.fn<StatsReader>().mockResolvedValue({
      canary: side(200, 24, 40),
      live: side(20000, 60, 40)
    })
    const gate = new AnalysisGate(stats, arns, bounds)
    const reading = await gate.read({ stageStartedAt: 1_000, now: 61_000 })

    expect(stats).toHaveBeenCalledWith(arns, 1_000, 61_000)
    expect(reading.verdict).toBe('fail')
    expect(reading.reason).toContain('canary 5xx 12.0% (24/200) vs live 0.3% (60/20000)')
    expect(reading.detail).toBe('canary 12.0% 5xx (24/200), 40 ms · live 0.3% (60/20000), 40 ms')
  })

  it('lets a read error propagate', async () => {
    const stats = jest.fn<StatsReader>().mockRejectedValue(new Error('Throttling'))
    const gate = new AnalysisGate(stats, arns, bounds)
    await expect(gate.read({ stageStartedAt: 0, now: 1 })).rejects.toThrow('Throttling')
  })
})
