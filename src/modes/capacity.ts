/**
 * Capacity around a rollout: the idle service's size before traffic moves (`canary-capacity`),
 * follow's scale-up before each shift, and the pair's auto scaling scale-in held suspended while
 * traffic moves.
 */
import { requireHealthyTargets } from '../aws/elb/health.js'
import { capacityPlan, capacityText, followCount } from '../engine/capacity.js'
import type { Context } from './context.js'
import type { Heartbeat } from '../engine/heartbeat.js'
import { Input } from '../names.js'
import { percentText } from '../engine/plan.js'
import { PreflightError, type PairState } from '../engine/preflight.js'
import { ScaleInHold } from './scale-in.js'
import { clampRefusals } from './clamp.js'
import type { Plan, Stage } from '../engine/types.js'

/** How the idle service runs before any traffic moves: `match`, the first stage's need, or as is. */
export function initialIdleCount(ctx: Context, pair: PairState, plan: Plan): number | undefined {
  const { canaryCapacity, follow } = ctx.settings
  if (canaryCapacity === 'keep') return undefined
  const first = plan.find(stage => stage.tenths > pair.tenths)
  const want =
    canaryCapacity === 'match'
      ? pair.live.desiredCount
      : followCount(pair.live.desiredCount, first?.tenths ?? 1000, follow)
  return want === pair.idle.desiredCount ? undefined : want
}

/**
 * Reads both scalable targets before the first write and refuses what cannot work: the idle
 * service must be allowed to run what the plan asks of it at 100%, or the call that suspends its
 * scale-in would cut it back to its MaxCapacity (see src/aws/scaling.ts).
 */
export async function checkScaling(ctx: Context, pair: PairState, plan: Plan): Promise<void> {
  const targets = await ctx.scaling.describe([pair.live.name, pair.idle.name])
  for (const t of targets.values()) {
    ctx.log.info(
      `${t.service} auto scales: min ${t.minCapacity}, max ${t.maxCapacity}` +
        (t.scaleInSuspended ? ', scale-in already suspended (left as it is)' : '')
    )
  }
  const refusals = [...clampRefusals(ctx, pair, targets)]
  if (refusals.length > 0) throw new PreflightError(refusals)
  const idle = targets.get(pair.idle.name)
  const need = ctx.settings.canaryCapacity === 'keep' ? 0 : pair.live.desiredCount
  if (idle && idle.maxCapacity < need) {
    // Under follow (and match) the final resume re-registers the new live service's target and
    // AWS moves its count inside Min..Max (see `afterRegister`): it would be cut to MaxCapacity.
    throw new PreflightError([
      `${pair.idle.name} must run ${need} tasks at 100% (${Input.canaryCapacity}: ${ctx.settings.canaryCapacity}, ` +
        `${pair.live.name} runs ${need}), but its auto scaling MaxCapacity is ${idle.maxCapacity}. Raise it ` +
        `(aws application-autoscaling register-scalable-target --service-namespace ecs --scalable-dimension ` +
        `ecs:service:DesiredCount --resource-id ${idle.resourceId} --max-capacity ${need}) or use ` +
        `${Input.canaryCapacity}: keep`
    ])
  }
  if (ctx.settings.canaryCapacity === 'follow') {
    const stages = capacityPlan(pair.live.desiredCount, plan, pair.tenths, ctx.settings.follow)
    ctx.log.info(`${pair.idle.name} follows its share: ${capacityText(stages)}`)
  }
}

/** The pair's desired counts as read, for the hold to say where a call moves one. */
export function pairCounts(pair: PairState): Map<string, number> {
  return new Map([
    [pair.live.name, pair.live.desiredCount],
    [pair.idle.name, pair.idle.desiredCount]
  ])
}

/**
 * Resumes the scale-in a record lists (`mode: reconcile` once the rollout has ended or been
 * taken over). A failure is a warning naming the services and the commands that mend it.
 */
export async function resumeRecorded(ctx: Context, services: readonly string[]): Promise<void> {
  if (services.length === 0) return
  try {
    await scaleInHold(ctx, services).resume()
  } catch (error) {
    ctx.log.warn(error instanceof Error ? error.message : String(error))
  }
}

