/**
 * Canary analysis: the canary's target group against the live one, stage by stage. Pure.
 *
 * The rule, precisely (rates are failed requests / requests of the stage so far; a request failed
 * when its target answered 5xx, or when no target answered at all: a refused or reset connection,
 * a failed TLS handshake, a timeout, which the load balancer turns into its own 502/503/504):
 * - fewer than `minRequests` canary requests: `wait`, unless the failures so far exceed the
 *   bound even if every request still missing to reach `minRequests` succeeded: then `fail`;
 * - `fail` when canary rate > max(live rate × errorRatio, live rate + errorPoints / 100). The
 *   floor matters when live has no errors: 0 × 2 is 0, and one unlucky request must not roll
 *   back a release;
 * - `fail` when canary mean latency > live mean latency × latencyRatio, judged only when live
 *   also has `minRequests` requests and both sides have latency samples;
 * - exactly at a bound passes.
 */
import type { GateReading } from './types.js'

/** The load balancer and the two target groups to compare, by ARN (read by `aws/metrics.ts`). */
export interface TargetGroupArns {
  /**
   * The ALB's ARN. A listener or listener-rule ARN of that ALB works too: it embeds the same
   * `app/<name>/<id>`, which saves a DescribeTargetGroups call.
   */
  readonly loadBalancerArn: string
  readonly canaryTargetGroupArn: string
  readonly liveTargetGroupArn: string
}

/** What one target group did over a window, summed from CloudWatch. */
export interface TargetGroupStats {
  /** RequestCount (Sum). */
  readonly requests: number
  /** HTTPCode_Target_5XX_Count (Sum). */
  readonly errors: number
  /** TargetResponseTime (Sum), in seconds. */
  readonly latencySum: number
  /** TargetResponseTime (SampleCount): how many responses `latencySum` covers. */
  readonly latencyCount: number
  /** TargetConnectionErrorCount + TargetTLSNegotiationErrorCount (Sum); unset when not read. */
  readonly connectionErrors?: number
  /**
   * HTTPCode_Target_2XX/3XX/4XX/5XX_Count (Sum): requests a target answered. RequestCount minus
   * this is the requests that got no answer from a target. Unset when not read.
   */
  readonly responses?: number
  /** Start (epoch ms) of the newest minute with a RequestCount datapoint; unset when none. */
  readonly newestMinute?: number
}

/** How much worse than live the canary may be. */
export interface AnalysisBounds {
  /** The canary's 5xx rate may be this many times live's (`2x` → 2). */
  readonly errorRatio: number
  /** ...or this many percentage points above it, whichever is more (`+1%` → 1, `+0.5%` → 0.5). */
  readonly errorPoints: number
  /** The canary's mean response time may be this many times live's (`1.5x` → 1.5). */
  readonly latencyRatio: number
  /** Canary requests needed before any verdict but `wait`. */
  readonly minRequests: number
}

/** The defaults of `max-error-rate`, `max-latency` and `min-requests`. */
export const DEFAULT_BOUNDS: AnalysisBounds = {
  errorRatio: 2,
  errorPoints: 1,
  latencyRatio: 1.5,
  minRequests: 50
}

/** Absorbs floating-point noise so that "exactly at the bound" passes. */
const EPSILON = 1e-12

