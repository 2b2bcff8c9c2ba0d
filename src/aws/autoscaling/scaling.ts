/**
 * Application Auto Scaling for the pair: read each service's scalable target and suspend or
 * resume its dynamic scale-in, so auto scaling never takes a service below what a rollout or a
 * rollback needs.
 *
 * What the action writes, and why only this: RegisterScalableTarget on a target that already
 * exists, naming only `SuspendedState`; an update leaves every parameter it does not name as it
 * was, so MinCapacity, MaxCapacity and the policies stay untouched (RegisterScalableTarget,
 * Application Auto Scaling API Reference,
 * https://docs.aws.amazon.com/autoscaling/application/APIReference/API_RegisterScalableTarget.html).
 * `DynamicScalingInSuspended: true` stops target tracking and step scaling policies from removing
 * capacity, while scale-out and scheduled actions go on (SuspendedState, same reference,
 * https://docs.aws.amazon.com/autoscaling/application/APIReference/API_SuspendedState.html).
 * All three flags are always sent, the two the action does not own exactly as read: moto 5.2.5
 * (the pinned emulator) replaces the whole SuspendedState on an update
 * (moto/applicationautoscaling/models.py, FakeScalableTarget.update), and sending all three is
 * right under either reading. moto does not move the capacity into MinCapacity..MaxCapacity on
 * RegisterScalableTarget as AWS does (below); the e2e tests' strict stand-in does (rule
 * `aas-capacity`, __tests__/e2e/support/README.md).
 *
 * Every RegisterScalableTarget call, an update included, makes Application Auto Scaling compare
 * the current capacity with MinCapacity..MaxCapacity and move it inside (Application Auto
 * Scaling concepts, https://docs.aws.amazon.com/autoscaling/application/userguide/getting-started.html).
 * So a service the action runs above its MaxCapacity would be cut back to it by the very call
 * that suspends its scale-in: callers check the need against `maxCapacity` first.
 *
 * Suspending scale-in is preferred to raising MinCapacity for the canary: it is one boolean to
 * put back rather than a number someone (or Terraform) may change mid-rollout, it is written once
 * per rollout rather than once per stage, and raising MinCapacity would make auto scaling itself
 * change the desired count (the comparison above), a second actor scaling the canary while the
 * action waits for it.
 */
import {
  DescribeScalableTargetsCommand,
  RegisterScalableTargetCommand
} from '@aws-sdk/client-application-auto-scaling'
import type {
  ApplicationAutoScalingClient,
  ScalableTarget,
  SuspendedState
} from '@aws-sdk/client-application-auto-scaling'
import { parseArnOf } from '../../arn.js'
import type { Log } from '../../engine/types.js'

/** The scalable dimension of an ECS service's task count. */
export const DIMENSION = 'ecs:service:DesiredCount'

/** One service's scalable target, as the rollout needs it. */
export interface ScalableTargetView {
  readonly service: string
  /** `service/<cluster name>/<service name>`. */
  readonly resourceId: string
  readonly minCapacity: number
  readonly maxCapacity: number
  readonly scaleInSuspended: boolean
  /** All three flags as read, so a write changes only the one the action owns. */
  readonly suspendedState: SuspendedState
}

/** `arn:aws:ecs:…:cluster/web` or `web` → `web`: a ResourceId names the cluster by name. */
export function clusterName(cluster: string): string {
  return parseArnOf(cluster, ['cluster'])?.name ?? cluster
}

/** The ResourceId of an ECS service's scalable target. */
export function resourceIdOf(cluster: string, service: string): string {
  return `service/${clusterName(cluster)}/${service}`
}

/**
 * The desired count Application Auto Scaling leaves after a RegisterScalableTarget on `target`:
 * "If the specified resource is not active in the target service, this operation does not change
 * the resource's current capacity. Otherwise, it changes the resource's current capacity to a
 * value that is inside of this range" (RegisterScalableTarget, Application Auto Scaling API
 * Reference). Every call does it, an update that names only SuspendedState included.
 */
export function afterRegister(
  target: Pick<ScalableTargetView, 'minCapacity' | 'maxCapacity'>,
  desiredCount: number
): number {
  return Math.min(target.maxCapacity, Math.max(target.minCapacity, desiredCount))
}

/**
 * The AWS CLI command that resumes the scale-in of `service` by hand: the other two flags as
 * read when known. Without them only DynamicScalingInSuspended is named ("Setting it to false
 * (default) resumes the specified scaling activities", RegisterScalableTargetRequest.SuspendedState).
 */
