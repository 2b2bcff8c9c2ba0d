/**
 * Target health of the idle target group: the last check before its first share of traffic.
 */
import { DescribeTargetHealthCommand } from '@aws-sdk/client-elastic-load-balancing-v2'
import type {
  ElasticLoadBalancingV2Client,
  TargetHealthDescription
} from '@aws-sdk/client-elastic-load-balancing-v2'
import { parseArnOf } from '../arn.js'
import type { Log } from '../types.js'
import { wrap } from './rules.js'

/** Targets on their way out: the load balancer sends them no new requests, so they do not count. */
const LEAVING = new Set(['draining', 'unhealthy.draining'])

/** `arn:…:targetgroup/web-green/0123abcd` → `web-green`. */
export function targetGroupName(arn: string): string {
  return parseArnOf(arn, ['target-group'])?.name ?? arn
}

function stateOf(d: TargetHealthDescription): string {
  return d.TargetHealth?.State ?? 'unknown'
}

function targetLine(d: TargetHealthDescription): string {
  const id = `${d.Target?.Id ?? '?'}${d.Target?.Port ? `:${d.Target.Port}` : ''}`
  const reason = d.TargetHealth?.Reason ? ` ${d.TargetHealth.Reason}` : ''
  const description = d.TargetHealth?.Description ? ` (${d.TargetHealth.Description})` : ''
  return `  ${id} ${stateOf(d)}${reason}${description}`
}

/**
 * Requires every registered target of the group to be healthy, and at least `minCount` of them
 * (at least one: an empty group would answer its share of requests with 503). Throws listing
 * the targets that are not healthy, with ELB's reason codes. `because` says where `minCount`
 * comes from, for the message (the idle service's desired count by default).
 */
export async function requireHealthyTargets(
  client: ElasticLoadBalancingV2Client,
  targetGroupArn: string,
  minCount: number,
  log: Log,
  because = `the idle service's desired count is ${minCount}`
): Promise<void> {
  let out
  try {
    out = await client.send(new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn }))
  } catch (error) {
    throw wrap('DescribeTargetHealth', `target group ${targetGroupName(targetGroupArn)}`, error)
  }
  const all = out.TargetHealthDescriptions ?? []
  const leaving = all.filter(d => LEAVING.has(stateOf(d)))
  const present = all.filter(d => !LEAVING.has(stateOf(d)))
  const notHealthy = present.filter(d => stateOf(d) !== 'healthy')
  const healthy = present.length - notHealthy.length
  const name = targetGroupName(targetGroupArn)
  const advice =
    `Look at the idle service's latest events and its tasks' logs, and at the target group's ` +
    `health check settings.`

  if (notHealthy.length > 0) {
    throw new Error(
      `Target group '${name}' is not ready for traffic: ${notHealthy.length} of ` +
        `${present.length} targets are not healthy:\n${notHealthy.map(targetLine).join('\n')}\n` +
        advice
    )
  }
  const need = Math.max(minCount, 1)
  if (healthy < need) {
    throw new Error(
      `Target group '${name}' has ${healthy} healthy target(s), but needs at least ${need} ` +
        `(${because}). ${advice}`
    )
  }
  const drainingNote = leaving.length > 0 ? `; ${leaving.length} draining, not counted` : ''
  log.info(`Target group ${name}: ${healthy} healthy target(s)${drainingNote}`)
}