/**
 * The hold on the pair's scale-in for a rollout (`suspend` it, recorded first); `recorded` is what
 * a paused or interrupted rollout's record already lists.
 */
export function scaleInHold(ctx: Context, recorded: readonly string[]): ScaleInHold {
  return new ScaleInHold(
    ctx.scaling,
    tags => ctx.traffic.tag(tags),
    recorded,
    ctx.log,
    async services => new Map((await ctx.ecs.describe(services)).map(s => [s.name, s.desiredCount]))
  )
}

/**
 * Puts a desired count (and a revision) on a service, waits until it is stable, and requires
 * `need` healthy targets in its group: the same wait whether preparing the idle service, scaling
 * it up before a stage, or readying the old service for a rollback.
 */
export async function scaleAndWait(
  ctx: Context,
  service: string,
  targetGroupArn: string,
  change: { readonly taskDefinition?: string; readonly desiredCount?: number },
  need: number,
  because?: string,
  signal: AbortSignal = ctx.signal
): Promise<void> {
  const { ecs, settings } = ctx
  const deploymentId = await ecs.updateIdle(service, change)
  if (change.taskDefinition !== undefined || change.desiredCount !== undefined) {
    await ecs.waitStable(service, {
      intervalMs: 10_000,
      timeoutMs: settings.serviceTimeoutMs,
      signal,
      ...(deploymentId ? { deploymentId } : {})
    })
  }
  // New tasks' targets are `initial` for a while after the service is stable: wait for them.
  await requireHealthyTargets(ctx.clients.elb, targetGroupArn, need, ctx.log, because, {
    clock: ctx.clock,
    timeoutMs: settings.serviceTimeoutMs,
    signal
  })
}

/**
 * `canary-capacity: follow`: before the shift to `stage`, the idle service runs what the stage
 * needs (read against the live service's desired count now: auto scaling may have grown it).
 * Never scales down mid-rollout. Throws when the scale-up fails or is not healthy in time.
 */
export function followBeforeShift(ctx: Context, pair: PairState, beat?: Heartbeat) {
  // The rules stay claimed while the canary scales (up to service-timeout): keep the
  // heartbeat fresh meanwhile, or the watchdog could take this run for a lost one.
  const ready = readyFor(ctx, pair)
  return (stage: Stage, signal: AbortSignal): Promise<void> =>
    beat ? beat.during(ready(stage, signal)) : ready(stage, signal)
}

function readyFor(ctx: Context, pair: PairState) {
  return async (stage: Stage, signal: AbortSignal): Promise<void> => {
    const [live, idle] = await ctx.ecs.describe([pair.live.name, pair.idle.name])
    const need = followCount(live.desiredCount, stage.tenths, ctx.settings.follow)
    if (idle.desiredCount >= need) return
    ctx.log.info(
      `Scaling ${idle.name} from ${idle.desiredCount} to ${need} task(s) for ${percentText(stage.tenths)} ` +
        `(${live.name} runs ${live.desiredCount}); traffic moves once it is stable and healthy.`
    )
    await scaleAndWait(
      ctx,
      idle.name,
      pair.groups.idle,
      { desiredCount: need },
      need,
      `${percentText(stage.tenths)} of ${live.desiredCount} tasks with ${Input.canaryHeadroom} needs ${need}`,
      signal
    )
  }
}

/** The share at which the rollout ends, for whether to keep the hold (a pause) or resume. */
export type CapacityEnd = { readonly paused: boolean; readonly trafficSafe: boolean }

/**
 * Ends the hold: a pause (or traffic not verified safe) keeps scale-in suspended and says so;
 * every other ending resumes it. A failure to resume is a warning: traffic is already safe, and
 * the record lets the post step or `mode: reconcile` finish it.
 */
export async function endHold(ctx: Context, hold: ScaleInHold, end: CapacityEnd): Promise<void> {
  if (end.paused) {
    hold.explainPause()
    return
  }
  if (!end.trafficSafe) {
    if (hold.services.length > 0) {
      ctx.log.warn(
        `Auto scaling scale-in of ${hold.services.join(' and ')} stays suspended: traffic is not verified safe.`
      )
    }
    return
  }
  try {
    await hold.resume()
  } catch (error) {
    ctx.log.warn(error instanceof Error ? error.message : String(error))
  }
}
