/**
 * The scale-in this action suspends on the pair while traffic moves, recorded on the rules before
 * it is written and cleared after it is put back, so a run that dies never leaves auto scaling
 * suspended without a record saying so. Every ending calls `resume`, except a pause (and an
 * unverified restore), which keep it suspended and say so; the post step and `mode: reconcile`
 * call `restoreScaling` from the record.
 */
import { Tag } from '../names.js'
import { afterRegister, DIMENSION, type ScalableTargetView } from '../aws/autoscaling/scaling.js'
import type { Log, RuleView } from '../engine/types.js'

/** What `ServiceScaling` offers; a fake in unit tests. */
export interface ScalingPort {
  describe(services: readonly string[]): Promise<Map<string, ScalableTargetView>>
  setScaleIn(target: ScalableTargetView, suspended: boolean): Promise<void>
  /** The CLI command that resumes the scale-in of `service` by hand. */
  resumeCommand?(service: string, target?: ScalableTargetView): string
}

/** The services' desired counts now (ECS DescribeServices), to foresee what a call moves. */
export type DesiredCounts = (services: readonly string[]) => Promise<Map<string, number>>

/** Writes the record tag (`Tag.scaleIn`) on every rule, one AddTags per ARN. */
export type ScaleInRecorder = (tags: Record<string, string>) => Promise<void>

const NONE = 'none'

/** The tag that records `services` (`none` for none). */
export function scaleInTag(services: readonly string[]): Record<string, string> {
  return { [Tag.scaleIn]: services.length > 0 ? services.join(' ') : NONE }
}

/** The services the record on `rules` says this action suspended; the first record speaks. */
export function recordedScaleIn(rules: readonly RuleView[]): string[] {
  for (const rule of rules) {
    const value = rule.tags[Tag.scaleIn]
    if (value !== undefined) return value.split(/\s+/).filter(s => s && s !== NONE)
  }
  return []
}

/** Holds the pair's scale-in suspended for as long as a run moves traffic. */
export class ScaleInHold {
  private held: string[]

  constructor(
    private readonly scaling: ScalingPort,
    private readonly record: ScaleInRecorder,
    recorded: readonly string[],
    private readonly log: Log,
    private readonly counts?: DesiredCounts
  ) {
    // A paused rollout's record carries over to the run that continues or undoes it.
    this.held = [...recorded]
  }

  /** The services whose scale-in this action holds suspended. */
  get services(): readonly string[] {
    return this.held
  }

  /**
   * Suspends the scale-in of every service in `services` that has a scalable target and is not
   * suspended already (by someone else: that one is left alone, and never resumed by us). The
   * record is written first. Returns the targets read, for their MaxCapacity. `desired`: the
   * services' desired counts as read, to say truthfully where the call moves one (see
   * `afterRegister`); the pre-flight refuses a live service the call would move.
   */
  async suspend(
    services: readonly string[],
    desired?: ReadonlyMap<string, number>
  ): Promise<Map<string, ScalableTargetView>> {
    const targets = await this.scaling.describe(services)
    const due = services.filter(s => {
      const t = targets.get(s)
      return t !== undefined && !t.scaleInSuspended
    })
    const next = [...new Set([...this.held, ...due])]
    if (next.length !== this.held.length) {
      await this.record(scaleInTag(next))
      this.held = next
    }
    for (const service of due) {
      const target = targets.get(service)!
      await this.scaling.setScaleIn(target, true)
      const count = desired?.get(service)
      if (count !== undefined) sayMoved(this.log, target, count, 'Suspending')
    }
    return targets
  }

  /** Resumes everything held, then clears the record. See `restoreScaling`. */
  async resume(): Promise<void> {
    this.held = await restoreScaling({
      scaling: this.scaling,
      services: this.held,
      record: this.record,
      log: this.log,
      ...(this.counts ? { counts: this.counts } : {})
    })
  }

  /** Says, at a pause, what stays suspended and what puts it back. */
  explainPause(): void {
    if (this.held.length === 0) return
    this.log.info(
      `Auto scaling scale-in of ${this.held.join(' and ')} stays suspended while the rollout is ` +
        `paused (recorded in the ${Tag.scaleIn} tag); mode: promote or mode: rollback resumes it.`
    )
  }
}

