/**
 * Pure rewriting of ELB action lists. ModifyRule and ModifyListener replace the whole list, so
 * moving weights means sending back everything that was read, with only the forward's weights
 * changed, in a shape ELB accepts on the way in.
 */
import type { Action } from '@aws-sdk/client-elastic-load-balancing-v2'
import type { ForwardTarget, GroupPair, Weights } from '../../engine/types.js'

/** Full traffic on the live group, as restore writes it. */
export const ALL_ON_LIVE: Weights = { live: 100, idle: 0 }

/**
 * A rule whose actions cannot carry the pair's weights (no single forward, or a forward to a
 * third group). Retrying cannot help: the rule has to be fixed by hand.
 */
export class ActionsError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ActionsError'
  }
}

/** How many `forward` actions a list has, and the first one's target groups with weights. */
export function forwardTargets(actions: readonly Action[]): {
  forwardActions: number
  targets: ForwardTarget[]
  stickySeconds?: number
} {
  const forwards = actions.filter(a => a.Type === 'forward')
  const sticky = forwards[0]?.ForwardConfig?.TargetGroupStickinessConfig
  return {
    forwardActions: forwards.length,
    targets: forwards.length ? targetsOf(forwards[0]) : [],
    ...(sticky?.Enabled ? { stickySeconds: sticky.DurationSeconds ?? 0 } : {})
  }
}

// A plain forward names one group at the top level; ELB treats an absent Weight as 1.
function targetsOf(forward: Action): ForwardTarget[] {
  const groups = forward.ForwardConfig?.TargetGroups ?? []
  if (groups.length > 0) {
    return groups.map(g => ({ arn: g.TargetGroupArn ?? '', weight: g.Weight ?? 1 }))
  }
  return forward.TargetGroupArn ? [{ arn: forward.TargetGroupArn, weight: 1 }] : []
}

/** The weight a target list gives `arn`, or `undefined` when the group is not in it. */
export function weightOf(targets: readonly ForwardTarget[], arn: string): number | undefined {
  return targets.find(t => t.arn === arn)?.weight
}

/** Whether the targets are exactly the pair at `weights` (an absent group counts as 0). */
export function hasWeights(
  targets: readonly ForwardTarget[],
  groups: GroupPair,
  weights: Weights
): boolean {
  return (
    targets.every(t => t.arn === groups.live || t.arn === groups.idle) &&
    (weightOf(targets, groups.live) ?? 0) === weights.live &&
    (weightOf(targets, groups.idle) ?? 0) === weights.idle
  )
}

/** Whether every request goes to the live group: idle absent or at 0, live above 0. */
export function isAllOnLive(targets: readonly ForwardTarget[], groups: GroupPair): boolean {
  return (
    targets.every(t => t.arn === groups.live || t.weight === 0) &&
    (weightOf(targets, groups.live) ?? 0) > 0
  )
}

/**
 * The action list to send so that the pair carries `weights`: every other action, each
 * `Order` and the stickiness config as read; the groups in the order read (a group the rule
 * lacked is appended); both weights explicit. `where` names the rule in errors.
 */
export function withWeights(
  actions: readonly Action[],
  groups: GroupPair,
  weights: Weights,
  where: string
): Action[] {
  const { forwardActions, targets } = forwardTargets(actions)
  if (forwardActions !== 1) {
    throw new ActionsError(
      `${where} has ${forwardActions} forward actions; ecs-canary needs exactly one forward to the two target groups of the pair`
    )
  }
  const stranger = targets.find(t => t.arn !== groups.live && t.arn !== groups.idle)
  if (stranger) {
    throw new ActionsError(
      `${where} forwards to target group ${stranger.arn}, which belongs to neither service of the pair; make the rule forward only to ${groups.live} and ${groups.idle}`
    )
  }
  const order = targets.map(t => t.arn)
  for (const arn of [groups.live, groups.idle]) if (!order.includes(arn)) order.push(arn)
  const rewritten = actions.map(action => {
    if (action.Type !== 'forward') return action
    const stickiness = action.ForwardConfig?.TargetGroupStickinessConfig
    return {
      ...action,
      ForwardConfig: {
        TargetGroups: order.map(arn => ({
          TargetGroupArn: arn,
          Weight: arn === groups.live ? weights.live : weights.idle
        })),
        ...(stickiness ? { TargetGroupStickinessConfig: stickiness } : {})
      }
    }
  })
  return writable(rewritten)
}

/**
 * A copy of an action list as read, made acceptable to ModifyRule / ModifyListener: ELB refuses
 * a top-level TargetGroupArn next to a ForwardConfig of several groups. An OIDC action always
 * asks ELB to keep the client secret it has (`UseExistingClientSecret`): AWS's DescribeRules
 * never returns the secret, and if an endpoint ever does, it must not be sent back, logged or
 * printed (see `redacted`).
 */
export function writable(actions: readonly Action[]): Action[] {
  return redacted(actions).map(action => {
    if ((action.ForwardConfig?.TargetGroups?.length ?? 0) > 1) delete action.TargetGroupArn
    return action
  })
}

/** A copy of `actions` with every OIDC client secret replaced by `UseExistingClientSecret`. */
export function redacted(actions: readonly Action[]): Action[] {
  return structuredClone(actions as Action[]).map(action => {
    const oidc = action.AuthenticateOidcConfig
    if (oidc) {
      delete oidc.ClientSecret
      oidc.UseExistingClientSecret = true
    }
    return action
  })
}

/** A single forward to the pair: the last resort when a rule's other actions are unknown. */
export function forwardOnly(groups: GroupPair, weights: Weights): Action[] {
  return [
    {
      Type: 'forward',
      ForwardConfig: {
        TargetGroups: [
          { TargetGroupArn: groups.live, Weight: weights.live },
          { TargetGroupArn: groups.idle, Weight: weights.idle }
        ]
      }
    }
  ]
}

/** Quotes a word for a POSIX shell; words that need no quoting stay readable. */
export function shellQuote(word: string): string {
  if (/^[\w@%+=:,./-]+$/.test(word)) return word
  return `'${word.replace(/'/g, `'\\''`)}'`
}

/**
 * The AWS CLI command that writes `actions` (PascalCase JSON, as the CLI takes it) to a rule
 * with ModifyRule, or to a listener's default actions with ModifyListener.
 */
export function cliCommand(
  call: 'ModifyRule' | 'ModifyListener',
  arn: string,
  region: string,
  actions: readonly Action[]
): string {
  const json = shellQuote(JSON.stringify(redacted(actions)))
  return call === 'ModifyRule'
    ? `aws elbv2 modify-rule --region ${shellQuote(region)} --rule-arn ${shellQuote(arn)} --actions ${json}`
    : `aws elbv2 modify-listener --region ${shellQuote(region)} --listener-arn ${shellQuote(arn)} --default-actions ${json}`
}
