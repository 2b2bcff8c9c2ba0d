/**
 * How many targets of a group are healthy right now: what `mode: rollback` compares with the
 * load it is about to send there.
 */
import { DescribeTargetHealthCommand } from '@aws-sdk/client-elastic-load-balancing-v2'
import type { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2'
import { targetGroupName } from '../../arn.js'
import { wrap } from './rules.js'

/** The number of `healthy` targets in the group (draining and initial ones do not count). */
export async function countHealthyTargets(
  client: ElasticLoadBalancingV2Client,
  targetGroupArn: string
): Promise<number> {
  try {
    const out = await client.send(
      new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn })
    )
    return (out.TargetHealthDescriptions ?? []).filter(d => d.TargetHealth?.State === 'healthy')
      .length
  } catch (error) {
    throw wrap('DescribeTargetHealth', `target group ${targetGroupName(targetGroupArn)}`, error)
  }
}
