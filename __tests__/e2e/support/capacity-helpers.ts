/**
 * Auto scaling and capacity around a stack: scalable targets registered on moto the way a user's
 * Terraform or console would, read back as the action left them, and the capacity tap in front
 * of the proxy.
 */
import {
  ApplicationAutoScalingClient,
  DescribeScalableTargetsCommand,
  RegisterScalableTargetCommand
} from '@aws-sdk/client-application-auto-scaling'
import { REGION } from './accounts.js'
import { startCapacityTap } from './capacity-tap.js'
import type { CapacityEvent, CapacityTap } from './capacity-tap.js'
import type { Color, Stack } from './fixture.js'
import { motoUrl } from './moto-url.js'

const DIMENSION = 'ecs:service:DesiredCount'

function client(stack: Stack): ApplicationAutoScalingClient {
  return new ApplicationAutoScalingClient({
    region: REGION,
    endpoint: motoUrl(),
    credentials: stack.account.credentials
  })
}

/** Registers a scalable target for the service of `color`, scale-in not suspended. */
export async function registerScalable(
  stack: Stack,
  color: Color,
  capacity: { min: number; max: number }
): Promise<void> {
  const aas = client(stack)
  await aas.send(
    new RegisterScalableTargetCommand({
      ServiceNamespace: 'ecs',
      ScalableDimension: DIMENSION,
      ResourceId: `service/${stack.clusterName}/${stack.services[color].name}`,
      MinCapacity: capacity.min,
      MaxCapacity: capacity.max,
      SuspendedState: {
        DynamicScalingInSuspended: false,
        DynamicScalingOutSuspended: false,
        ScheduledScalingSuspended: false
      }
    })
  )
  aas.destroy()
}

/** Whether the dynamic scale-in of the service of `color` is suspended now, read from moto. */
export async function scaleInSuspended(stack: Stack, color: Color): Promise<boolean> {
  const aas = client(stack)
  const out = await aas.send(
    new DescribeScalableTargetsCommand({
      ServiceNamespace: 'ecs',
      ScalableDimension: DIMENSION,
      ResourceIds: [`service/${stack.clusterName}/${stack.services[color].name}`]
    })
  )
  aas.destroy()
  return out.ScalableTargets?.[0]?.SuspendedState?.DynamicScalingInSuspended === true
}

/** A capacity tap that answers target health for both groups from the services' counts. */
export function tapStack(
  stack: Stack,
  proxyUrl: string,
  counts: Record<Color, number>,
  healthyAtMost: Partial<Record<Color, number>> = {}
): Promise<CapacityTap> {
  const group = (color: Color, prefix: string) => ({
    service: stack.services[color].name,
    count: counts[color],
    ipPrefix: prefix,
    ...(healthyAtMost[color] === undefined ? {} : { healthyAtMost: healthyAtMost[color] })
  })
  return startCapacityTap(proxyUrl, {
    [stack.targetGroups.blue.arn]: group('blue', '10.0.11'),
    [stack.targetGroups.green.arn]: group('green', '10.0.12')
  })
}

/**
 * For each weight write on `arn`: the share on `color`'s group and the desired count last set on
 * its service before that write (`undefined` when none was set yet).
 */
export function countsBeforeShifts(
  events: readonly CapacityEvent[],
  stack: Stack,
  arn: string,
  color: Color
): { percent: number; desiredCount: number | undefined }[] {
  const service = stack.services[color].name
  const group = stack.targetGroups[color].arn
  let desired: number | undefined
  const seen: { percent: number; desiredCount: number | undefined }[] = []
  for (const event of events) {
    if (event.kind === 'scale' && event.service === service) desired = event.desiredCount
    if (event.kind === 'shift' && event.arn === arn) {
      const total = Object.values(event.weights).reduce((a, b) => a + b, 0)
      seen.push({ percent: (100 * (event.weights[group] ?? 0)) / total, desiredCount: desired })
    }
  }
  return seen
}

/** The scale-in writes and the record tags, in order, as `suspend web-blue` / `record …`. */
export function scaleInStory(events: readonly CapacityEvent[], stack: Stack): string[] {
  const story: string[] = []
  for (const event of events) {
    if (event.kind === 'scale-in') {
      const service = event.resourceId.split('/').pop()
      story.push(`${event.suspended ? 'suspend' : 'resume'} ${service}`)
    }
    if (event.kind === 'tag' && event.arns.includes(stack.rules.api)) {
      const value = event.tags['ecs-canary:scale-in-suspended']
      if (value !== undefined) story.push(`record ${value}`)
    }
    if (event.kind === 'shift' && event.arn === stack.rules.api) story.push('shift')
  }
  // Consecutive shifts say only "traffic moved here".
  return story.filter((line, i) => !(line === 'shift' && story[i - 1] === 'shift'))
}
