/**
 * The modes people run by hand: `promote` (continue a paused or interrupted rollout) and
 * `rollback` (all traffic to the live service). `status` lives in status.ts.
 */
import * as core from '@actions/core'
import type { Context } from '../context.js'
import { Input } from '../names.js'
import { formatPlan, parsePlan, percentText, remainingStages } from '../plan.js'
import { PreflightError, type PairState } from '../preflight.js'
import { liveReporter, type RunEnd } from '../report.js'
import { messageOf, runRollout } from '../rollout.js'
import { recordedScaleIn } from '../scale-in.js'
import { ownerUrl, type RecordedState } from '../state.js'
import type { Outcome, Plan } from '../types.js'
import { checkScaling, endHold, followBeforeShift, scaleInHold } from './capacity.js'
import { readPair, type PairRead } from './pair.js'
import { beforeRollback, rollbackNeed, scaleUpAfterwards } from './rollback-capacity.js'
import {
  afterPromotion,
  buildGates,
  claimRules,
  emptyRecord,
  heartbeat,
  phaseRecorder,
  requireCredentials,
  rolloutSpec,
  saveGuard
} from './shared.js'

/** `mode: promote`: continues from the share on the rules, with the recorded or given plan. */
export async function promote(ctx: Context): Promise<RunEnd> {
  const { settings, log } = ctx
  const { recorded, pair, rules } = await core.group('Pre-flight checks', async () => {
    const read = await readPair(ctx)
    const recorded = requireRecord(read, 'promote', ctx)
    if (recorded.phase !== 'paused' && recorded.phase !== 'in-progress') {
      throw new PreflightError([
        `nothing to promote: the last rollout on these rules was ${recorded.phase} (${recorded.updated}). Start a new one with mode: deploy`
      ])
    }
    if (recorded.phase === 'in-progress' && recorded.owner !== ctx.owner) {
      log.warn(
        `Taking over an interrupted rollout owned by ${ownerUrl(recorded.owner)}. If that run is still going, cancel one of the two.`
      )
    }
    return { recorded, pair: read.check(recorded.live), rules: read.rules }
  })
  const plan = settings.plan ?? parsePlan(recorded.plan, settings.bakeMs, Input.stages)
  await checkScaling(ctx, pair, plan)
  const ahead = remainingStages(plan, pair.tenths)
  await requireCredentials(ctx, ahead, 0)
  log.info(
    `${pair.idle.name} holds ${percentText(pair.tenths)}; stages ahead: ${formatPlan(ahead) || 'none (finish now)'}`
  )
  const base = { ...summaryBase(ctx, pair, formatPlan(plan)), revision: recorded.revision }
  if (settings.dryRun) {
    return {
      outcome: outcome(pair, 'unchanged', pair.tenths, 'dry run: nothing was written'),
      failed: false,
      settled: true,
      summary: { ...base, record: emptyRecord(ctx), dryRun: true, planned: ahead }
    }
  }
  if (ctx.signal.aborted) {
    throw new PreflightError([
      'the job was cancelled during the pre-flight checks; nothing was written'
    ])
  }
  saveGuard(ctx, pair)
  await claimRules(ctx, pair, plan, recorded.revision)
  const recordPhase = phaseRecorder(ctx, pair, plan, recorded.revision)
  const hold = scaleInHold(ctx, recordedScaleIn(rules))
  try {
    await hold.suspend([pair.live.name, pair.idle.name])
  } catch (error) {
    // Traffic has not moved: hold it where it is, paused, as the record said before.
    const reason = `held at ${percentText(pair.tenths)}: auto scaling could not be held: ${messageOf(error)}`
    await recordPhase('paused', reason).catch(e => log.warn(messageOf(e)))
    return {
      outcome: outcome(pair, 'paused', pair.tenths, reason),
      failed: true,
      settled: true
    }
  }
  const beat = heartbeat(ctx)
  const result = await runRollout(rolloutSpec(ctx, pair, plan, pair.tenths), {
    traffic: ctx.traffic,
    gates: buildGates(ctx, pair),
    clock: ctx.clock,
    log,
    reporter: liveReporter(ctx, pair.idle.name),
    recordPhase,
    signal: ctx.signal,
    heartbeat: beat,
    ...(settings.canaryCapacity === 'follow'
      ? { beforeShift: followBeforeShift(ctx, pair, beat) }
      : {})
  })
  if (result.outcome.result === 'promoted') await afterPromotion(ctx, pair)
  await endHold(ctx, hold, {
    paused: result.outcome.result === 'paused',
    trafficSafe: !result.restoreCommands
  })
  return {
    outcome: result.outcome,
    failed: result.failed,
    record: result.record,
    settled: !result.restoreCommands,
    taskDefinitionArn: recorded.revision,
    ...(result.restoreCommands ? { restoreCommands: result.restoreCommands } : {}),
    summary: {
      ...base,
      record: result.record,
      ...(result.restoreCommands ? { restoreCommands: result.restoreCommands } : {})
    }
  }
}

/**
 * `mode: rollback`: all traffic to the live service. After a promotion, the service that was
 * live before it (kept running at 0% with `after-promotion: keep`) takes it back.
 */