/** The canary's verdict against live under `bounds`, with both sides' numbers. */
export function judge(
  canary: TargetGroupStats,
  live: TargetGroupStats,
  bounds: AnalysisBounds
): GateReading {
  const detail = describeStats(canary, live)
  const liveRate = rate(live)
  const allowedRate = Math.max(liveRate * bounds.errorRatio, liveRate + bounds.errorPoints / 100)
  if (canary.requests < bounds.minRequests) {
    // The best the canary can still do: every request missing to reach min-requests succeeds.
    const best = failedRequests(canary) / bounds.minRequests
    if (best > allowedRate + EPSILON) {
      return {
        verdict: 'fail',
        reason: `canary 5xx ${counts5xx(canary)} before min-requests: even if the ${bounds.minRequests - canary.requests} request(s) still missing to reach ${bounds.minRequests} all succeed, its rate would be ${pct(best)}, above the ${pct(allowedRate)} allowed (max-error-rate; live ${pct(liveRate)})`,
        detail
      }
    }
    return {
      verdict: 'wait',
      reason: `the canary got too little traffic to judge: ${canary.requests} of the ${bounds.minRequests} requests needed (min-requests)`,
      detail
    }
  }
  const failures: string[] = []
  const canaryRate = rate(canary)
  if (canaryRate > allowedRate + EPSILON) {
    failures.push(
      `canary 5xx ${pct(canaryRate)} ${counts5xx(canary)} vs live ${pct(liveRate)} ${counts5xx(live)}, above the ${pct(allowedRate)} allowed (max-error-rate)`
    )
  }
  const canaryMean = meanLatency(canary)
  const liveMean = meanLatency(live)
  if (canaryMean !== undefined && liveMean !== undefined && live.requests >= bounds.minRequests) {
    const allowedMean = liveMean * bounds.latencyRatio
    if (canaryMean > allowedMean + EPSILON) {
      failures.push(
        `canary latency ${ms(canaryMean)} vs live ${ms(liveMean)}, above the ${ms(allowedMean)} allowed (max-latency ${bounds.latencyRatio}x)`
      )
    }
  }
  return failures.length > 0
    ? { verdict: 'fail', reason: failures.join('; '), detail }
    : { verdict: 'pass', reason: '', detail }
}

/**
 * The minute analysis must have seen before a stage passes: the last whole minute that ended
 * within the stage, or, for a stage shorter than that, the minute it began in. Epoch ms.
 */
export function lastFullMinute(stageStartedAt: number, endsAt: number): number {
  const minute = 60_000
  const first = Math.floor(stageStartedAt / minute) * minute
  const lastEnded = Math.floor(endsAt / minute) * minute - minute
  return Math.max(first, lastEnded)
}

/** The heartbeat line: `canary 0.0% 5xx (0/120), 41 ms · live 0.4% (80/20000), 39 ms`. */
export function describeStats(canary: TargetGroupStats, live: TargetGroupStats): string {
  return `canary ${pct(rate(canary))} 5xx ${counts(canary)} · live ${pct(rate(live))} ${counts(live)}`
}

function counts(s: TargetGroupStats): string {
  const mean = meanLatency(s)
  return `${counts5xx(s)}, ${mean === undefined ? 'no latency data' : ms(mean)}`
}

/** `(20/200)`, or `(30/30, 30 without a target response)` when the load balancer answered. */
function counts5xx(s: TargetGroupStats): string {
  const failed = failedRequests(s)
  const unanswered = failed - s.errors
  return `(${failed}/${s.requests}${unanswered > 0 ? `, ${unanswered} without a target response` : ''})`
}

/**
 * Requests that failed: the targets' 5xx, plus those no target answered. A request whose
 * connection failed shows up both as a connection error and as a request without a response
 * (and the load balancer may count a retried connection twice), so the larger of the two
 * counts, not their sum. Never more than the requests.
 */
export function failedRequests(s: TargetGroupStats): number {
  const unanswered = s.responses === undefined ? 0 : Math.max(0, s.requests - s.responses)
  return Math.min(s.requests, s.errors + Math.max(unanswered, s.connectionErrors ?? 0))
}

function rate(s: TargetGroupStats): number {
  return s.requests > 0 ? failedRequests(s) / s.requests : 0
}

function meanLatency(s: TargetGroupStats): number | undefined {
  return s.latencyCount > 0 ? s.latencySum / s.latencyCount : undefined
}

function pct(fraction: number): string {
  return `${(fraction * 100).toFixed(1)}%`
}

function ms(seconds: number): string {
  return `${Math.round(seconds * 1000)} ms`
}
