/**
 * Capacity cost: the task-minutes a 6-stage, 60-minute rollout of a 60-task service uses under
 * `canary-capacity: match` and `follow`, from the desired counts the action actually set. Each
 * mode runs one real rollout (one-second bakes) through the capacity tap, which records every
 * UpdateService before each weight write; the counts are then held over the planned stages, ten
 * minutes each.
 */
import { startCapacityTap } from '../__tests__/e2e/support/capacity-tap.js'
import { countsBeforeShifts } from '../__tests__/e2e/support/capacity-helpers.js'
import { startFaultProxy } from '../__tests__/e2e/support/fault-proxy.js'
import { provisionStack } from '../__tests__/e2e/support/fixture.js'
import type { GitHubStandin } from '../__tests__/e2e/support/github-standin.js'
import { runAction } from '../__tests__/e2e/support/runner.js'
import { deployInputs } from './lane.js'

/** The service and the plan the figure is for. */
export const COST_PLAN = { liveTasks: 60, stages: [1, 2, 5, 10, 50, 100], stageMinutes: 10 }

/** One mode's rollout. */
export interface CostSample {
  mode: 'match' | 'follow'
  /** The canary's desired count while each stage ran, as the action set it. */
  perStage: number[]
  /** Σ count × stage minutes for the canary. */
  canaryTaskMinutes: number
  /** The live service all along (60 tasks × 60 minutes). */
  liveTaskMinutes: number
}

/** Runs the rollout under `mode` against a fresh stack and integrates the counts it set. */
export async function costRun(
  github: GitHubStandin,
  mode: CostSample['mode']
): Promise<CostSample> {
  const { liveTasks, stages, stageMinutes } = COST_PLAN
  const stack = await provisionStack({ services: { blue: { desiredCount: liveTasks } } })
  const proxy = await startFaultProxy()
  const tap = await startCapacityTap(proxy.url, {
    [stack.targetGroups.blue.arn]: { service: 'web-blue', count: liveTasks, ipPrefix: '10.0.11' },
    [stack.targetGroups.green.arn]: { service: 'web-green', count: 0, ipPrefix: '10.0.12' }
  })
  try {
    const result = await runAction(
      { awsEndpoint: tap.url, githubApiUrl: github.url, credentials: stack.account.credentials },
      {
        inputs: deployInputs(stack, [stack.rules.api], {
          stages: stages.map(p => `${p}:1s`).join(','),
          'poll-interval': '500ms',
          'canary-capacity': mode
        }),
        env: { NODE_NO_WARNINGS: '1' }
      }
    )
    if (result.outputs.result !== 'promoted') {
      throw new Error(`bench: expected a promotion under ${mode}, got ${result.outputs.result}`)
    }
    const seen = countsBeforeShifts(tap.events(), stack, stack.rules.api, 'green')
    const perStage = seen.map(s => s.desiredCount ?? 0)
    if (perStage.length !== stages.length) {
      throw new Error(
        `bench: ${mode} moved the weights ${perStage.length} times, not ${stages.length}`
      )
    }
    return {
      mode,
      perStage,
      canaryTaskMinutes: perStage.reduce((sum, n) => sum + n * stageMinutes, 0),
      liveTaskMinutes: liveTasks * stages.length * stageMinutes
    }
  } finally {
    await tap.close()
    await proxy.close()
    stack.aws.destroy()
  }
}

/** The markdown section for bench/results.md. */
export function renderCost(samples: readonly CostSample[]): string {
  const { liveTasks, stages, stageMinutes } = COST_PLAN
  const rows = samples.map(
    s =>
      `| \`${s.mode}\` | ${s.perStage.join(', ')} | ${s.canaryTaskMinutes} | ` +
      `${s.canaryTaskMinutes + s.liveTaskMinutes} |`
  )
  const match = samples.find(s => s.mode === 'match')
  const follow = samples.find(s => s.mode === 'follow')
  const saved =
    match && follow
      ? `\n\n\`follow\` uses ${match.canaryTaskMinutes - follow.canaryTaskMinutes} canary task-minutes fewer than \`match\` (${Math.round((100 * (match.canaryTaskMinutes - follow.canaryTaskMinutes)) / match.canaryTaskMinutes)}% of the canary's, ${Math.round((100 * (match.canaryTaskMinutes - follow.canaryTaskMinutes)) / (match.canaryTaskMinutes + match.liveTaskMinutes))}% of the whole rollout's).`
      : ''
  return (
    [
      '## Capacity cost',
      '',
      `A ${stages.length}-stage, ${stages.length * stageMinutes}-minute rollout (${stages.join(', ')}%, ${stageMinutes} min each) of a ${liveTasks}-task service, default \`canary-headroom\` (25%) and \`canary-min-tasks\` (1). The canary's counts are the desired counts the action set with UpdateService before each weight write, recorded on the wire in one real rollout per mode (one-second bakes against moto), then held for the planned ${stageMinutes} minutes per stage. The live service runs ${liveTasks} tasks throughout (${liveTasks * stages.length * stageMinutes} task-minutes); the counts do not depend on machine load.`,
      '',
      '| `canary-capacity` | canary tasks per stage | canary task-minutes | with the live service |',
      '|---|---|---|---|',
      ...rows
    ].join('\n') + saved
  )
}
