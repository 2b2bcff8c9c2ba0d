import { describe, expect, it } from '@jest/globals'
import { parseErrorBound, parseMinRequests, parseRatio } from '../../src/inputs/analysis-inputs.js'

// The analysis inputs at the edges of what their patterns accept.

const generic = (part: string, value: string) =>
  `Input 'max-error-rate': '${part}' in '${value}' is neither a ratio (2x) nor percentage points above live (+1%); write for example '2x +1%'`

describe('parseErrorBound', () => {
  it('reads many-digit and two-decimal ratios and points', () => {
    expect(parseErrorBound('10x +10%')).toEqual({ errorRatio: 10, errorPoints: 10 })
    expect(parseErrorBound('1.25x,+0.25%')).toEqual({ errorRatio: 1.25, errorPoints: 0.25 })
  })

  it('refuses a ratio or points with something before or after them', () => {
    expect(() => parseErrorBound('a2x')).toThrow(generic('a2x', 'a2x'))
    expect(() => parseErrorBound('2xx')).toThrow(generic('2xx', '2xx'))
    expect(() => parseErrorBound('a+1%')).toThrow(generic('a+1%', 'a+1%'))
    expect(() => parseErrorBound('+1%a')).toThrow(generic('+1%a', '+1%a'))
  })

  it('takes a many-digit or two-decimal bare percentage for an absolute rate', () => {
    expect(() => parseErrorBound('12.25%')).toThrow(
      "Input 'max-error-rate': '12.25%' could be read as an absolute rate; write +12.25% for percentage points above live's rate"
    )
    expect(() => parseErrorBound('2x 12%')).toThrow("'12%' could be read as an absolute rate")
  })

  it('does not take a percentage with more after it for an absolute rate', () => {
    expect(() => parseErrorBound('1%x')).toThrow(generic('1%x', '1%x'))
  })
})

describe('parseRatio', () => {
  it('reads many-digit and two-decimal ratios', () => {
    expect(parseRatio('max-latency', '10x')).toBe(10)
    expect(parseRatio('max-latency', '1.25x')).toBe(1.25)
  })

  it.each(['a1.5x', '1.5xx', '1.5x2'])('refuses %j naming the input and value', value => {
    expect(() => parseRatio('max-latency', value)).toThrow(
      `Input 'max-latency': '${value}' is not a ratio to live; write it with an x, like 1.5x`
    )
  })
})

describe('parseMinRequests', () => {
  it('reads a number with spaces around it', () => {
    expect(parseMinRequests(' 7 ')).toBe(7)
  })

  it('refuses zero, naming the input and value', () => {
    expect(() => parseMinRequests('0')).toThrow(
      "Input 'min-requests': '0' is not a whole number of requests of at least 1"
    )
  })
})
