import { REGION } from './accounts.js'
import { CONTAINER, CONTAINER_PORT } from './fixture-ecs.js'

/** What varies between the task definition files the tests write. */
export interface TaskDefinitionFileOptions {
  accountId: string
  /** Default `web`, the pair's family. */
  family?: string
  image: string
  /** The revision the printed read-only fields claim (default 7): ECS must ignore it. */
  revision?: number
}

/**
 * A task definition file exactly as `aws ecs describe-task-definition` prints it: wrapped in
 * `{"taskDefinition": …, "tags": []}` and carrying the read-only fields ECS sets itself (which
 * RegisterTaskDefinition refuses). This is what users commit after downloading the live one.
 */
export function describedTaskDefinition(options: TaskDefinitionFileOptions): string {
  const family = options.family ?? 'web'
  const revision = options.revision ?? 7
  const taskDefinition = {
    taskDefinitionArn: `arn:aws:ecs:${REGION}:${options.accountId}:task-definition/${family}:${revision}`,
    containerDefinitions: [
      {
        name: CONTAINER,
        image: options.image,
        cpu: 0,
        portMappings: [
          { containerPort: CONTAINER_PORT, hostPort: CONTAINER_PORT, protocol: 'tcp' }
        ],
        essential: true,
        environment: [],
        mountPoints: [],
        volumesFrom: [],
        systemControls: []
      }
    ],
    family,
    networkMode: 'awsvpc',
    revision,
    volumes: [],
    status: 'ACTIVE',
    requiresAttributes: [
      { name: 'com.amazonaws.ecs.capability.docker-remote-api.1.18' },
      { name: 'ecs.capability.task-eni' }
    ],
    placementConstraints: [],
    compatibilities: ['EC2', 'FARGATE'],
    requiresCompatibilities: ['FARGATE'],
    cpu: '256',
    memory: '512',
    registeredAt: '2026-11-02T10:15:42.120000+00:00',
    registeredBy: `arn:aws:sts::${options.accountId}:assumed-role/deploy-web/gha`
  }
  return `${JSON.stringify({ taskDefinition, tags: [] }, null, 4)}\n`
}