/** What `restoreScaling` works with. */
export interface RestoreScalingDeps {
  readonly scaling: ScalingPort
  /** The services the record lists (`recordedScaleIn(rules)`). */
  readonly services: readonly string[]
  readonly record: ScaleInRecorder
  readonly log: Log
  /** Reads the desired counts before the calls, so the log says where AWS moves a service. */
  readonly counts?: DesiredCounts
}

/**
 * Says where a RegisterScalableTarget moved a service's desired count, if it did (see
 * `afterRegister`): the log never claims a count AWS has just undone.
 */
export function sayMoved(log: Log, target: ScalableTargetView, desired: number, doing: string) {
  const after = afterRegister(target, desired)
  if (after === desired) return
  log.warn(
    `${doing} the scale-in of ${target.service} re-registered its scalable target, so ` +
      `Application Auto Scaling moved its desired count from ${desired} to ${after}, inside its ` +
      `MinCapacity ${target.minCapacity}..MaxCapacity ${target.maxCapacity}.`
  )
}

/** The command that resumes `service` by hand, from the port when it knows the cluster. */
function commandFor(scaling: ScalingPort, service: string, target?: ScalableTargetView): string {
  return (
    scaling.resumeCommand?.(service, target) ??
    `aws application-autoscaling register-scalable-target --service-namespace ecs ` +
      `--scalable-dimension ${DIMENSION} --resource-id service/<cluster>/${service} ` +
      `--suspended-state DynamicScalingInSuspended=false`
  )
}

/** The sentence that ends every failure to resume: what stays, and the commands that mend it. */
function stillSuspended(scaling: ScalingPort, left: readonly ScaleInLeft[]): string {
  return (
    ` Auto scaling does not scale in ${left.map(l => l.service).join(' or ')} until it is ` +
    `resumed; the record (tag ${Tag.scaleIn}) still lists ${left.length > 1 ? 'them' : 'it'}: ` +
    `the post step or mode: reconcile retries, or resume it by hand:\n` +
    left.map(l => commandFor(scaling, l.service, l.target)).join('\n')
  )
}

interface ScaleInLeft {
  readonly service: string
  readonly target?: ScalableTargetView
}

/**
 * Resumes the scale-in of the recorded services and rewrites the record with what is left (none
 * when all went well). A target deregistered meanwhile, or resumed by someone already, needs
 * nothing. Tries every service before it throws, naming the ones still suspended. Returns the
 * services still held. Used by every ending, the post step and `mode: reconcile`.
 */
export async function restoreScaling(deps: RestoreScalingDeps): Promise<string[]> {
  const { scaling, services, record, log } = deps
  if (services.length === 0) return []
  let targets: Map<string, ScalableTargetView>
  try {
    targets = await scaling.describe(services)
  } catch (error) {
    throw new Error(
      `Could not resume the scale-in of ${services.join(' and ')}: ${textOf(error)}` +
        stillSuspended(
          scaling,
          services.map(service => ({ service }))
        ),
      { cause: error }
    )
  }
  // A count that cannot be read only loses the warning about a move, never the resume.
  const counts = deps.counts ? await deps.counts(services).catch(() => undefined) : undefined
  const failed: { service: string; target: ScalableTargetView; error: unknown }[] = []
  for (const service of services) {
    const target = targets.get(service)
    if (!target?.scaleInSuspended) continue
    try {
      await scaling.setScaleIn(target, false)
      const count = counts?.get(service)
      if (count !== undefined) sayMoved(log, target, count, 'Resuming')
    } catch (error) {
      failed.push({ service, target, error })
    }
  }
  const left = failed.map(f => f.service)
  await record(scaleInTag(left))
  if (failed.length > 0) {
    throw new Error(failed.map(f => textOf(f.error)).join('; ') + stillSuspended(scaling, failed))
  }
  log.info(`Auto scaling scale-in is back as it was on ${services.join(' and ')}.`)
  return []
}

function textOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
