/**
 * What a RegisterScalableTarget would undo, found before the first write: Application Auto
 * Scaling moves the desired count inside MinCapacity..MaxCapacity on every call (see
 * `afterRegister`), the calls that only suspend or resume scale-in included.
 */
import { afterRegister, DIMENSION, type ScalableTargetView } from '../aws/autoscaling/scaling.js'
import type { Context } from './context.js'
import { Input } from '../names.js'
import type { PairState } from '../engine/preflight.js'

/** The command that sets a scalable target's Min or Max, for refusals that name the fix. */
function capacityCommand(t: ScalableTargetView, flag: string, value: number): string {
  return (
    `aws application-autoscaling register-scalable-target --service-namespace ecs ` +
    `--scalable-dimension ${DIMENSION} --resource-id ${t.resourceId} --${flag} ${value}`
  )
}

/**
 * What RegisterScalableTarget would undo (AWS moves the desired count inside Min..Max on every
 * call, `afterRegister`), refused before any write:
 * - the live service runs outside its range: the suspend at the start would resize the service
 *   that takes the traffic;
 * - `after-promotion: scale-down` with the live service's MinCapacity above 0: the resume after
 *   the promotion would put it straight back up, and nothing would be scaled down.
 */
export function* clampRefusals(
  ctx: Context,
  pair: PairState,
  targets: ReadonlyMap<string, ScalableTargetView>
): Generator<string> {
  const live = targets.get(pair.live.name)
  if (!live) return
  const count = pair.live.desiredCount
  const moved = afterRegister(live, count)
  // A scale-in someone else suspended is left alone: no call of ours touches that target.
  if (!live.scaleInSuspended && moved !== count) {
    const [flag, value] =
      count > live.maxCapacity ? ['max-capacity', count] : ['min-capacity', count]
    yield (
      `${pair.live.name} runs ${count} task(s), outside its auto scaling range ` +
      `${live.minCapacity}..${live.maxCapacity}: suspending its scale-in (RegisterScalableTarget) ` +
      `would make Application Auto Scaling set it to ${moved} while it takes the traffic. Bring ` +
      `the range over its count (${capacityCommand(live, flag, value)}) or scale it into the range first`
    )
  }
  if (ctx.settings.afterPromotion === 'scale-down' && live.minCapacity > 0) {
    yield (
      `${Input.afterPromotion}: scale-down would set ${pair.live.name} to 0 tasks, but its auto ` +
      `scaling MinCapacity is ${live.minCapacity}: resuming its scale-in (RegisterScalableTarget) ` +
      `after the promotion would put it back to ${live.minCapacity}. Set MinCapacity 0 ` +
      `(${capacityCommand(live, 'min-capacity', 0)}) or use ${Input.afterPromotion}: keep`
    )
  }
}
