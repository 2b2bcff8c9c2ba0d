/**
 * Helpers for the "people in the loop" tests: the inputs of a stack's pair, the share on every
 * rule, another workflow run's identity, and ELB's rules for tag values.
 */
import { afterEach } from '@jest/globals'
import { provisionStack, readTags, readWeights } from './fixture.js'
import type { Stack } from './fixture.js'

/** A stack per call, each its own account; their clients are closed after every test. */
export function useStacks(): () => Promise<Stack> {
  const stacks: Stack[] = []
  afterEach(() => {
    stacks.splice(0).forEach(s => s.aws.destroy())
  })
  return async () => {
    const provisioned = await provisionStack()
    stacks.push(provisioned)
    return provisioned
  }
}

/** The inputs that point the action at a stack's pair, with second-scale bakes and polls. */
export function pairInputs(
  stack: Stack,
  extra: Record<string, string> = {}
): Record<string, string> {
  return {
    cluster: stack.clusterName,
    services: `${stack.services.blue.name} ${stack.services.green.name}`,
    'listener-rules': `${stack.listenerArn}\n${stack.rules.api}`,
    alarms: stack.alarmNames.join('\n'),
    'poll-interval': '250ms',
    'bake-time': '1s',
    ...extra
  }
}

/** Every rule the action moves: the listener's default action and the `/api/*` rule. */
export function ruleArns(stack: Stack): string[] {
  return [stack.listenerArn, stack.rules.api]
}

/** The idle group's weight out of the total, on every rule, e.g. `[10, 10]` at 10%. */
export async function idleShares(stack: Stack): Promise<number[]> {
  const idle = stack.targetGroups[stack.idle].arn
  const live = stack.targetGroups[stack.live].arn
  return Promise.all(
    ruleArns(stack).map(async arn => {
      const { weights } = await readWeights(stack.aws, arn)
      return (100 * weights[idle]) / (weights[idle] + weights[live])
    })
  )
}

/** The `ecs-canary:*` tags of every rule. */
export async function canaryTags(stack: Stack): Promise<Record<string, string>[]> {
  return Promise.all(
    ruleArns(stack).map(async arn => {
      const tags = await readTags(stack.aws, arn)
      return Object.fromEntries(Object.entries(tags).filter(([k]) => k.startsWith('ecs-canary:')))
    })
  )
}

/** The environment of another workflow run (GITHUB_RUN_ID), e.g. a later manual promotion. */
export function otherRun(runId: string): Record<string, string> {
  return { GITHUB_RUN_ID: runId, GITHUB_RUN_ATTEMPT: '1' }
}

// ELB: letters, digits, spaces and _ . : / = + - @; keys up to 128, values up to 255 characters
// (ALB guide, "Tags for your listeners and rules": "Maximum value length—255 Unicode characters").
const ELB_TAG_TEXT = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u

/** The tags that break ELB's rules (moto accepts anything), as `key=value` lines. */
export function invalidElbTags(tags: Record<string, string>): string[] {
  return Object.entries(tags)
    .filter(
      ([key, value]) =>
        !ELB_TAG_TEXT.test(key) ||
        key.length < 1 ||
        key.length > 128 ||
        !ELB_TAG_TEXT.test(value) ||
        value.length > 255
    )
    .map(([key, value]) => `${key}=${value}`)
}
