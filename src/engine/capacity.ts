/**
 * `canary-capacity: follow`: how many tasks the idle service runs for a share of traffic. Pure.
 *
 * The canary gets ceil(live desired × share × (1 + headroom)) tasks, at least `minTasks`, never
 * more than the live service runs; at 100% it gets the live count exactly, since it is about to
 * carry everything.
 */
import { percentText } from './plan.js'
import type { Plan, Tenths } from './types.js'

/** The inputs `canary-headroom` and `canary-min-tasks`, parsed. */
export interface FollowPolicy {
  /** Headroom in tenths of a percent (250 = 25 %), so the arithmetic stays in integers. */
  readonly headroomTenths: number
  /** The fewest tasks the canary runs at any share above 0. */
  readonly minTasks: number
}

/** The defaults of `canary-headroom` (25 %) and `canary-min-tasks` (1). */
export const DEFAULT_FOLLOW: FollowPolicy = { headroomTenths: 250, minTasks: 1 }

/** The idle service's desired count while it takes `tenths` of the traffic. */
export function followCount(liveDesired: number, tenths: Tenths, policy: FollowPolicy): number {
  // At 100% the need is liveDesired plus headroom, so the cap below gives liveDesired exactly.
  // Integers throughout: 60 × 10 % × 1.25 is 7.5, and floating point would make it 7.500…01 → 8
  // one day and 7.49…9 → 8 the next; here it is always exactly 7.5 before the ceiling.
  const numerator = liveDesired * tenths * (1000 + policy.headroomTenths)
  const need = Math.ceil(numerator / 1_000_000)
  return Math.min(liveDesired, Math.max(policy.minTasks, need))
}

/** One stage's capacity: what the idle service runs before its weight moves. */
export interface StageCapacity {
  readonly tenths: Tenths
  readonly desiredCount: number
}

/** The desired count for every stage of `plan` above `fromTenths`, in order. */
export function capacityPlan(
  liveDesired: number,
  plan: Plan,
  fromTenths: Tenths,
  policy: FollowPolicy
): StageCapacity[] {
  return plan
    .filter(stage => stage.tenths > fromTenths)
    .map(stage => ({
      tenths: stage.tenths,
      desiredCount: followCount(liveDesired, stage.tenths, policy)
    }))
}

/** `1% → 1 task, 2% → 2 tasks, …` for the plan printed before a rollout. */
export function capacityText(stages: readonly StageCapacity[]): string {
  return stages
    .map(s => `${percentText(s.tenths)} → ${s.desiredCount} task${s.desiredCount === 1 ? '' : 's'}`)
    .join(', ')
}
