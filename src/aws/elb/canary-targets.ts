/**
 * The health gate's read of the canary's target group (ELBv2): every registered target with its
 * state and reason code.
 */
import { DescribeTargetHealthCommand } from '@aws-sdk/client-elastic-load-balancing-v2'
import type { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2'
import { targetGroupName } from '../../arn.js'
import type { TargetState } from '../../engine/health.js'

/** One DescribeTargetHealth of the canary's group (every registered target, one page). */
export async function canaryTargets(
  elb: ElasticLoadBalancingV2Client,
  targetGroupArn: string
): Promise<TargetState[]> {
  let out
  try {
    out = await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn }))
  } catch (error) {
    throw failed('DescribeTargetHealth', `target group ${targetGroupName(targetGroupArn)}`, error)
  }
  return (out.TargetHealthDescriptions ?? []).map(d => ({
    id: `${d.Target?.Id ?? '?'}${d.Target?.Port ? `:${d.Target.Port}` : ''}`,
    state: d.TargetHealth?.State ?? 'unknown',
    ...(d.TargetHealth?.Reason ? { reason: d.TargetHealth.Reason } : {}),
    ...(d.TargetHealth?.Description ? { description: d.TargetHealth.Description } : {})
  }))
}

function failed(call: string, what: string, error: unknown): Error {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error)
  return new Error(`health gate: ${call} of ${what} failed: ${text}`, { cause: error })
}
