import { describe, expect, it } from '@jest/globals'
import { formatDuration, parseDuration, parsePlan, weightsFor } from '../../src/engine/plan.js'

// The edges of the plan's small parsers and formatters.

describe('formatDuration at the edges', () => {
  it('writes under a second in ms and a whole second in s', () => {
    expect(formatDuration(999)).toBe('999ms')
    expect(formatDuration(1000)).toBe('1s')
  })

  it('writes a fraction of a second with one decimal, dropping a .0', () => {
    expect(formatDuration(1500)).toBe('1.5s')
    expect(formatDuration(1001)).toBe('1s')
    expect(formatDuration(61_001)).toBe('61s')
  })
})

describe('parseDuration with decimals and trailing text', () => {
  it('reads a two-decimal amount', () => {
    expect(parseDuration('bake-time', '1.25s')).toBe(1250)
    expect(parseDuration('bake-time', '0.75m')).toBe(45_000)
  })

  it.each(['5m5', '5mx', 'x5m'])('refuses %j naming the input', value => {
    expect(() => parseDuration('bake-time', value)).toThrow(
      `Input 'bake-time': '${value}' is not a duration; write it with a unit, like 45s, 5m or 1h30m`
    )
  })
})

describe('a stage written with a % sign', () => {
  it('is told to drop it, with two or three digits too', () => {
    expect(() => parsePlan('50%,100', 60_000)).toThrow(
      "Input 'stages': '50%': drop the % sign; every share is a percentage already (write 50, not 50%)"
    )
    expect(() => parsePlan('100%', 60_000)).toThrow('(write 100, not 100%)')
  })

  it('is not read as a share when something comes before the number', () => {
    expect(() => parsePlan('-5%,100', 60_000)).toThrow(
      "Input 'stages': '-5%' is not a percentage with at most one decimal (like 0.5, 5 or 50)"
    )
    expect(() => parsePlan('x5%,100', 60_000)).toThrow("Input 'stages': 'x5%' is not a percentage")
  })
})

describe('weightsFor outside the range', () => {
  it('refuses a negative share, naming it', () => {
    expect(() => weightsFor(-5)).toThrow(new RangeError('share -5 is outside 0..1000 tenths'))
    expect(() => weightsFor(-10)).toThrow(RangeError)
  })
})
