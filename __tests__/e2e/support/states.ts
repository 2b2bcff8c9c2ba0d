/**
 * The starting states of the way-out state machine (issue 15): what the rules forward and what
 * their tags record, built over a fresh stack. Every state is one a person can meet.
 */
import type { Action } from '@aws-sdk/client-elastic-load-balancing-v2'
import { provisionStack, readActions, readTags, readWeights, setWeights } from './fixture.js'
import type { Stack } from './fixture.js'
import { writeActions, writeTags } from './stack-helpers.js'
import { ruleArns } from './people.js'

/** A run that no longer exists, as the owner of a rollout it left behind. */
export const GONE_OWNER = 'acme/web/runs/1111111111/1'

/** Every state of the machine, by a name the test titles use. */
export const STATES = [
  'clean',
  'split with no record',
  'weights 1/1 with no record',
  'rules disagreeing with no record',
  'paused',
  'in progress by a run that is gone',
  'rolled back',
  'promoted'
] as const
export type StateName = (typeof STATES)[number]

/** Builds `state` in a new account. */
export async function stackIn(state: StateName): Promise<Stack> {
  switch (state) {
    case 'clean':
      return provisionStack()
    case 'split with no record':
      return provisionStack({ weights: { blue: 90, green: 10 } })
    case 'weights 1/1 with no record': {
      const s = await provisionStack()
      for (const arn of ruleArns(s))
        await writeActions(s.aws, arn, unweighted(await readActions(s.aws, arn)))
      return s
    }
    case 'rules disagreeing with no record': {
      const s = await provisionStack()
      await setWeights(s.aws, s.rules.api, {
        [s.targetGroups.blue.arn]: 0,
        [s.targetGroups.green.arn]: 100
      })
      return s
    }
    case 'paused':
      return recorded(await provisionStack({ weights: { blue: 90, green: 10 } }), 'paused')
    case 'in progress by a run that is gone':
      return recorded(await provisionStack({ weights: { blue: 90, green: 10 } }), 'in-progress')
    case 'rolled back':
      // The idle service still runs the revision recorded as rolled back.
      return recorded(await provisionStack(), 'rolled-back')
    case 'promoted':
      return recorded(await provisionStack({ live: 'green' }), 'promoted')
  }
}

/**
 * The forward as a person writes it on a first set-up: both groups, no weights. ELB then gives
 * each weight 1 (moto does the same since 5.2.x, "checked against AWS": getmoto/moto#9174).
 */
function unweighted(actions: Action[]): Action[] {
  return actions.map(action =>
    action.Type !== 'forward'
      ? action
      : {
          ...action,
          ForwardConfig: {
            ...action.ForwardConfig,
            TargetGroups: (action.ForwardConfig?.TargetGroups ?? []).map(g => ({
              TargetGroupArn: g.TargetGroupArn
            }))
          }
        }
  )
}

/** Tags as an earlier run records them: web-green rolled out over web-blue, in `phase`. */
async function recorded(s: Stack, phase: string): Promise<Stack> {
  const promoted = phase === 'promoted'
  const tags = {
    'ecs-canary:live': promoted ? 'web-green' : 'web-blue',
    'ecs-canary:idle': promoted ? 'web-blue' : 'web-green',
    'ecs-canary:plan': '10:pause 100:1s',
    'ecs-canary:phase': phase,
    'ecs-canary:revision': s.taskDefinitionArn,
    'ecs-canary:owner': GONE_OWNER,
    'ecs-canary:updated': '2026-01-02T03:04:05Z',
    'ecs-canary:reason': phase === 'rolled-back' ? 'alarm web-5xx' : ''
  }
  for (const arn of ruleArns(s)) await writeTags(s.aws, arn, tags)
  return s
}

/** Weights and tags of every rule, to show that a refused run changed nothing. */
export async function snapshot(s: Stack): Promise<string> {
  const rules = await Promise.all(
    ruleArns(s).map(async arn => ({
      weights: (await readWeights(s.aws, arn)).weights,
      tags: await readTags(s.aws, arn)
    }))
  )
  return JSON.stringify(rules)
}

/** Whether every rule sends all traffic to the same one service of the pair. */
export async function settledOnOne(s: Stack): Promise<string | undefined> {
  const on = await Promise.all(
    ruleArns(s).map(async arn => {
      const { weights } = await readWeights(s.aws, arn)
      const blue = weights[s.targetGroups.blue.arn] ?? 0
      const green = weights[s.targetGroups.green.arn] ?? 0
      if (blue > 0 && green === 0) return 'web-blue'
      if (green > 0 && blue === 0) return 'web-green'
      return `split ${blue}/${green}`
    })
  )
  return on.every(o => o === on[0]) && !on[0].startsWith('split') ? on[0] : undefined
}
