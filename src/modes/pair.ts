/**
 * Reading the pair: services, rules (with their recorded state) and alarms, in parallel, once.
 */
import { CloudWatchAlarms } from '../aws/cloudwatch/alarms.js'
import type { Context } from './context.js'
import { Input } from '../names.js'
import { checkFacts, PreflightError, SplitTraffic, type PairState } from '../engine/preflight.js'
import { ownerUrl, recordedState, type RecordedState } from '../engine/state.js'
import { parsePlan } from '../engine/plan.js'
import type { AlarmView, Outcome, Plan, RuleView } from '../engine/types.js'
import { finishOrUndo, runWith } from '../engine/wayout.js'

// Lives in state.ts so the post step can use it without loading the modes.
export { recordedState }

/** What was read, and the checks over it. */
export interface PairRead {
  readonly rules: readonly RuleView[]
  readonly alarms: readonly AlarmView[]
  /** The state recorded on the rules, if any. */
  readonly recorded?: RecordedState
  /**
   * Runs every check; roles from the weights, or from `recordedLive` when given. `lenient`
   * accepts rules that disagree (rollback, status).
   */
  check(recordedLive: string | undefined, lenient?: boolean): PairState
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
  const alarmsLine = await wholeLine(ctx, names, alarms, withAlarms)
  const [a, b] = ctx.settings.services.map(name => {
    const found = services.find(s => s.name === name || s.arn === name)
    if (!found) throw new PreflightError([`service '${name}' was not found`])
    return found
  })
  return {
    rules,
    alarms,
    recorded: recordedState(rules),
    check: (recordedLive, lenient = false) =>
      checkFacts(
        {
          services: [a, b],
          rules,
          alarmNames: names,
          alarms,
          ...(alarmsLine ? { alarmsLine } : {}),
          insufficientData: ctx.settings.insufficientData
        },
        recordedLive,
        lenient
      )
  }
}

/**
 * One line read as several names, some of which do not exist: whether the whole line is an
 * alarm's name (one more DescribeAlarms, only then), so the refusal can say so.
 */
async function wholeLine(
  ctx: Context,
  names: readonly string[],
  found: readonly AlarmView[],
  withAlarms: boolean
): Promise<string | undefined> {
  const line = withAlarms ? ctx.settings.alarmsLine : undefined
  if (!line || names.every(n => found.some(a => a.name === n))) return undefined
  const whole = await new CloudWatchAlarms(ctx.clients.cloudwatch, [line])
    .describe()
    .catch(() => [])
  return whole.some(a => a.name === line) ? line : undefined
}

/** A deploy while another rollout is in progress or paused on these rules is refused. */
export function refuseActiveRollout(rules: readonly RuleView[]): void {
  const state = recordedState(rules)
  if (!state || (state.phase !== 'in-progress' && state.phase !== 'paused')) return
  throw new PreflightError([
    `a rollout of ${state.idle} is ${state.phase} on these rules (owner: ${ownerUrl(state.owner)}, updated ${state.updated}). Before deploying again, ${finishOrUndo()}`
  ])
}

/**
 * Never re-promote what was just rolled back: a deploy without `task-definition` would put the
 * idle service's current revision on traffic, and when that is the revision the record says was
 * rolled back, it is refused unless `allow-redeploy` says it is meant.
 */
export function refuseRedeploy(read: PairRead, pair: PairState, given: boolean): void {
  const recorded = read.recorded
  if (given || !recorded || recorded.phase !== 'rolled-back' || !recorded.revision) return
  if (pair.idle.taskDefinition !== recorded.revision) return
  // The live service runs it too: putting traffic on it again changes nothing about the code
  // that serves users, so there is nothing to protect them from.
  if (pair.live.taskDefinition === recorded.revision) return
  throw new PreflightError([
    `${pair.idle.name} still runs ${recorded.revision}, which these rules record as rolled back (${recorded.reason || 'no reason recorded'}, ${recorded.updated}); a deploy without '${Input.taskDefinition}' would put it on traffic again. Give a fixed revision in '${Input.taskDefinition}', or ${runWith({ [Input.mode]: 'deploy', [Input.allowRedeploy]: 'true' }, 'to ship it again on purpose')}`
  ])
}

/**
 * How to start a new rollout from what was read: a plain deploy, a deploy that re-ships the
 * revision just rolled back on purpose, or, when traffic is split with no rollout to finish,
 * first a rollback naming the live service (a deploy would be refused).
 */
export function startOver(read: PairRead): string {
  let pair: PairState
  try {
    pair = read.check(undefined)
  } catch (error) {
    if (error instanceof SplitTraffic) return error.message
    // Other problems (an alarm in ALARM...) are the deploy's to report, with their own fix.
    return runWith({ [Input.mode]: 'deploy' }, 'to start one')
  }
  try {
    refuseRedeploy(read, pair, false)
  } catch {
    return `give a fixed revision in '${Input.taskDefinition}', or ${runWith({ [Input.mode]: 'deploy', [Input.allowRedeploy]: 'true' }, `to ship ${pair.idle.taskDefinition} again`)}`
  }
  return runWith({ [Input.mode]: 'deploy' }, 'to start one')
}

/** Where a rollback goes by the record: the live service, or the old one after a promotion. */
export function recordedTarget(recorded: RecordedState | undefined): string | undefined {
  if (!recorded) return undefined
  return recorded.phase === 'promoted' ? recorded.idle : recorded.live
}

/**
 * With no record and no `to`: `undefined` when all traffic is on one service (nothing to roll
 * back); refused when it is split, since nothing says which service is live.
 */
export function settledLive(read: PairRead): undefined {
  try {
    read.check(undefined)
    return undefined
  } catch (error) {
    if (!(error instanceof SplitTraffic)) throw error
    throw new PreflightError([
      `no rollout is recorded on these rules, so nothing says which service to roll back to. ${error.message}`
    ])
  }
}

/** Whether the record keeps a new deploy off these rules. */
export function holdsRules(recorded: RecordedState): boolean {
  return recorded.phase === 'in-progress' || recorded.phase === 'paused'
}

/**
 * The recorded plan, kept in the rules' tags as it was. A record that no longer parses (cut at
 * ELB's 256 characters, edited by hand) must not stop a rollback: it then records `100`.
 */
export function recordedPlan(ctx: Context, recorded: RecordedState | undefined): Plan {
  try {
    return parsePlan(recorded?.plan || '100', ctx.settings.bakeMs, Input.stages)
  } catch {
    ctx.log.warn(`The recorded plan '${recorded?.plan}' does not parse; recording '100' instead.`)
    return parsePlan('100', ctx.settings.bakeMs, Input.stages)
  }
}

/** An outcome for the pair as read: the services named as they stand. */
export function outcome(
  pair: PairState,
  result: Outcome['result'],
  tenths: number,
  reason: string
): Outcome {
  return { result, tenths, reason, liveService: pair.live.name, idleService: pair.idle.name }
}
