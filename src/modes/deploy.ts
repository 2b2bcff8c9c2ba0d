/**
 * `mode: deploy`: check everything, claim the rules, ship the revision to the idle service, then
 * walk the stages.
 */
import * as core from '@actions/core'
import { credentialExpiry } from '../aws/clients.js'
import type { Context } from '../context.js'
import { formatPlan, weightsFor, percentText, formatDuration } from '../plan.js'
import { credentialProblem, planWarnings, PreflightError, type PairState } from '../preflight.js'
import { liveReporter, type RunEnd } from '../report.js'
import { runRollout, messageOf } from '../rollout.js'
import { checkFamily, type TaskDefinitionSource } from '../taskdef.js'
import type { Plan } from '../types.js'
import {
  checkScaling,
  endHold,
  followBeforeShift,
  initialIdleCount,
  scaleAndWait,
  scaleInHold
} from './capacity.js'
import { readPair, refuseActiveRollout } from './pair.js'
import {
  afterPromotion,
  buildGates,
  claimRules,
  emptyRecord,
  phaseRecorder,
  rolloutSpec,
  saveGuard
} from './shared.js'

/** Runs a whole deploy. Throws only before the first write. */
export async function deploy(ctx: Context): Promise<RunEnd> {
  const { settings, log } = ctx
  const plan = settings.plan as Plan
  const pair = await core.group('Pre-flight checks', async () => {
    const read = await readPair(ctx)
    refuseActiveRollout(read.rules)
    const state = read.check(undefined)
    for (const warning of planWarnings(plan, read.alarms, read.rules)) log.warn(warning)
    const problem = credentialProblem(
      plan,
      await credentialExpiry(ctx.clients.ecs),
      ctx.clock.now()
    )
    if (problem) throw new PreflightError([problem])
    log.info(
      `Pair: ${state.live.name} is live, ${state.idle.name} is idle; ${read.rules.length} rule(s); ` +
        `${settings.alarms.length} alarm(s)${settings.analysis.enabled ? '; canary analysis on' : ''}`
    )
    await checkScaling(ctx, state, plan)
    return state
  })
  const source = settings.taskDefinition ? await loadRevision(ctx, pair) : undefined
  const gates = buildGates(ctx, pair)
  const summaryBase = {
    cluster: settings.cluster,
    newService: pair.idle.name,
    oldService: pair.live.name,
    plan: formatPlan(plan),
    mode: settings.mode
  } as const

  if (settings.dryRun) return dryRun(ctx, pair, plan, summaryBase)

  saveGuard(ctx, pair)
  const revision = source?.kind === 'registered' ? source.arn : pair.idle.taskDefinition
  await claimRules(ctx, pair, plan, revision)
  let recordPhase = phaseRecorder(ctx, pair, plan, revision)
  const hold = scaleInHold(ctx, [])

  let taskDefinitionArn: string | undefined
  try {
    await hold.suspend([pair.live.name, pair.idle.name])
    taskDefinitionArn = await core.group(`Preparing ${pair.idle.name}`, () =>
      prepareIdle(ctx, pair, source, plan)
    )
    // A file's ARN exists only once registered: record the revision actually rolled out.
    if (taskDefinitionArn && taskDefinitionArn !== revision) {
      await claimRules(ctx, pair, plan, taskDefinitionArn)
      recordPhase = phaseRecorder(ctx, pair, plan, taskDefinitionArn)
    }
  } catch (error) {
    const reason = `${pair.idle.name} is not ready for traffic, so none was moved: ${messageOf(error)}`
    await endHold(ctx, hold, { paused: false, trafficSafe: true })
    await recordPhase('rolled-back', reason).catch(e => log.warn(messageOf(e)))
    return {
      outcome: {
        result: 'unchanged',
        tenths: 0,
        reason,
        liveService: pair.live.name,
        idleService: pair.idle.name
      },
      failed: true,
      settled: true
    }
  }

  const result = await runRollout(rolloutSpec(ctx, pair, plan, 0), {
    traffic: ctx.traffic,
    gates,
    clock: ctx.clock,
    log,
    reporter: liveReporter(ctx, pair.idle.name),
    recordPhase,
    signal: ctx.signal,
    ...(settings.canaryCapacity === 'follow' ? { beforeShift: followBeforeShift(ctx, pair) } : {})
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
    ...(taskDefinitionArn ? { taskDefinitionArn } : {}),
    ...(result.restoreCommands ? { restoreCommands: result.restoreCommands } : {}),
    summary: { ...summaryBase, record: result.record }
  }
}

async function loadRevision(ctx: Context, pair: PairState): Promise<TaskDefinitionSource> {
  const source = await ctx.ecs.loadTaskDefinition(ctx.settings.taskDefinition as string)
  checkFamily(source.family, pair.idle, pair.live, ctx.settings.allowFamilyChange)
  return source
}

/**
 * Puts the revision and the capacity on the idle service, waits until it is stable, and requires
 * healthy targets: a canary with nothing healthy behind it would fail its 1% on arrival.
 */
async function prepareIdle(
  ctx: Context,
  pair: PairState,
  source: TaskDefinitionSource | undefined,
  plan: Plan
): Promise<string | undefined> {
  const taskDefinition = source ? await ctx.ecs.register(source) : undefined
  const desiredCount = initialIdleCount(ctx, pair, plan)
  const changeTask = taskDefinition && taskDefinition !== pair.idle.taskDefinition
  await scaleAndWait(
    ctx,
    pair.idle.name,
    pair.groups.idle,
    {
      ...(changeTask ? { taskDefinition } : {}),
      ...(desiredCount !== undefined ? { desiredCount } : {})
    },
    desiredCount ?? pair.idle.desiredCount
  )
  return taskDefinition
}

function dryRun(
  ctx: Context,
  pair: PairState,
  plan: Plan,
  base: Omit<NonNullable<RunEnd['summary']>, 'record' | 'planned' | 'dryRun'>
): RunEnd {
  ctx.log.info(
    `Dry run: nothing will be written. The plan for ${ctx.settings.listenerRules.length} rule(s):`
  )
  plan.forEach((stage, i) => {
    const w = weightsFor(stage.tenths)
    const bake =
      stage.bake.kind === 'pause' ? 'then pause' : `bake ${formatDuration(stage.bake.ms)}`
    ctx.log.info(
      `  stage ${i + 1}/${plan.length}: ${percentText(stage.tenths)} on ${pair.idle.name} — weights ${pair.idle.name}=${w.idle} ${pair.live.name}=${w.live}, ${bake}`
    )
  })
  return {
    outcome: {
      result: 'unchanged',
      tenths: 0,
      reason: 'dry run: nothing was written',
      liveService: pair.live.name,
      idleService: pair.idle.name
    },
    failed: false,
    settled: true,
    summary: { ...base, record: emptyRecord(ctx), dryRun: true, planned: plan }
  }
}
