/**
 * Parsing the analysis inputs (`max-error-rate`, `max-latency`, `min-requests`, `analysis`) into
 * the bounds `judge` applies. Pure.
 */
import { DEFAULT_BOUNDS, type AnalysisBounds } from '../engine/analysis.js'
import { InputError } from '../engine/plan.js'
import { parseSwitch } from './switch.js'

const RATIO = /^(\d+(?:\.\d+)?)x$/
const POINTS = /^\+(\d+(?:\.\d+)?)%$/

/**
 * Parses `max-error-rate`: `2x`, `+1%`, `2x +1%` or `2x,+1%`, either part optional (the
 * default fills in the other). The ratio must be at least 1: a canary is not required to be
 * better than live.
 */
export function parseErrorBound(
  value: string,
  input = 'max-error-rate'
): Pick<AnalysisBounds, 'errorRatio' | 'errorPoints'> {
  let errorRatio: number | undefined
  let errorPoints: number | undefined
  // Split on every space or comma: filter(Boolean) drops the empty parts between and around.
  for (const part of value.toLowerCase().split(/[\s,]/).filter(Boolean)) {
    const ratio = RATIO.exec(part)
    const points = POINTS.exec(part)
    if (ratio && errorRatio === undefined) {
      errorRatio = atLeastOne(input, value, Number(ratio[1]))
    } else if (points && errorPoints === undefined) {
      errorPoints = Number(points[1])
    } else if (ratio || points) {
      throw new InputError(input, `'${value}' gives the ${ratio ? 'ratio' : 'points'} twice`)
    } else if (/^\d+(?:\.\d+)?%$/.test(part)) {
      throw new InputError(
        input,
        `'${part}' could be read as an absolute rate; write +${part} for percentage points above live's rate`
      )
    } else {
      throw new InputError(
        input,
        `'${part}' in '${value}' is neither a ratio (2x) nor percentage points above live (+1%); write for example '2x +1%'`
      )
    }
  }
  return {
    errorRatio: errorRatio ?? DEFAULT_BOUNDS.errorRatio,
    errorPoints: errorPoints ?? DEFAULT_BOUNDS.errorPoints
  }
}

/**
 * Parses a ratio like `1.5x` (for `max-latency`). A bare number is refused: `200` could be
 * meant as milliseconds. Empty gives `fallback` when there is one.
 */
export function parseRatio(input: string, value: string, fallback?: number): number {
  const text = value.trim().toLowerCase()
  if (text === '' && fallback !== undefined) return fallback
  const match = RATIO.exec(text)
  if (!match) {
    throw new InputError(input, `'${value}' is not a ratio to live; write it with an x, like 1.5x`)
  }
  return atLeastOne(input, value, Number(match[1]))
}

/** Parses `min-requests`: a whole number, at least 1; empty gives the default (50). */
export function parseMinRequests(value: string, input = 'min-requests'): number {
  const text = value.trim()
  if (text === '') return DEFAULT_BOUNDS.minRequests
  if (!/^\d+$/.test(text) || Number(text) < 1) {
    throw new InputError(input, `'${value}' is not a whole number of requests of at least 1`)
  }
  return Number(text)
}

/**
 * Parses `analysis` (`on`/`off`). Empty means on when no alarms are given, since then nothing
 * else would watch the canary, and off when alarms are.
 */
export function parseAnalysisSwitch(
  value: string,
  alarmsGiven: boolean,
  input = 'analysis'
): boolean {
  return parseSwitch(input, value, !alarmsGiven)
}

function atLeastOne(input: string, value: string, ratio: number): number {
  if (ratio < 1) {
    throw new InputError(
      input,
      `'${value}' would require the canary to do better than live; use a ratio of at least 1x`
    )
  }
  return ratio
}
