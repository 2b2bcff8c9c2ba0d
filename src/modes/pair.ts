/**
 * Reading the pair: services, rules (with their recorded state) and alarms, in parallel, once.
 */
import { CloudWatchAlarms } from '../aws/alarms.js'
import type { Context } from '../context.js'
import { checkFacts, PreflightError, type PairState } from '../preflight.js'
import { ownerUrl, recordedState, type RecordedState } from '../state.js'
import type { AlarmView, RuleView } from '../types.js'

// Lives in state.ts so the post step can use it without loading the modes.
export { recordedState }

/** What was read, and the checks over it. */
export interface PairRead {
  readonly rules: readonly RuleView[]
  readonly alarms: readonly AlarmView[]
  /** The state recorded on the rules, if any. */
  readonly recorded?: RecordedState
  /** Runs every check; roles from the weights, or from `recordedLive` when given. */
  check(recordedLive: string | undefined): PairState
}

/**
 * Reads everything the checks need. `withAlarms: false` skips the alarms: a rollback must never
 * be blocked by the very alarm that asks for it.
 */
export async function readPair(ctx: Context, withAlarms = true): Promise<PairRead> {
  const names = withAlarms ? ctx.settings.alarms : []
  const alarmReader = new CloudWatchAlarms(ctx.clients.cloudwatch, names)
  const [services, rules, alarms] = await Promise.all([
    ctx.ecs.describe(ctx.settings.services),
    ctx.traffic.read(),
    names.length > 0 ? alarmReader.describe() : Promise.resolve([])
  ])
  const [a, b] = ctx.settings.services.map(name => {
    const found = services.find(s => s.name === name || s.arn === name)
    if (!found) throw new PreflightError([`service '${name}' was not found`])
    return found
  })
  return {
    rules,
    alarms,
    recorded: recordedState(rules),
    check: recordedLive =>
      checkFacts(
        {
          services: [a, b],
          rules,
          alarmNames: names,
          alarms,
          insufficientData: ctx.settings.insufficientData
        },
        recordedLive
      )
  }
}

/** A deploy while another rollout is in progress or paused on these rules is refused. */
export function refuseActiveRollout(rules: readonly RuleView[]): void {
  const state = recordedState(rules)
  if (!state || (state.phase !== 'in-progress' && state.phase !== 'paused')) return
  throw new PreflightError([
    `a rollout of ${state.idle} is ${state.phase} on these rules (owner: ${ownerUrl(state.owner)}, updated ${state.updated}). Finish it with mode: promote or undo it with mode: rollback before deploying again`
  ])
}
