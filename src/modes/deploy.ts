/**
 * `mode: deploy`: check everything, claim the rules, ship the revision to the idle service, then
 * walk the stages.
 */
import * as core from '@actions/core'
import type { Context } from './context.js'
import { formatPlan, weightsFor, percentText, formatDuration } from '../engine/plan.js'
import { planWarnings, PreflightError, type PairState } from '../engine/preflight.js'
import { liveReporter, type RunEnd } from '../github/report.js'
import { runRollout, messageOf } from '../engine/rollout.js'
import { within } from '../aws/within.js'
import { checkFamily, type TaskDefinitionSource } from '../inputs/taskdef.js'
import type { Plan } from '../engine/types.js'
import { Input } from '../names.js'
import { runWith } from '../engine/wayout.js'
import {
  checkScaling,
  endHold,
  followBeforeShift,
  initialIdleCount,
  pairCounts,
  scaleAndWait,
  scaleInHold
} from './capacity.js'
import { readPair, refuseActiveRollout, refuseRedeploy } from './pair.js'
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

const CANCELLED_BEFORE_WRITES =
  'the job was cancelled during the pre-flight checks; nothing was written'

/** Runs a whole deploy. Throws only before the first write. */
export async function deploy(ctx: Context): Promise<RunEnd> {
  const { settings, log } = ctx
  const plan = settings.plan as Plan
  const pair = await core.group('Pre-flight checks', async () => {
    const read = await readPair(ctx)
    refuseActiveRollout(read.rules)
    const state = read.check(undefined)
    refuseRedeploy(read, state, Boolean(settings.taskDefinition) || settings.allowRedeploy)
    for (const warning of planWarnings(plan, read.alarms, read.rules)) log.warn(warning)
    await requireCredentials(ctx, plan, settings.taskDefinition ? settings.serviceTimeoutMs : 0)
    log.info(
      `Pair: ${state.live.name} is live, ${state.idle.name} is idle; ${read.rules.length} rule(s); ` +
        `${settings.alarms.length} alarm(s)${settings.analysis.enabled ? '; canary analysis on' : ''}`
    )
    await checkScaling(ctx, state, plan)
    return state
  })
  const source = settings.taskDefinition ? await loadRevision(ctx, pair) : undefined
  // A cancel during the checks stops here, before the first write.
  if (ctx.signal.aborted) throw new PreflightError([CANCELLED_BEFORE_WRITES])
  const gates = buildGates(ctx, pair)
  const summaryBase = {
    cluster: settings.cluster,
    newService: pair.idle.name,
    oldService: pair.live.name,
    plan: formatPlan(plan),
    mode: settings.mode,
    commit: ctx.status.target
  } as const

  if (settings.dryRun) {
    const revision =
      source?.kind === 'registered'
        ? source.arn
        : source
          ? `${settings.taskDefinition} (registered on a real run)`
          : pair.idle.taskDefinition
    return dryRun(ctx, pair, plan, { ...summaryBase, revision }, source)
  }

  saveGuard(ctx, pair)
  const revision = source?.kind === 'registered' ? source.arn : pair.idle.taskDefinition
  await claimRules(ctx, pair, plan, revision, ctx.commit)
  let recordPhase = phaseRecorder(ctx, pair, plan, revision)
  const hold = scaleInHold(ctx, [])
  const beat = heartbeat(ctx)

  // What the idle service really runs: its own revision until an update of it is accepted.
  const prepared = { revision: pair.idle.taskDefinition }
  let taskDefinitionArn: string
  try {
    await hold.suspend([pair.live.name, pair.idle.name], pairCounts(pair))
    taskDefinitionArn = await core.group(`Preparing ${pair.idle.name}`, () =>
      beat.during(prepareIdle(ctx, pair, source, plan))
    )
    // A file's ARN exists only once registered: record the revision actually rolled out.
    if (taskDefinitionArn !== revision) {
      await claimRules(ctx, pair, plan, taskDefinitionArn, ctx.commit)
      recordPhase = phaseRecorder(ctx, pair, plan, taskDefinitionArn)
    }
  } catch (error) {
    const reason = ctx.signal.aborted
      ? `cancelled while ${pair.idle.name} was prepared; no traffic was moved`
      : `${pair.idle.name} is not ready for traffic, so none was moved: ${messageOf(error)}`
    await endHold(ctx, hold, { paused: false, trafficSafe: true })
    // Under a cancel the runner's kill is seconds away: the release must not wait for long.
    const opts = ctx.signal.aborted ? { withinMs: 1_500 } : undefined
    // Ask ECS what the idle service runs now: the new revision if the update was accepted.
    // Under a cancel too, bounded: the output and the record must name what really runs.
    const [idleNow] = await within(opts?.withinMs ?? 10_000, 'DescribeServices', signal =>
      ctx.ecs.describe([pair.idle.name], signal)
    ).catch(() => [])
    if (idleNow?.taskDefinition) prepared.revision = idleNow.taskDefinition
    if (prepared.revision !== revision)
      recordPhase = phaseRecorder(ctx, pair, plan, prepared.revision)
    await recordPhase('rolled-back', reason, opts).catch(e => log.warn(messageOf(e)))
    const outcome = {
      result: 'unchanged',
      tenths: 0,
      reason,
      liveService: pair.live.name,
      idleService: pair.idle.name
    } as const
    return {
      outcome,
      failed: true,
      settled: true,
      taskDefinitionArn: prepared.revision,
      summary: {
        ...summaryBase,
        record: { ...emptyRecord(ctx), outcome },
        revision: prepared.revision
      }
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
  // Traffic is safe and the hold ended: one bounded read says what the shipped revision changed.
  const revisions =
    result.outcome.result === 'rolled-back' &&
    !ctx.signal.aborted &&
    typeof ctx.ecs.revisions === 'function'
      ? await ctx.ecs.revisions(pair.live.taskDefinition, taskDefinitionArn).catch(() => undefined)
      : undefined
  return {
    outcome: result.outcome,
    failed: result.failed,
    record: result.record,
    settled: !result.restoreCommands,
    taskDefinitionArn,
    ...(result.restoreCommands ? { restoreCommands: result.restoreCommands } : {}),
    summary: {
      ...summaryBase,
      record: result.record,
      revision: taskDefinitionArn,
      ...(revisions ? { revisions } : {}),
      ...(result.failed ? { next: nextAfterRollback(taskDefinitionArn) } : {}),
      ...(result.restoreCommands ? { restoreCommands: result.restoreCommands } : {})
    }
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
): Promise<string> {
  // Each write here waits for the one before: a cancel stops before the next.
  const stopIfCancelled = () => {
    if (ctx.signal.aborted) throw new Error('the job was cancelled')
  }
  stopIfCancelled()
  const taskDefinition = source ? await ctx.ecs.register(source) : undefined
  stopIfCancelled()
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
  return changeTask ? taskDefinition : pair.idle.taskDefinition
}

/** What preparing the idle service would do, in words, for the dry run. */
function idlePlan(
  ctx: Context,
  pair: PairState,
  plan: Plan,
  source?: TaskDefinitionSource
): string {
  const revision = !source
    ? `keep its revision ${pair.idle.taskDefinition}`
    : source.kind === 'file'
      ? `register ${source.path} as a new revision of ${source.family} and run it`
      : source.arn === pair.idle.taskDefinition
        ? `keep its revision ${source.arn} (the one given)`
        : `run ${source.arn} (now ${pair.idle.taskDefinition})`
  const count = initialIdleCount(ctx, pair, plan)
  const tasks =
    count === undefined
      ? `keep its desired count of ${pair.idle.desiredCount}`
      : `set its desired count from ${pair.idle.desiredCount} to ${count} (canary-capacity: ${ctx.settings.canaryCapacity})`
  return `${pair.idle.name} would ${revision}, ${tasks}, and need healthy targets before ${percentText(plan[0]?.tenths ?? 0)}.`
}

function dryRun(
  ctx: Context,
  pair: PairState,
  plan: Plan,
  base: Omit<NonNullable<RunEnd['summary']>, 'record' | 'planned' | 'dryRun'>,
  source?: TaskDefinitionSource
): RunEnd {
  ctx.log.info(
    `Dry run: nothing will be written. ${idlePlan(ctx, pair, plan, source)} The plan for ${ctx.settings.listenerRules.length} rule(s):`
  )
  const tests = ctx.settings.testListenerRules.length
  if (tests > 0) {
    ctx.log.info(
      `  first: the ${tests} test rule(s) — weights ${pair.idle.name}=100 ${pair.live.name}=0, before any production weight`
    )
  }
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

/** After a rollback, the way forward in the words of the redeploy refusal. */
function nextAfterRollback(revision: string): string {
  return `give a fixed revision in '${Input.taskDefinition}', or ${runWith({ [Input.mode]: 'deploy', [Input.allowRedeploy]: 'true' }, `to ship ${revision} again`)}.`
}
