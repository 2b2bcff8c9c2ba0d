import {
  CreateClusterCommand,
  CreateServiceCommand,
  RegisterTaskDefinitionCommand,
  UpdateServiceCommand
} from '@aws-sdk/client-ecs'
import type { DeploymentControllerType } from '@aws-sdk/client-ecs'
import type { TestAws } from './clients.js'
import type { Network } from './fixture-elb.js'
import { motoEcsServiceRunning } from './moto-url.js'

export const CLUSTER = 'web-cluster'
export const FAMILY = 'web'
export const CONTAINER = 'web'
export const CONTAINER_PORT = 8080

/** How one ECS service of the pair is created. */
export interface ServiceSpec {
  name: string
  targetGroupArn: string
  desiredCount: number
  deploymentController: DeploymentControllerType
  /** Written with UpdateService after creation: moto drops deploymentConfiguration on create. */
  strategy?: 'ROLLING' | 'BLUE_GREEN'
}

/** The cluster `web-cluster`; returns its ARN. */
export async function createCluster(aws: TestAws): Promise<string> {
  const { cluster } = await aws.ecs.send(new CreateClusterCommand({ clusterName: CLUSTER }))
  return cluster!.clusterArn!
}

/** Registers a revision of the Fargate task definition family `web`; returns its ARN. */
export async function registerWebTaskDefinition(aws: TestAws, image: string): Promise<string> {
  const { taskDefinition } = await aws.ecs.send(
    new RegisterTaskDefinitionCommand({
      family: FAMILY,
      requiresCompatibilities: ['FARGATE'],
      networkMode: 'awsvpc',
      cpu: '256',
      memory: '512',
      containerDefinitions: [
        {
          name: CONTAINER,
          image,
          essential: true,
          portMappings: [{ containerPort: CONTAINER_PORT, protocol: 'tcp' }]
        }
      ]
    })
  )
  return taskDefinition!.taskDefinitionArn!
}

/** Creates one service behind its target group; returns its ARN. */
export async function createService(
  aws: TestAws,
  network: Network,
  taskDefinitionArn: string,
  spec: ServiceSpec
): Promise<string> {
  const { service } = await aws.ecs.send(
    new CreateServiceCommand({
      cluster: CLUSTER,
      serviceName: spec.name,
      taskDefinition: taskDefinitionArn,
      desiredCount: spec.desiredCount,
      launchType: 'FARGATE',
      deploymentController: { type: spec.deploymentController },
      loadBalancers: [
        {
          targetGroupArn: spec.targetGroupArn,
          containerName: CONTAINER,
          containerPort: CONTAINER_PORT
        }
      ],
      networkConfiguration: {
        awsvpcConfiguration: {
          subnets: network.subnetIds,
          securityGroups: [network.securityGroupId],
          assignPublicIp: 'DISABLED'
        }
      }
    })
  )
  await settle(aws, spec)
  return service!.serviceArn!
}

/**
 * moto gives every new service runningCount = MOTO_ECS_SERVICE_RUNNING whatever its desired
 * count (an idle service at 0 would report 2 running). UpdateService(desiredCount) sets the
 * running count to the desired one, which is what a settled real service reports. A service
 * asking for more than moto runs is left alone: its deployment is IN_PROGRESS for good, with
 * fewer tasks running than desired, the honest picture of a service that never stabilises.
 */
async function settle(aws: TestAws, spec: ServiceSpec): Promise<void> {
  const needsCount = spec.desiredCount < motoEcsServiceRunning()
  if (!needsCount && !spec.strategy) return
  await aws.ecs.send(
    new UpdateServiceCommand({
      cluster: CLUSTER,
      service: spec.name,
      ...(needsCount ? { desiredCount: spec.desiredCount } : {}),
      ...(spec.strategy ? { deploymentConfiguration: { strategy: spec.strategy } } : {})
    })
  )
}
