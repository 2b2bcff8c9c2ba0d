import { describe, expect, it } from '@jest/globals'
import { DEFAULT_BOUNDS, judge } from '../../src/engine/analysis.js'
import { parseRatio } from '../../src/inputs/analysis-inputs.js'
import type { TargetGroupStats } from '../../src/engine/analysis.js'
import { readSettings } from '../../src/inputs/inputs.js'
import { InputError, parsePlan } from '../../src/engine/plan.js'

const RULE =
  'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee'

function read(inputs: Record<string, string>) {
  const all: Record<string, string> = {
    cluster: 'web-cluster',
    services: 'web-blue web-green',
    'listener-rules': RULE,
    ...inputs
  }
  return readSettings(name => all[name] ?? '', { AWS_REGION: 'us-east-1' })
}

describe('boolean inputs', () => {
  it.each(['false', 'no', 'off', 'FALSE', 'Off'])('read %p as false', word => {
    expect(read({ 'dry-run': word }).dryRun).toBe(false)
    expect(read({ 'allow-family-change': word }).allowFamilyChange).toBe(false)
  })

  it.each(['true', 'yes', 'on', 'TRUE', 'On'])('read %p as true', word => {
    expect(read({ 'dry-run': word }).dryRun).toBe(true)
  })

  it.each(['onward', 'yesterday', 'nope', 'truee', '1'])('refuse %p, naming the input', word => {
    expect(() => read({ 'dry-run': word })).toThrow(/dry-run/)
  })
})

describe('analysis inputs', () => {
  it.each([
    ['true', true],
    ['false', false],
    ['on', true],
    ['off', false]
  ])('analysis: %p turns analysis %p', (word, enabled) => {
    expect(read({ analysis: word, alarms: 'web-5xx' }).analysis.enabled).toBe(enabled)
  })

  it('accepts min-requests: 1', () => {
    expect(read({ 'min-requests': '1' }).analysis.bounds.minRequests).toBe(1)
  })
})

describe('analysis edges', () => {
  const side = (requests: number, errors: number, latencyMs: number): TargetGroupStats => ({
    requests,
    errors,
    latencySum: (latencyMs / 1000) * requests,
    latencyCount: requests
  })

  it('accepts a 1x ratio and refuses one below 1x', () => {
    expect(parseRatio('max-latency', '1x')).toBe(1)
    expect(() => parseRatio('max-latency', '0.9x')).toThrow(/max-latency/)
  })

  it('judges the canary once it has exactly min-requests, not before', () => {
    const bounds = { ...DEFAULT_BOUNDS, minRequests: 50 }
    expect(judge(side(49, 0, 40), side(5000, 0, 40), bounds).verdict).toBe('wait')
    expect(judge(side(50, 0, 40), side(5000, 0, 40), bounds).verdict).toBe('pass')
  })

  it('judges latency when live has exactly min-requests, and not below', () => {
    const bounds = { ...DEFAULT_BOUNDS, minRequests: 50 }
    expect(judge(side(100, 0, 400), side(50, 0, 40), bounds).verdict).toBe('fail')
    expect(judge(side(100, 0, 400), side(49, 0, 40), bounds).verdict).toBe('pass')
  })

  it('reads an empty bake after the colon as the default bake-time', () => {
    expect(parsePlan('5:,100:2m', 60_000).map(s => s.bake)).toEqual([
      { kind: 'bake', ms: 60_000 },
      { kind: 'bake', ms: 120_000 }
    ])
  })

  it('names InputError as its class', () => {
    expect(new InputError('stages', 'bad').name).toBe('InputError')
  })
})
