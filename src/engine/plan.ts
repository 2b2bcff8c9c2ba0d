/**
 * The stage plan: parsing `stages`/`bake-time`, shares to ELB weights, and the compact form
 * recorded in tags. Pure.
 */
import type { Plan, Stage, Tenths, Weights } from './types.js'

/** The ladder used when `stages` is empty in `deploy` mode. */
export const DEFAULT_STAGES = '1,2,5,10,50,100'

/** An input value that does not parse; the message names the input and the value. */
export class InputError extends Error {
  constructor(
    readonly input: string,
    message: string
  ) {
    super(`Input '${input}': ${message}`)
    this.name = 'InputError'
  }
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }
const DURATION = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h))+$/
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/g

/**
 * Parses `45s`, `5m`, `1h30m`, `1500ms` into milliseconds. A bare number is refused: `5` could
 * mean seconds or minutes, and guessing wrong bakes for 60 times too long or too short.
 */
export function parseDuration(input: string, value: string): number {
  const text = value.trim().toLowerCase()
  if (!DURATION.test(text)) {
    throw new InputError(
      input,
      `'${value}' is not a duration; write it with a unit, like 45s, 5m or 1h30m`
    )
  }
  let ms = 0
  for (const [, amount, unit] of text.matchAll(PART)) ms += Number(amount) * UNIT_MS[unit]
  return Math.round(ms)
}

/** Formats milliseconds the way the inputs are written: `1h30m`, `5m`, `45s`, `1.5s`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`
  // Stryker disable next-line Regex: equivalent, toFixed(1) gives one decimal, so a .0 can only end the text
  if (ms % 1000 !== 0) return `${(ms / 1000).toFixed(1).replace(/\.0$/, '')}s`
  let s = ms / 1000
  const h = Math.floor(s / 3600)
  s -= h * 3600
  const m = Math.floor(s / 60)
  s -= m * 60
  return `${h ? `${h}h` : ''}${m ? `${m}m` : ''}${s ? `${s}s` : ''}`
}

/**
 * `50` → 500 tenths; `0.5` → 5. At most one decimal, 0.1 to 100; `0` only where `zeroOk` (the
 * first stage: production holds at 0 while test traffic reaches the canary).
 */
function parsePercent(input: string, entry: string, text: string, zeroOk: boolean): Tenths {
  if (/^\d{1,3}(?:\.\d)?%$/.test(text)) {
    throw new InputError(
      input,
      `'${entry}': drop the % sign; every share is a percentage already (write ${text.slice(0, -1)}, not ${text})`
    )
  }
  if (!/^\d{1,3}(?:\.\d)?$/.test(text)) {
    // `0.05` alone as an entry: name it once, not as `'0.05': '0.05'`.
    const what = entry === text ? `'${text}'` : `'${entry}': '${text}'`
    const why = /^\d+\.\d{2,}$/.test(text)
      ? ' has more than one decimal: shares go in steps of 0.1%, the smallest is 0.1'
      : ' is not a percentage with at most one decimal (like 0.5, 5 or 50)'
    throw new InputError(input, `${what}${why}`)
  }
  const tenths = Math.round(Number(text) * 10)
  if (tenths === 0 && zeroOk) return 0
  if (tenths === 0) {
    throw new InputError(
      input,
      `'${entry}': a 0 stage (test traffic only, production at 0%) can only be the first stage`
    )
  }
  if (tenths < 1 || tenths > 1000) {
    throw new InputError(input, `'${entry}': ${text}% is outside 0.1–100`)
  }
  return tenths
}

/**
 * Parses a plan: `PERCENT[:BAKE]` entries separated by commas, spaces or newlines; BAKE is a
 * duration or `pause`; entries without one bake for `defaultBakeMs`. Shares must rise strictly
 * and the last must be 100. The first may be `0`: production stays at 0% while the test rules
 * (`test-listener-rules`) send test traffic to the canary.
 */
export function parsePlan(value: string, defaultBakeMs: number, input = 'stages'): Plan {
  // Split on every space or comma: filter(Boolean) drops the empty entries between and around.
  const entries = value.split(/[\s,]/).filter(Boolean)
  if (entries.length === 0) throw new InputError(input, 'no stages given')
  const stages: Stage[] = entries.map((entry, i) => {
    const [percent, bake, extra] = entry.split(':')
    if (extra !== undefined) {
      throw new InputError(input, `'${entry}' has more than one ':'; write PERCENT or PERCENT:BAKE`)
    }
    const tenths = parsePercent(input, entry, percent, i === 0)
    if (bake === undefined || bake === '')
      return { tenths, bake: { kind: 'bake', ms: defaultBakeMs } }
    if (bake.toLowerCase() === 'pause') return { tenths, bake: { kind: 'pause' } }
    return { tenths, bake: { kind: 'bake', ms: parseDuration(input, bake) } }
  })
  stages.forEach((stage, i) => {
    if (i > 0 && stage.tenths <= stages[i - 1].tenths) {
      throw new InputError(
        input,
        `stages must rise strictly: ${percentText(stage.tenths)} comes after ${percentText(stages[i - 1].tenths)}`
      )
    }
  })
  const last = stages[stages.length - 1]
  if (last.tenths !== 1000) {
    throw new InputError(input, `the last stage must be 100, not ${percentText(last.tenths)}`)
  }
  if (last.bake.kind === 'pause') {
    throw new InputError(
      input,
      `'100:pause' cannot be resumed to anything; end with 100 or 100:BAKE`
    )
  }
  return stages
}

/** `5` → `0.5%`, `500` → `50%`. */
export function percentText(tenths: Tenths): string {
  // Stryker disable next-line ConditionalExpression: equivalent for whole tenths (all callers), whose tenths / 10 prints the same one decimal
  return `${tenths % 10 === 0 ? tenths / 10 : (tenths / 10).toFixed(1)}%`
}

/**
 * The weights that give the idle group exactly `tenths` of the traffic. Whole percentages use a
 * total of 100 (5 % → 5/95) so the rule reads like the plan; others use 1000 (0.5 % → 5/995).
 * Both stay within ELB's 0..999.
 */
export function weightsFor(tenths: Tenths): Weights {
  if (!Number.isInteger(tenths) || tenths < 0 || tenths > 1000) {
    throw new RangeError(`share ${tenths} is outside 0..1000 tenths`)
  }
  if (tenths % 10 === 0) return { idle: tenths / 10, live: 100 - tenths / 10 }
  return { idle: tenths, live: 1000 - tenths }
}

/**
 * The idle group's share given the weights on a rule, or `undefined` when no traffic is
 * forwarded at all. Rounded to the nearest tenth; `exact` says whether rounding was needed.
 */
export function shareOf(weights: Weights): { tenths: Tenths; exact: boolean } | undefined {
  const total = weights.idle + weights.live
  if (total <= 0) return undefined
  const tenths = Math.round((weights.idle * 1000) / total)
  return { tenths, exact: (weights.idle * 1000) % total === 0 }
}

/** The plan in the compact text used in tags and logs: `1:5m 2:5m 25:pause 100:5m`. */
export function formatPlan(plan: Plan): string {
  return plan
    .map(s => {
      const pct = percentText(s.tenths).slice(0, -1)
      return `${pct}:${s.bake.kind === 'pause' ? 'pause' : formatDuration(s.bake.ms)}`
    })
    .join(' ')
}

/** The stages still ahead of a rollout whose idle group holds `tenths` now. */
export function remainingStages(plan: Plan, tenths: Tenths): Plan {
  return plan.filter(s => s.tenths > tenths)
}
