/**
 * `mode: rollback`: all traffic to the live service (or the `to` service when nothing is
 * recorded), after making sure it can carry the load.
 */
import type { Context } from './context.js'
import { percentText } from '../engine/plan.js'
import type { RunEnd } from '../github/report.js'
import { messageOf } from '../engine/rollout.js'
import { recordedScaleIn } from './scale-in.js'
import { ownerUrl } from '../engine/state.js'
import { endHold, scaleInHold } from './capacity.js'
import { holdsRules, outcome, readPair, recordedPlan, recordedTarget, settledLive } from './pair.js'
import { beforeRollback, rollbackNeed, scaleUpAfterwards } from './rollback-capacity.js'
import { noStages, summaryBase } from './manage.js'
import { phaseRecorder, saveGuard } from './shared.js'

/**
 * `mode: rollback`: all traffic to the live service. After a promotion, the service that was
 * live before it (kept running at 0% with `after-promotion: keep`) takes it back.
 */
export async function rollback(ctx: Context): Promise<RunEnd> {
  const { log } = ctx
  const read = await readPair(ctx, false)
  const recorded = read.recorded
  // Usually started by hand on another commit: report on the one the rollout deployed.
  if (recorded?.commit) ctx.status.retarget(recorded.commit)
  const target = ctx.settings.to ?? recordedTarget(recorded) ?? settledLive(read)
  if (!target) {
    const pair = read.check(undefined)
    log.info(`All traffic is already on ${pair.live.name}: nothing to roll back.`)
    return noStages(ctx, pair, recorded, outcome(pair, 'unchanged', 0, ''), false)
  }
  // Rules that disagree are what a rollback is for: it puts them back in step.
  const pair = read.check(target, true)
  // Test rules still on the canary (a `0:pause`) need the restore as much as production weight.
  const testOpen = (pair.testTenths ?? 0) > 0
  if (pair.tenths === 0 && !testOpen && !(recorded && holdsRules(recorded))) {
    log.info(`All traffic is already on ${pair.live.name}: nothing to roll back.`)
    return noStages(ctx, pair, recorded, outcome(pair, 'unchanged', 0, ''), false)
  }
  // Undoing a promotion, or sending everything where no record says traffic was (`to`, no
  // record), may send it to a service that was scaled down: it must carry the load first.
  const unsure = !recorded || recorded.phase === 'promoted' || Boolean(ctx.settings.to)
  const load = unsure ? await rollbackNeed(ctx, pair) : undefined
  const short = load !== undefined && load.healthy < load.need
  if (ctx.settings.dryRun) {
    log.info(
      `Dry run: would put 100% back on ${pair.live.name} (now ${percentText(1000 - pair.tenths)}${testOpen ? ', the test rules on the canary' : ''})` +
        (short
          ? `, after scaling it up: ${load.healthy} healthy target(s), ${load.need} needed.`
          : '.')
    )
    const dry = outcome(pair, 'unchanged', pair.tenths, 'dry run: nothing was written')
    return noStages(ctx, pair, recorded, dry, false)
  }
  // With `to` or no record, the revision taken off traffic is the one the other service runs.
  const revision = recorded && !ctx.settings.to ? recorded.revision : pair.idle.taskDefinition
  const recordPhase = phaseRecorder(ctx, pair, recordedPlan(ctx, recorded), revision)
  if (pair.tenths === 0 && !testOpen) {
    // Traffic is safe already, but an in-progress or paused record would refuse every later
    // deploy (a run that died before its first shift, a rollout stopped by drift): free it.
    const reason = `marked rolled back by hand with all traffic already on ${pair.live.name} (${ownerUrl(ctx.owner)})`
    await recordPhase('rolled-back', reason)
    log.info(
      `All traffic is already on ${pair.live.name}; the ${recorded?.phase ?? 'earlier'} record is now rolled-back.`
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
  log.info(
    `All traffic is back on ${pair.live.name}, verified on every rule${testOpen ? ', the test rules included' : ''}.`
  )
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
    taskDefinitionArn: revision,
    summary: {
      ...summaryBase(ctx, pair, recorded?.plan ?? '100'),
      revision,
      record: { startedAt, stages: [], timeline, outcome: end }
    }
  }
}