export async function rollback(ctx: Context): Promise<RunEnd> {
  const { log } = ctx
  const read = await readPair(ctx, false)
  const recorded = requireRecord(read, 'rollback', ctx)
  const target = recorded.phase === 'promoted' ? recorded.idle : recorded.live
  const pair = read.check(target)
  if (pair.tenths === 0 && !holdsRules(recorded)) {
    log.info(`All traffic is already on ${pair.live.name}: nothing to roll back.`)
    return noStages(ctx, pair, recorded, outcome(pair, 'unchanged', 0, ''), false)
  }
  // Undoing a promotion sends everything to a service that may have been scaled down.
  const load = recorded.phase === 'promoted' ? await rollbackNeed(ctx, pair) : undefined
  const short = load !== undefined && load.healthy < load.need
  if (ctx.settings.dryRun) {
    log.info(
      `Dry run: would put 100% back on ${pair.live.name} (now ${percentText(1000 - pair.tenths)})` +
        (short
          ? `, after scaling it up: ${load.healthy} healthy target(s), ${load.need} needed.`
          : '.')
    )
    const dry = outcome(pair, 'unchanged', pair.tenths, 'dry run: nothing was written')
    return noStages(ctx, pair, recorded, dry, false)
  }
  const recordPhase = phaseRecorder(ctx, pair, recordedPlan(ctx, recorded), recorded.revision)
  if (pair.tenths === 0) {
    // Traffic is safe already, but an in-progress or paused record would refuse every later
    // deploy (a run that died before its first shift, a rollout stopped by drift): free it.
    const reason = `marked rolled back by hand with all traffic already on ${pair.live.name} (${ownerUrl(ctx.owner)})`
    await recordPhase('rolled-back', reason)
    log.info(
      `All traffic is already on ${pair.live.name}; the ${recorded.phase} record is now rolled-back.`
    )
    return noStages(ctx, pair, recorded, outcome(pair, 'rolled-back', 0, reason), false)
  }
  saveGuard(ctx, pair)
  // Owning the rules while restoring lets the post step finish the job if this run dies.
  await recordPhase('in-progress', `rolling back by hand (${ownerUrl(ctx.owner)})`)
  const hold = scaleInHold(ctx, recordedScaleIn(read.rules))
  if (short) await beforeRollback(ctx, pair, hold, load)
  const startedAt = ctx.clock.now()
  try {
    await ctx.traffic.restore(pair.groups, { budgetMs: 60_000 })
  } catch (error) {
    const failed = outcome(
      pair,
      'restore-failed',
      pair.tenths,
      `rollback failed: ${messageOf(error)}`
    )
    const restoreCommands = ctx.traffic.restoreCommands(pair.groups)
    return { ...noStages(ctx, pair, recorded, failed, true, restoreCommands), restoreCommands }
  }
  const reason = `rolled back by hand from ${percentText(pair.tenths)} (${ownerUrl(ctx.owner)})`
  await recordPhase('rolled-back', reason)
  log.info(`All traffic is back on ${pair.live.name}, verified on every rule.`)
  if (short && ctx.settings.rollbackNow) await scaleUpAfterwards(ctx, pair, load)
  await endHold(ctx, hold, { paused: false, trafficSafe: true })
  const end = outcome(pair, 'rolled-back', 0, reason)
  // No stages ran; the summary still tells the outcome, the reason and the drop to 0%.
  const timeline = [
    { at: startedAt, tenths: pair.tenths },
    { at: ctx.clock.now(), tenths: 0 }
  ]
  return {
    outcome: end,
    failed: false,
    settled: true,
    taskDefinitionArn: recorded.revision,
    summary: {
      ...summaryBase(ctx, pair, recorded.plan),
      revision: recorded.revision,
      record: { startedAt, stages: [], timeline, outcome: end }
    }
  }
}

/** Whether the record keeps a new deploy off these rules. */
function holdsRules(recorded: RecordedState): boolean {
  return recorded.phase === 'in-progress' || recorded.phase === 'paused'
}

/**
 * The recorded plan, kept in the rules' tags as it was. A record that no longer parses (cut at
 * ELB's 256 characters, edited by hand) must not stop a rollback: it then records `100`.
 */
export function recordedPlan(ctx: Context, recorded: RecordedState): Plan {
  try {
    return parsePlan(recorded.plan || '100', ctx.settings.bakeMs, Input.stages)
  } catch {
    ctx.log.warn(`The recorded plan '${recorded.plan}' does not parse; recording '100' instead.`)
    return parsePlan('100', ctx.settings.bakeMs, Input.stages)
  }
}

function requireRecord(read: PairRead, mode: string, ctx?: Context): RecordedState {
  // Usually started by hand on another commit: report on the one the rollout deployed.
  if (read.recorded?.commit) ctx?.status.retarget(read.recorded.commit)
  if (read.recorded) return read.recorded
  throw new PreflightError([
    `no rollout is recorded on these rules, so there is nothing to ${mode}; start one with mode: deploy`
  ])
}

function outcome(
  pair: PairState,
  result: Outcome['result'],
  tenths: number,
  reason: string
): Outcome {
  return { result, tenths, reason, liveService: pair.live.name, idleService: pair.idle.name }
}

/** An ending of `rollback` that moved nothing (or could not): its summary has no stages. */
function noStages(
  ctx: Context,
  pair: PairState,
  recorded: RecordedState,
  end: Outcome,
  failed: boolean,
  restoreCommands?: readonly string[]
): RunEnd {
  const now = ctx.clock.now()
  const timeline = [{ at: now, tenths: pair.tenths }]
  return {
    outcome: end,
    failed,
    settled: !restoreCommands,
    taskDefinitionArn: recorded.revision,
    summary: {
      ...summaryBase(ctx, pair, recorded.plan),
      revision: recorded.revision,
      record: { startedAt: now, stages: [], timeline, outcome: end },
      ...(restoreCommands ? { restoreCommands } : {})
    }
  }
}

function summaryBase(ctx: Context, pair: PairState, plan: string) {
  return {
    commit: ctx.status.target,
    cluster: ctx.settings.cluster,
    newService: pair.idle.name,
    oldService: pair.live.name,
    plan,
    mode: ctx.settings.mode
  }
}
