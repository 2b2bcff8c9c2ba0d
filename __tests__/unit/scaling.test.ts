import { describe, it, expect, beforeEach } from '@jest/globals'
import { mockClient } from 'aws-sdk-client-mock'
import 'aws-sdk-client-mock-jest'
import {
  ApplicationAutoScalingClient,
  DescribeScalableTargetsCommand,
  RegisterScalableTargetCommand
} from '@aws-sdk/client-application-auto-scaling'
import type {
  DescribeScalableTargetsCommandOutput,
  ScalableTarget
} from '@aws-sdk/client-application-auto-scaling'
import { clusterName, resourceIdOf, ServiceScaling } from '../../src/aws/autoscaling/scaling.js'
import { MemoryLog } from './fakes.js'

const aas = mockClient(ApplicationAutoScalingClient)
const client = new ApplicationAutoScalingClient({ region: 'eu-west-1' })
const CLUSTER_ARN = 'arn:aws:ecs:eu-west-1:123456789012:cluster/prod'

const target = (service: string, over: Partial<ScalableTarget> = {}): ScalableTarget => ({
  ServiceNamespace: 'ecs',
  ScalableDimension: 'ecs:service:DesiredCount',
  ResourceId: `service/prod/${service}`,
  MinCapacity: 2,
  MaxCapacity: 60,
  RoleARN:
    'arn:aws:iam::123456789012:role/aws-service-role/ecs.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_ECSService',
  CreationTime: new Date(0),
  ...over
})

const described = (...targets: ScalableTarget[]) =>
  ({ ScalableTargets: targets, $metadata: {} }) satisfies DescribeScalableTargetsCommandOutput

beforeEach(() => {
  aas.reset()
})

describe('resourceIdOf', () => {
  it('names the cluster by name, whether given as a name or an ARN', () => {
    expect(resourceIdOf(CLUSTER_ARN, 'web-blue')).toBe('service/prod/web-blue')
    expect(resourceIdOf('prod', 'web-blue')).toBe('service/prod/web-blue')
    expect(clusterName('prod')).toBe('prod')
  })
})

describe('ServiceScaling.describe', () => {
  it('asks for the ECS desired-count targets of both services in one call', async () => {
    aas.on(DescribeScalableTargetsCommand).resolves(described(target('web-blue')))
    const found = await new ServiceScaling(client, CLUSTER_ARN, new MemoryLog()).describe([
      'web-blue',
      'web-green'
    ])
    expect(aas).toHaveReceivedCommandTimes(DescribeScalableTargetsCommand, 1)
    expect(aas).toHaveReceivedCommandWith(DescribeScalableTargetsCommand, {
      ServiceNamespace: 'ecs',
      ScalableDimension: 'ecs:service:DesiredCount',
      ResourceIds: ['service/prod/web-blue', 'service/prod/web-green']
    })
    expect([...found.keys()]).toEqual(['web-blue'])
    expect(found.get('web-blue')).toMatchObject({
      minCapacity: 2,
      maxCapacity: 60,
      scaleInSuspended: false,
      suspendedState: {
        DynamicScalingInSuspended: false,
        DynamicScalingOutSuspended: false,
        ScheduledScalingSuspended: false
      }
    })
  })

  it('names the call and the permission when it is denied', async () => {
    aas
      .on(DescribeScalableTargetsCommand)
      .rejects(Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' }))
    await expect(
      new ServiceScaling(client, 'prod', new MemoryLog()).describe(['web-blue'])
    ).rejects.toThrow(
      /DescribeScalableTargets failed: AccessDeniedException: not authorized.*application-autoscaling:DescribeScalableTargets/
    )
  })
})

describe('ServiceScaling.setScaleIn', () => {
  it('writes only SuspendedState, keeping the flags it does not own as they were', async () => {
    aas.on(DescribeScalableTargetsCommand).resolves(
      described(
        target('web-blue', {
          SuspendedState: { ScheduledScalingSuspended: true }
        })
      )
    )
    aas.on(RegisterScalableTargetCommand).resolves({ $metadata: {} })
    const scaling = new ServiceScaling(client, 'prod', new MemoryLog())
    const blue = (await scaling.describe(['web-blue'])).get('web-blue')!
    await scaling.setScaleIn(blue, true)
    const sent = aas.commandCalls(RegisterScalableTargetCommand)[0].args[0].input
    expect(sent).toEqual({
      ServiceNamespace: 'ecs',
      ScalableDimension: 'ecs:service:DesiredCount',
      ResourceId: 'service/prod/web-blue',
      SuspendedState: {
        DynamicScalingInSuspended: true,
        DynamicScalingOutSuspended: false,
        ScheduledScalingSuspended: true
      }
    })
    // MinCapacity and MaxCapacity are never written: an update leaves what it does not name.
    expect(sent).not.toHaveProperty('MinCapacity')
    expect(sent).not.toHaveProperty('MaxCapacity')
  })

  it('names the service, the call and the permission when the write fails', async () => {
    aas.on(DescribeScalableTargetsCommand).resolves(described(target('web-green')))
    aas
      .on(RegisterScalableTargetCommand)
      .rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }))
    const scaling = new ServiceScaling(client, 'prod', new MemoryLog())
    const green = (await scaling.describe(['web-green'])).get('web-green')!
    await expect(scaling.setScaleIn(green, false)).rejects.toThrow(
      /resume the scale-in of 'web-green'.*RegisterScalableTarget failed.*application-autoscaling:RegisterScalableTarget/
    )
  })
})
