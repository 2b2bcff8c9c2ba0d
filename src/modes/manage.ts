/**
 * `mode: promote`: continue a paused or interrupted rollout, and what the hand-run modes share.
 * `rollback` lives in rollback.ts, `status` in status.ts.
 */
import * as core from '@actions/core'
import type { Context } from './context.js'
import { Input } from '../names.js'
import { formatPlan, parsePlan, percentText, remainingStages } from '../engine/plan.js'
import { PreflightError, type PairState } from '../engine/preflight.js'
import { liveReporter, type RunEnd } from '../github/report.js'
import { messageOf, runRollout } from '../engine/rollout.js'
import { recordedScaleIn } from './scale-in.js'
import { ownerUrl, type RecordedState } from '../engine/state.js'
import type { Outcome } from '../engine/types.js'
import { checkScaling, endHold, followBeforeShift, pairCounts, scaleInHold } from './capacity.js'
import { outcome, readPair, startOver, type PairRead } from './pair.js'
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
        `nothing to promote: the last rollout on these rules was ${recorded.phase} (${recorded.updated}); ${startOver(read)}`
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
      testOpen: (pair.testTenths ?? 0) > 0,
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
    await hold.suspend([pair.live.name, pair.idle.name], pairCounts(pair))
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

export function requireRecord(read: PairRead, mode: string, ctx?: Context): RecordedState {
  // Usually started by hand on another commit: report on the one the rollout deployed.
  if (read.recorded?.commit) ctx?.status.retarget(read.recorded.commit)
  if (read.recorded) return read.recorded
  throw new PreflightError([
    `no rollout is recorded on these rules, so there is nothing to ${mode}; ${startOver(read)}`
  ])
}

/** An ending of `rollback` that moved nothing (or could not): its summary has no stages. */
export function noStages(
  ctx: Context,
  pair: PairState,
  recorded: RecordedState | undefined,
  end: Outcome,
  failed: boolean,
  restoreCommands?: readonly string[]
): RunEnd {
  const now = ctx.clock.now()
  // Without a record, the revision in question is the one on the service losing traffic.
  const revision = recorded?.revision || pair.idle.taskDefinition
  const timeline = [{ at: now, tenths: pair.tenths }]
  return {
    outcome: end,
    failed,
    settled: !restoreCommands,
    taskDefinitionArn: revision,
    summary: {
      ...summaryBase(ctx, pair, recorded?.plan ?? '100'),
      revision,
      record: { startedAt: now, stages: [], timeline, outcome: end },
      ...(restoreCommands ? { restoreCommands } : {})
    }
  }
}

export function summaryBase(ctx: Context, pair: PairState, plan: string) {
  return {
    commit: ctx.status.target,
    cluster: ctx.settings.cluster,
    newService: pair.idle.name,
    oldService: pair.live.name,
    plan,
    mode: ctx.settings.mode
  }
}