export function resumeCommand(
  cluster: string,
  service: string,
  region?: string,
  state?: SuspendedState
): string {
  const flags = [
    'DynamicScalingInSuspended=false',
    ...(state
      ? [
          `DynamicScalingOutSuspended=${state.DynamicScalingOutSuspended === true}`,
          `ScheduledScalingSuspended=${state.ScheduledScalingSuspended === true}`
        ]
      : [])
  ]
  return (
    `aws application-autoscaling register-scalable-target${region ? ` --region ${region}` : ''} ` +
    `--service-namespace ecs --scalable-dimension ${DIMENSION} ` +
    `--resource-id ${resourceIdOf(cluster, service)} --suspended-state ${flags.join(',')}`
  )
}

function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error)
}

/** The Application Auto Scaling calls for the services of one cluster. */
export class ServiceScaling {
  constructor(
    private readonly client: ApplicationAutoScalingClient,
    private readonly cluster: string,
    private readonly log: Log,
    private readonly region?: string
  ) {}

  /** The CLI command that resumes the scale-in of `service` by hand (see `resumeCommand`). */
  resumeCommand(service: string, target?: ScalableTargetView): string {
    return resumeCommand(this.cluster, service, this.region, target?.suspendedState)
  }

  /**
   * Reads the scalable targets of `services` in one call; a service without one is absent from
   * the answer (it does not auto scale, and nothing needs doing for it).
   */
  async describe(services: readonly string[]): Promise<Map<string, ScalableTargetView>> {
    const ids = services.map(s => resourceIdOf(this.cluster, s))
    let out
    try {
      // Two ResourceIds give at most two targets: one page, well under MaxResults' default 50.
      out = await this.client.send(
        new DescribeScalableTargetsCommand({
          ServiceNamespace: 'ecs',
          ScalableDimension: DIMENSION,
          ResourceIds: ids
        })
      )
    } catch (error) {
      throw new Error(
        `Could not read the scalable targets of ${services.map(s => `'${s}'`).join(', ')}: ` +
          `DescribeScalableTargets failed: ${errorText(error)}. The credentials need ` +
          `application-autoscaling:DescribeScalableTargets.`,
        { cause: error }
      )
    }
    const found = new Map<string, ScalableTargetView>()
    for (const service of services) {
      const target = out.ScalableTargets?.find(
        t => t.ResourceId === resourceIdOf(this.cluster, service)
      )
      if (target) found.set(service, toView(service, target))
    }
    return found
  }

  /** Suspends (`true`) or resumes (`false`) the dynamic scale-in of one scalable target. */
  async setScaleIn(target: ScalableTargetView, suspended: boolean): Promise<void> {
    const state: SuspendedState = { ...target.suspendedState, DynamicScalingInSuspended: suspended }
    try {
      await this.client.send(
        new RegisterScalableTargetCommand({
          ServiceNamespace: 'ecs',
          ScalableDimension: DIMENSION,
          ResourceId: target.resourceId,
          SuspendedState: state
        })
      )
    } catch (error) {
      throw new Error(
        `Could not ${suspended ? 'suspend' : 'resume'} the scale-in of '${target.service}' ` +
          `(${target.resourceId}): RegisterScalableTarget failed: ${errorText(error)}. The ` +
          `credentials need application-autoscaling:RegisterScalableTarget, and ` +
          `ecs:DescribeServices and ecs:UpdateService on the service: Application Auto Scaling ` +
          `checks the caller's own permissions on the target.`,
        { cause: error }
      )
    }
    this.log.info(
      `${suspended ? 'Suspended' : 'Resumed'} the auto scaling scale-in of ${target.service}` +
        ` (min ${target.minCapacity}, max ${target.maxCapacity}).`
    )
  }
}

function toView(service: string, t: ScalableTarget): ScalableTargetView {
  const suspendedState: SuspendedState = {
    DynamicScalingInSuspended: t.SuspendedState?.DynamicScalingInSuspended ?? false,
    DynamicScalingOutSuspended: t.SuspendedState?.DynamicScalingOutSuspended ?? false,
    ScheduledScalingSuspended: t.SuspendedState?.ScheduledScalingSuspended ?? false
  }
  return {
    service,
    resourceId: t.ResourceId ?? '',
    minCapacity: t.MinCapacity ?? 0,
    maxCapacity: t.MaxCapacity ?? 0,
    scaleInSuspended: suspendedState.DynamicScalingInSuspended === true,
    suspendedState
  }
}
