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
  /**
   * deploymentConfiguration.strategy, written with UpdateService after creation because moto's
   * CreateService drops deploymentConfiguration. `absent` leaves moto's default: no
   * deploymentConfiguration at all, as older API responses had it.
   */
  strategy: 'ROLLING' | 'BLUE_GREEN' | 'absent'
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

/**
 * Creates one service behind its target group; returns its ARN.
 *
 * moto freezes a service's deployment at creation: runningCount = MOTO_ECS_SERVICE_RUNNING
 * whatever the desired count, rolloutState COMPLETED if that covers the desired count. So a
 * service that should run fewer tasks is created at moto's count (a consistent, COMPLETED
 * deployment rather than one with a negative pendingCount) and then scaled down with
 * UpdateService, which sets the service's runningCount to the new desired count at once. A
 * service asking for more than moto runs is created as asked: IN_PROGRESS for good, fewer tasks
 * running than desired, the honest picture of a service that never stabilises.
 */
export async function createService(
  aws: TestAws,
  network: Network,
  taskDefinitionArn: string,
  spec: ServiceSpec
): Promise<string> {
  const running = motoEcsServiceRunning()
  const { service } = await aws.ecs.send(
    new CreateServiceCommand({
      cluster: CLUSTER,
      serviceName: spec.name,
      taskDefinition: taskDefinitionArn,
      desiredCount: Math.max(spec.desiredCount, running),
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
  const scaleDown = spec.desiredCount < running
  const strategy = spec.strategy === 'absent' ? undefined : spec.strategy
  if (scaleDown || strategy) {
    await aws.ecs.send(
      new UpdateServiceCommand({
        cluster: CLUSTER,
        service: spec.name,
        ...(scaleDown ? { desiredCount: spec.desiredCount } : {}),
        ...(strategy ? { deploymentConfiguration: deploymentConfiguration(strategy) } : {})
      })
    )
  }
  return service!.serviceArn!
}

/** What a real service reports (moto keeps only what UpdateService wrote). */
function deploymentConfiguration(strategy: 'ROLLING' | 'BLUE_GREEN') {
  return {
    maximumPercent: 200,
    minimumHealthyPercent: 100,
    deploymentCircuitBreaker: { enable: true, rollback: true },
    strategy
  }
}
