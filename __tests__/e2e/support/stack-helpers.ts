import {
  AddTagsCommand,
  DescribeListenersCommand,
  DescribeRulesCommand,
  DescribeTagsCommand,
  ModifyListenerCommand,
  ModifyRuleCommand
} from '@aws-sdk/client-elastic-load-balancing-v2'
import type { Action, TargetGroupStickinessConfig } from '@aws-sdk/client-elastic-load-balancing-v2'
import type { TestAws } from './clients.js'

/** What a listener rule (or a listener's default action) forwards, as read from ELBv2. */
export interface RuleWeights {
  /** Target group ARN → weight, for every group the forward action names. */
  weights: Record<string, number>
  stickiness: TargetGroupStickinessConfig | undefined
  /** The whole action list, in the order ELBv2 returned it. */
  actions: Action[]
}

/** A listener ARN stands for its default action; anything else is a listener rule. */
export function isListenerArn(arn: string): boolean {
  return arn.includes(':listener/')
}

/** Reads the actions of a listener rule, or the default actions of a listener. */
export async function readActions(aws: TestAws, ruleOrListenerArn: string): Promise<Action[]> {
  if (isListenerArn(ruleOrListenerArn)) {
    const { Listeners } = await aws.elbv2.send(
      new DescribeListenersCommand({ ListenerArns: [ruleOrListenerArn] })
    )
    return Listeners?.[0]?.DefaultActions ?? []
  }
  const { Rules } = await aws.elbv2.send(
    new DescribeRulesCommand({ RuleArns: [ruleOrListenerArn] })
  )
  return Rules?.[0]?.Actions ?? []
}

/** The forward weights and stickiness of a rule or listener. */
export async function readWeights(aws: TestAws, ruleOrListenerArn: string): Promise<RuleWeights> {
  const actions = await readActions(aws, ruleOrListenerArn)
  const forward = actions.find(action => action.Type === 'forward')
  const weights: Record<string, number> = {}
  for (const group of forward?.ForwardConfig?.TargetGroups ?? []) {
    weights[group.TargetGroupArn!] = group.Weight ?? 0
  }
  return { weights, stickiness: forward?.ForwardConfig?.TargetGroupStickinessConfig, actions }
}

/**
 * Changes the weights the way a person in the console would: every other action, the order
 * and the stickiness stay as they are. Used to simulate drift under a running rollout.
 */
export async function setWeights(
  aws: TestAws,
  ruleOrListenerArn: string,
  weights: Record<string, number>
): Promise<void> {
  const actions = (await readActions(aws, ruleOrListenerArn)).map(action =>
    action.Type !== 'forward'
      ? action
      : {
          ...action,
          ForwardConfig: {
            ...action.ForwardConfig,
            TargetGroups: Object.entries(weights).map(([TargetGroupArn, Weight]) => ({
              TargetGroupArn,
              Weight
            }))
          }
        }
  )
  await writeActions(aws, ruleOrListenerArn, actions)
}

/** Replaces the whole action list of a rule or listener. */
export async function writeActions(
  aws: TestAws,
  ruleOrListenerArn: string,
  actions: Action[]
): Promise<void> {
  if (isListenerArn(ruleOrListenerArn)) {
    await aws.elbv2.send(
      new ModifyListenerCommand({ ListenerArn: ruleOrListenerArn, DefaultActions: actions })
    )
  } else {
    await aws.elbv2.send(new ModifyRuleCommand({ RuleArn: ruleOrListenerArn, Actions: actions }))
  }
}

/** The tags of any ELBv2 resource (rule, listener, target group, load balancer) as a record. */
export async function readTags(aws: TestAws, arn: string): Promise<Record<string, string>> {
  const { TagDescriptions } = await aws.elbv2.send(new DescribeTagsCommand({ ResourceArns: [arn] }))
  const tags: Record<string, string> = {}
  for (const tag of TagDescriptions?.[0]?.Tags ?? []) tags[tag.Key!] = tag.Value ?? ''
  return tags
}

/** Adds or overwrites tags, e.g. to plant another run's ownership on a rule. */
export async function writeTags(
  aws: TestAws,
  arn: string,
  tags: Record<string, string>
): Promise<void> {
  await aws.elbv2.send(
    new AddTagsCommand({
      ResourceArns: [arn],
      Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value }))
    })
  )
}
