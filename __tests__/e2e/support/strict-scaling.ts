/**
 * Application Auto Scaling as AWS applies it to ECS, which moto does not: every successful
 * RegisterScalableTarget on an ECS service, an update that names only SuspendedState included,
 * moves the service's desired count inside MinCapacity..MaxCapacity ("If the specified resource
 * is not active in the target service, this operation does not change the resource's current
 * capacity. Otherwise, it changes the resource's current capacity to a value that is inside of
 * this range", RegisterScalableTarget, Application Auto Scaling API Reference). moto stores the
 * target and leaves ECS alone, so the stand-in reads the target and the service back from moto
 * and makes the UpdateService AWS would. Sources: README.md here (rule `aas-capacity`).
 */

/** The desired count AWS leaves after a RegisterScalableTarget: inside min..max. */
export function clampedCount(min: number, max: number, desired: number): number {
  return Math.min(max, Math.max(min, desired))
}

/** Sends one JSON call to moto as the caller (its signature headers), returns the answer. */
export type MotoCall = (
  target: 'ecs' | 'aas',
  operation: string,
  input: Record<string, unknown>
) => Promise<Record<string, unknown> | undefined>

/** What the stand-in did to a service after a RegisterScalableTarget, if anything. */
export interface Clamp {
  readonly resourceId: string
  readonly from: number
  readonly to: number
}

const ECS_RESOURCE = /^service\/([^/]+)\/([^/]+)$/

/**
 * After moto accepted `input` (a RegisterScalableTarget): reads the target's range and the
 * service's desired count from moto and, when the count is outside, sets it inside as AWS does.
 * Anything it cannot read leaves the service alone (moto enforcing IAM on the caller's copied
 * signature, a service gone): the rule only ever moves a count AWS would move.
 */
export async function clampAfterRegister(
  input: Record<string, unknown>,
  call: MotoCall
): Promise<Clamp | undefined> {
  const resourceId = String(input.ResourceId ?? '')
  const match = ECS_RESOURCE.exec(resourceId)
  if (input.ServiceNamespace !== 'ecs' || !match) return undefined
  const [, cluster, service] = match
  const targets = await call('aas', 'DescribeScalableTargets', {
    ServiceNamespace: 'ecs',
    ScalableDimension: input.ScalableDimension,
    ResourceIds: [resourceId]
  })
  const target = (targets?.ScalableTargets as { MinCapacity?: number; MaxCapacity?: number }[])?.[0]
  if (target?.MinCapacity === undefined || target.MaxCapacity === undefined) return undefined
  const described = await call('ecs', 'DescribeServices', { cluster, services: [service] })
  const svc = (described?.services as { desiredCount?: number; status?: string }[])?.[0]
  // "If the specified resource is not active in the target service": nothing changes.
  if (svc?.desiredCount === undefined || svc.status !== 'ACTIVE') return undefined
  const to = clampedCount(target.MinCapacity, target.MaxCapacity, svc.desiredCount)
  if (to === svc.desiredCount) return undefined
  await call('ecs', 'UpdateService', { cluster, service, desiredCount: to })
  return { resourceId, from: svc.desiredCount, to }
}

/** The X-Amz-Target prefix of each service's JSON protocol. */
export const TARGET_PREFIX = {
  ecs: 'AmazonEC2ContainerServiceV20141113',
  aas: 'AnyScaleFrontendService'
} as const
