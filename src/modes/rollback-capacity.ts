/**
 * `mode: rollback` after a promotion sends all traffic to the old service, which may have been
 * scaled down since (by `after-promotion: scale-down`, a person, or auto scaling while it took
 * 0%). It must carry the load first: as many healthy targets as the service taking the traffic
 * now runs tasks.
 */
import { countHealthyTargets } from '../aws/elb/healthy-count.js'
import type { Context } from './context.js'
import { Input } from '../names.js'
import type { PairState } from '../engine/preflight.js'
import type { ScaleInHold } from './scale-in.js'
import * as core from '@actions/core'
import { endHold, scaleAndWait } from './capacity.js'

/** What the old service must have before traffic moves back, as read now. */
export interface RollbackNeed {
  /** The current live service's desired count: the load to carry. */
  readonly need: number
  readonly healthy: number
}

/**
 * Reads how many healthy targets the old service (`pair.live`: the one traffic goes back to)
 * has, against the desired count of the service that takes traffic now (`pair.idle`).
 */
export async function rollbackNeed(ctx: Context, pair: PairState): Promise<RollbackNeed> {
  const healthy = await countHealthyTargets(ctx.clients.elb, pair.groups.live)
  return { need: Math.max(pair.idle.desiredCount, 1), healthy }
}

/**
 * The old service is short of healthy targets: ready it (and throw, traffic unmoved, when that
 * fails), or with `rollback-now: true` only warn that traffic moves at once.
 */
export async function beforeRollback(
  ctx: Context,
  pair: PairState,
  hold: ScaleInHold,
  load: RollbackNeed
): Promise<void> {
  if (ctx.settings.rollbackNow) {
    ctx.log.warn(
      `${Input.rollbackNow}: moving all traffic to ${pair.live.name} now, with ${load.healthy} ` +
        `healthy target(s) for the load of ${load.need} task(s) ${pair.idle.name} carries.`
    )
    return
  }
  try {
    await core.group(`Readying ${pair.live.name}`, () => readyOldService(ctx, pair, hold, load))
  } catch (error) {
    await endHold(ctx, hold, { paused: false, trafficSafe: true })
    throw error
  }
}

/**
 * Scales the old service up to the load (at most its scalable target's MaxCapacity), its
 * scale-in suspended meanwhile (recorded in `hold`), and waits until it is stable and healthy.
 * Throws, with the numbers, when it cannot: traffic has not moved then.
 */
export async function readyOldService(
  ctx: Context,
  pair: PairState,
  hold: ScaleInHold,
  { need, healthy }: RollbackNeed
): Promise<void> {
  const old = pair.live.name
  const targets = await hold.suspend([old])
  const max = targets.get(old)?.maxCapacity
  const count = max === undefined ? need : Math.min(need, max)
  if (count < need) {
    ctx.log.warn(
      `${old} may run at most ${max} tasks (its auto scaling MaxCapacity), fewer than the ${need} ` +
        `${pair.idle.name} runs: scaling it to ${max}.`
    )
  }
  const desired = Math.max(count, pair.live.desiredCount)
  const minutes = Math.round(ctx.settings.serviceTimeoutMs / 60_000)
  ctx.log.info(
    `${old} has ${healthy} healthy target(s) but ${pair.idle.name} runs ${need} task(s): scaling ` +
      `${old} from ${pair.live.desiredCount} to ${desired} and waiting up to ${minutes} min ` +
      `('${Input.serviceTimeout}') until it is stable and healthy before moving traffic. ` +
      `'${Input.rollbackNow}: true' moves traffic at once.`
  )
  try {
    await scaleAndWait(
      ctx,
      old,
      pair.groups.live,
      desired === pair.live.desiredCount ? {} : { desiredCount: desired },
      count,
      `${pair.idle.name}, which takes the traffic now, runs ${need} task(s)`
    )
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error)
    throw new Error(
      `Traffic stays on ${pair.idle.name}: ${old} could not be readied to take it back ` +
        `(${healthy} healthy target(s) before, ${count} needed). ${why}\nIf ${pair.idle.name} ` +
        `must lose its traffic now anyway, run again with '${Input.rollbackNow}: true'.`,
      { cause: error }
    )
  }
}

/**
 * `rollback-now: true`: traffic has moved to an old service that is short of tasks; start its
 * scale-up (at most MaxCapacity) without waiting, and say so.
 */
export async function scaleUpAfterwards(
  ctx: Context,
  pair: PairState,
  { need }: RollbackNeed
): Promise<void> {
  const old = pair.live.name
  try {
    const targets = await ctx.scaling.describe([old])
    const max = targets.get(old)?.maxCapacity
    const count = max === undefined ? need : Math.min(need, max)
    if (count > pair.live.desiredCount) {
      await ctx.ecs.updateIdle(old, { desiredCount: count })
    }
    ctx.log.info(`${old} is scaling to ${count} task(s) now; nobody waits for it.`)
  } catch (error) {
    ctx.log.warn(
      `Traffic is on ${old}, but it could not be scaled up: ${error instanceof Error ? error.message : String(error)}`
    )
  }
}
