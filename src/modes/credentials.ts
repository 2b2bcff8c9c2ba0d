/**
 * Do the AWS credentials outlive the plan? A plan that outlasts them would lose its hands
 * mid-rollout, unable even to roll back. Pure: the facts come from the SDK's provider.
 */
import type { CredentialFacts } from '../aws/clients.js'
import { Input } from '../names.js'
import { formatDuration } from '../engine/plan.js'
import type { Plan } from '../engine/types.js'

/**
 * configure-aws-credentials asks STS for one hour unless `role-duration-seconds` says otherwise
 * (`DEFAULT_ROLE_DURATION = 3600` in aws-actions/configure-aws-credentials src/index.ts), and
 * exports no expiry, so the SDK cannot tell: temporary credentials of unknown expiry are
 * assumed to last that long.
 */
export const ASSUMED_SESSION_MS = 3_600_000

/** Room left to ship, to roll back and to record, after the last bake. */
const MARGIN_MS = 5 * 60_000

/** What the check found: a refusal (before any write), a warning, or nothing. */
export interface CredentialVerdict {
  readonly refuse?: string
  readonly warn?: string
}

/** How long a plan can take: every bake, plus `service-timeout` when a revision is shipped. */
export function planLength(plan: Plan, serviceTimeoutMs = 0): number {
  return plan.reduce((sum, s) => sum + (s.bake.kind === 'bake' ? s.bake.ms : 0), serviceTimeoutMs)
}

/**
 * Refuses a plan longer than a known expiry; warns when temporary credentials of unknown expiry
 * may not last (the one-hour default). With `role-to-assume` the action refreshes its own
 * credentials, so nothing is in the way.
 */
export function checkCredentials(
  planMs: number,
  facts: CredentialFacts,
  now: number,
  roleToAssume: string | undefined
): CredentialVerdict {
  if (roleToAssume) return {}
  const need = formatDuration(planMs)
  if (facts.expiry) {
    if (now + planMs + MARGIN_MS <= facts.expiry.getTime()) return {}
    const left = formatDuration(
      Math.max(0, Math.round((facts.expiry.getTime() - now) / 1000) * 1000)
    )
    return {
      refuse: `the plan can take ${need}, but the AWS credentials expire at ${facts.expiry.toISOString()} (in ${left}), too soon to finish or to roll back safely; give ${Input.roleToAssume} so the action refreshes its own credentials, or raise role-duration-seconds in aws-actions/configure-aws-credentials, or shorten the plan`
    }
  }
  if (facts.temporary && planMs + MARGIN_MS > ASSUMED_SESSION_MS) {
    return {
      warn: `the plan can take ${need}, and the AWS credentials are temporary with no known expiry: aws-actions/configure-aws-credentials issues them for one hour by default. If they expire mid-rollout every call fails, the rollback included. Give ${Input.roleToAssume} so the action assumes the role itself and refreshes the credentials`
    }
  }
  return {}
}
