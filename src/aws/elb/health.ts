/**
 * Target health of the idle target group: the last check before its first share of traffic.
 */
import { DescribeTargetHealthCommand } from '@aws-sdk/client-elastic-load-balancing-v2'
import type {
  ElasticLoadBalancingV2Client,
  TargetHealthDescription
} from '@aws-sdk/client-elastic-load-balancing-v2'
import { Input } from '../../names.js'
import { formatDuration } from '../../engine/plan.js'
import { targetGroupName } from '../../arn.js'
import type { Clock, Log } from '../../engine/types.js'
import { wrap } from './rules.js'

export { targetGroupName }

/** Targets on their way out: the load balancer sends them no new requests, so they do not count. */
const LEAVING = new Set(['draining', 'unhealthy.draining'])

/**
 * Targets on their way in, not failing: "`initial`: The load balancer is registering the target
 * or performing the initial health checks on the target" (TargetHealth.State, reason codes
 * `Elb.RegistrationInProgress`, `Elb.InitialHealthChecking`). ECS replacing a task (maintenance, a
 * crash) registers the replacement this way; the bake gate counts it as on its way, and so does
 * this check: not ready yet, never a failure.
 */
const STARTING = 'initial'

/**
 * Thrown, without `wait`, when the group is short of healthy targets only because some are still
 * `initial`: not ready yet, not broken (a paused canary whose task is being replaced).
 */
export class TargetsStarting extends Error {
  override readonly name = 'TargetsStarting'
}

/** `arn:…:targetgroup/web-green/0123abcd` → `web-green`. */
function stateOf(d: TargetHealthDescription): string {
  return d.TargetHealth?.State ?? 'unknown'
}

function targetLine(d: TargetHealthDescription): string {
  const id = `${d.Target?.Id ?? '?'}${d.Target?.Port ? `:${d.Target.Port}` : ''}`
  const reason = d.TargetHealth?.Reason ? ` ${d.TargetHealth.Reason}` : ''
  const description = d.TargetHealth?.Description ? ` (${d.TargetHealth.Description})` : ''
  return `  ${id} ${stateOf(d)}${reason}${description}`
}

/** How long to wait for targets to turn healthy, and with what. */
export interface HealthWait {
  readonly clock: Clock
  /** The `service-timeout`: the wait gives up (and fails) after this long. */
  readonly timeoutMs: number
  readonly signal?: AbortSignal
}

/**
 * Reads between polls: ELB health checks run every 5 s at the shortest (30 s by default), so
 * reading faster than that at first catches a fast warm-up and then costs little.
 */
const FAST_POLL_MS = 1_000
const FAST_FOR_MS = 10_000
const SLOW_POLL_MS = 5_000
/** A progress line at least this often, and whenever the targets' states change. */
const PROGRESS_EVERY_MS = 30_000

/**
 * Requires every registered target of the group to be healthy, and at least `minCount` of them
 * (at least one: an empty group would answer its share of requests with 503). New targets are
 * `initial` for health-check interval × healthy threshold (about 150 s with ALB defaults, see
 * the TargetHealth API reference), so with `wait` it polls, printing progress, until they are
 * or `wait.timeoutMs` has passed; only then does it throw, listing the targets that are not
 * healthy with ELB's reason codes. Without `wait` it reads once. `because` says where
 * `minCount` comes from, for the message (the idle service's desired count by default).
 */
export async function requireHealthyTargets(
  client: ElasticLoadBalancingV2Client,
  targetGroupArn: string,
  minCount: number,
  log: Log,
  because = `the idle service's desired count is ${minCount}`,
  wait?: HealthWait
): Promise<void> {
  const name = targetGroupName(targetGroupArn)
  const started = wait?.clock.now() ?? 0
  let lastLine = ''
  let lastPrinted = started
  for (;;) {
    const verdict = judge(await readHealth(client, targetGroupArn), name, minCount, because)
    if (!verdict.problem) {
      log.info(verdict.summary)
      return
    }
    const elapsed = wait ? wait.clock.now() - started : 0
    if (!wait && verdict.starting) throw new TargetsStarting(verdict.problem)
    if (!wait || elapsed >= wait.timeoutMs) {
      const waited = wait
        ? `Waited ${formatDuration(elapsed)} ('${Input.serviceTimeout}'); if the targets only need longer, raise it. `
        : ''
      throw new Error(`${verdict.problem}\n${waited}${ADVICE}`)
    }
    if (wait.signal?.aborted) {
      throw new Error(`Cancelled while waiting for target group '${name}' to turn healthy`)
    }
    const now = wait.clock.now()
    if (verdict.summary !== lastLine || now - lastPrinted >= PROGRESS_EVERY_MS) {
      log.info(
        `${verdict.summary}; waiting for healthy targets (${Math.round(elapsed / 1000)}s of ${formatDuration(wait.timeoutMs)})`
      )
      lastLine = verdict.summary
      lastPrinted = now
    }
    const pause = elapsed < FAST_FOR_MS ? FAST_POLL_MS : SLOW_POLL_MS
    await wait.clock.sleep(Math.min(pause, wait.timeoutMs - elapsed), wait.signal)
  }
}

const ADVICE =
  `Look at the idle service's latest events and its tasks' logs, and at the target group's ` +
  `health check settings.`

async function readHealth(
  client: ElasticLoadBalancingV2Client,
  targetGroupArn: string
): Promise<TargetHealthDescription[]> {
  try {
    const out = await client.send(
      new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn })
    )
    return out.TargetHealthDescriptions ?? []
  } catch (error) {
    throw wrap('DescribeTargetHealth', `target group ${targetGroupName(targetGroupArn)}`, error)
  }
}

/** What one read says: a one-line summary, and why the group is not ready (if it is not). */
function judge(all: TargetHealthDescription[], name: string, minCount: number, because: string) {
  const leaving = all.filter(d => LEAVING.has(stateOf(d)))
  const present = all.filter(d => !LEAVING.has(stateOf(d)))
  const notHealthy = present.filter(d => stateOf(d) !== 'healthy')
  const failing = notHealthy.filter(d => stateOf(d) !== STARTING)
  const starting = notHealthy.length - failing.length
  const healthy = present.length - notHealthy.length
  const need = Math.max(minCount, 1)
  const drainingNote = leaving.length > 0 ? `; ${leaving.length} draining, not counted` : ''
  const states = [
    ...new Set(
      notHealthy.map(
        d => `${stateOf(d)}${d.TargetHealth?.Reason ? ` ${d.TargetHealth.Reason}` : ''}`
      )
    )
  ]
  const others = states.length > 0 ? ` (others: ${states.join(', ')})` : ''
  const summary = `Target group ${name}: ${healthy} healthy target(s)${others}${drainingNote}`
  if (failing.length > 0) {
    const problem =
      `Target group '${name}' is not ready for traffic: ${notHealthy.length} of ` +
      `${present.length} targets are not healthy:\n${notHealthy.map(targetLine).join('\n')}`
    return { summary, problem, starting: false }
  }
  if (healthy < need) {
    const problem =
      starting > 0
        ? `Target group '${name}' is not ready for traffic yet: ${healthy} healthy target(s), ` +
          `needs at least ${need} (${because}); ${starting} more still registering or in ` +
          `their first health checks:\n${notHealthy.map(targetLine).join('\n')}`
        : `Target group '${name}' has ${healthy} healthy target(s), but needs at least ${need} ` +
          `(${because})`
    return { summary, problem, starting: starting > 0 }
  }
  return { summary, problem: undefined, starting: false }
}
