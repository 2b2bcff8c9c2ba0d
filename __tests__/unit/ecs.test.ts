import { describe, it, expect, beforeEach, afterAll } from '@jest/globals'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { mockClient } from 'aws-sdk-client-mock'
import 'aws-sdk-client-mock-jest'
import {
  ClientException,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
  UpdateServiceCommand
} from '@aws-sdk/client-ecs'
import type {
  Deployment,
  DescribeServicesCommandOutput,
  DescribeTaskDefinitionCommandOutput,
  RegisterTaskDefinitionCommandOutput,
  Service,
  UpdateServiceCommandOutput
} from '@aws-sdk/client-ecs'
import { EcsServices } from '../../src/aws/ecs/ecs.js'
import { InputError } from '../../src/engine/plan.js'
import { FakeClock, MemoryLog } from './fakes.js'

const ecs = mockClient(ECSClient)
const client = new ECSClient({ region: 'eu-west-1' })
const CLUSTER = 'prod'
const TD = (rev: number) => `arn:aws:ecs:eu-west-1:123456789012:task-definition/web:${rev}`
const TG = (name: string) =>
  `arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/${name}/0a1b2c3d`

const settled = {
  id: 'ecs-svc/1111',
  status: 'PRIMARY',
  taskDefinition: TD(41),
  desiredCount: 2,
  runningCount: 2,
  rolloutState: 'COMPLETED'
} satisfies Deployment

const green = {
  serviceName: 'web-green',
  serviceArn: 'arn:aws:ecs:eu-west-1:123456789012:service/prod/web-green',
  status: 'ACTIVE',
  desiredCount: 2,
  runningCount: 2,
  taskDefinition: TD(41),
  deploymentController: { type: 'ECS' },
  loadBalancers: [
    { targetGroupArn: TG('web-green'), containerName: 'web', containerPort: 80 },
    { targetGroupArn: TG('web-green'), containerName: 'web', containerPort: 8080 }
  ],
  deployments: [settled],
  events: [
    {
      id: 'e1',
      createdAt: new Date('2026-11-28T11:58:00Z'),
      message: '(service web-green) has reached a steady state.'
    },
    {
      id: 'e2',
      createdAt: new Date('2026-11-28T12:01:00Z'),
      message: '(service web-green) has started 2 tasks: (task 0a) (task 0b).'
    },
    {
      id: 'e3',
      createdAt: new Date('2026-11-28T12:01:30Z'),
      message: '(service web-green) (task 0a) failed container health checks.'
    }
  ]
} satisfies Service

const blue = {
  ...green,
  serviceName: 'web-blue',
  serviceArn: 'arn:aws:ecs:eu-west-1:123456789012:service/prod/web-blue',
  desiredCount: 3,
  runningCount: 3,
  loadBalancers: [{ targetGroupArn: TG('web-blue'), containerName: 'web', containerPort: 80 }],
  deploymentConfiguration: { strategy: 'BLUE_GREEN' }
} satisfies Service

/** The deployment `updateIdle` starts, at some point of its life. */
const rollout = (over: Partial<Deployment>): Deployment => ({
  id: 'ecs-svc/2222',
  status: 'PRIMARY',
  taskDefinition: TD(42),
  desiredCount: 2,
  runningCount: 0,
  rolloutState: 'IN_PROGRESS',
  ...over
})
const oldOne: Deployment = { ...settled, status: 'ACTIVE' }

function services(...list: Service[]): DescribeServicesCommandOutput {
  return { services: list, failures: [], $metadata: {} }
}
function greenWith(deployments: Deployment[], runningCount = 2): DescribeServicesCommandOutput {
  return services({ ...green, deployments, runningCount })
}

const workspace = mkdtempSync(join(tmpdir(), 'ecs-canary-ecs-'))
afterAll(() => rmSync(workspace, { recursive: true, force: true }))

let clock: FakeClock
let log: MemoryLog
let ecsServices: EcsServices

beforeEach(() => {
  ecs.reset()
  clock = new FakeClock()
  log = new MemoryLog()
  ecsServices = new EcsServices(client, CLUSTER, { clock, log, workspace })
})

describe('EcsServices.describe', () => {
  it('reads both services in one call and returns them in the order asked', async () => {
    ecs.on(DescribeServicesCommand).resolves(services(blue, green))
    const [g, b] = await ecsServices.describe(['web-green', 'web-blue'])
    expect(ecs).toHaveReceivedCommandTimes(DescribeServicesCommand, 1)
    expect(ecs).toHaveReceivedCommandWith(DescribeServicesCommand, {
      cluster: CLUSTER,
      services: ['web-green', 'web-blue']
    })
    expect(g).toEqual({
      name: 'web-green',
      arn: green.serviceArn,
      status: 'ACTIVE',
      controller: 'ECS',
      strategy: 'ROLLING',
      targetGroups: [TG('web-green')],
      desiredCount: 2,
      runningCount: 2,
      taskDefinition: TD(41),
      family: 'web'
    })
    expect(b.strategy).toBe('BLUE_GREEN')
  })

  it('names DescribeServices when ECS cannot be read', async () => {
    ecs
      .on(DescribeServicesCommand)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }))
    await expect(ecsServices.describe(['web-green', 'web-blue'])).rejects.toThrow(
      "Could not read services 'web-green', 'web-blue' in cluster 'prod': DescribeServices failed: ThrottlingException: Rate exceeded"
    )
  })

  it('names a missing service and the cluster', async () => {
    ecs.on(DescribeServicesCommand).resolves({
      services: [green],
      failures: [
        { arn: 'arn:aws:ecs:eu-west-1:123456789012:service/prod/web-blu', reason: 'MISSING' }
      ],
      $metadata: {}
    })
    await expect(ecsServices.describe(['web-green', 'web-blu'])).rejects.toThrow(
      "ECS service 'web-blu' was not found in cluster 'prod' (MISSING)"
    )
  })
})

describe('loadTaskDefinition and register', () => {
  const printed = {
    taskDefinition: {
      taskDefinitionArn: TD(41),
      family: 'web',
      revision: 41,
      status: 'ACTIVE',
      requiresAttributes: [{ name: 'ecs.capability.execution-role-awslogs' }],
      compatibilities: ['EC2', 'FARGATE'],
      registeredAt: '2026-11-28T12:00:00.000Z',
      registeredBy: 'arn:aws:iam::123456789012:role/deployer',
      networkMode: 'awsvpc',
      containerDefinitions: [{ name: 'web', image: 'nginx:1.27', essential: true }]
    },
    tags: [{ key: 'team', value: 'checkout' }]
  }
  const registered = {
    taskDefinition: { taskDefinitionArn: TD(42), family: 'web', revision: 42, status: 'ACTIVE' },
    $metadata: {}
  } satisfies RegisterTaskDefinitionCommandOutput

  it('reads a file without calling AWS, then registers it without the read-only fields', async () => {
    writeFileSync(join(workspace, 'described.json'), JSON.stringify(printed))
    ecs.on(RegisterTaskDefinitionCommand).resolves(registered)
    const source = await ecsServices.loadTaskDefinition('described.json')
    expect(ecs.calls()).toHaveLength(0)
    expect(source).toMatchObject({ kind: 'file', family: 'web' })

    await expect(ecsServices.register(source)).resolves.toBe(TD(42))
    expect(ecs).toHaveReceivedCommandTimes(RegisterTaskDefinitionCommand, 1)
    expect(ecs.commandCalls(RegisterTaskDefinitionCommand)[0].args[0].input).toEqual({
      family: 'web',
      networkMode: 'awsvpc',
      containerDefinitions: [{ name: 'web', image: 'nginx:1.27', essential: true }],
      tags: [{ key: 'team', value: 'checkout' }]
    })
    expect(log.lines).toContain('Registered web:42 from described.json')
  })

  it('registers without the aws: tags AWS set itself, which RegisterTaskDefinition refuses', async () => {
    const tagged = {
      ...printed,
      tags: [
        { key: 'aws:cloudformation:stack-name', value: 'web' },
        { key: 'team', value: 'checkout' },
        { key: 'AWS:Owner', value: 'platform' },
        { key: 'origin', value: 'aws:ecs' }
      ]
    }
    writeFileSync(join(workspace, 'tagged.json'), JSON.stringify(tagged))
    ecs.on(RegisterTaskDefinitionCommand).resolves(registered)
    await ecsServices.register(await ecsServices.loadTaskDefinition('tagged.json'))
    expect(ecs.commandCalls(RegisterTaskDefinitionCommand)[0].args[0].input.tags).toEqual([
      { key: 'team', value: 'checkout' }
    ])
    expect(log.lines).toContain(
      'warning: Leaving out tags aws:cloudformation:stack-name, AWS:Owner, origin from tagged.json: keys and values starting with aws: are reserved for AWS, and RegisterTaskDefinition refuses them.'
    )
  })

  it('sends no tags when a file carries only aws: tags', async () => {
    const tagged = { ...printed, tags: [{ key: 'aws:cloudformation:stack-id', value: 'x' }] }
    writeFileSync(join(workspace, 'aws-only.json'), JSON.stringify(tagged))
    ecs.on(RegisterTaskDefinitionCommand).resolves(registered)
    await ecsServices.register(await ecsServices.loadTaskDefinition('aws-only.json'))
    expect(ecs.commandCalls(RegisterTaskDefinitionCommand)[0].args[0].input).not.toHaveProperty(
      'tags'
    )
  })

  it('warns about fields RegisterTaskDefinition does not know', async () => {
    const odd = { ...printed.taskDefinition, executionRole: 'oops' }
    writeFileSync(join(workspace, 'odd.json'), JSON.stringify(odd))
    await ecsServices.loadTaskDefinition('odd.json')
    expect(log.lines).toContain(
      'warning: Ignoring executionRole in odd.json: RegisterTaskDefinition has no such field.'
    )
  })

  it('refuses a path with no file, naming the input and the value', async () => {
    const load = ecsServices.loadTaskDefinition('deploy/missing.json')
    await expect(load).rejects.toThrow(InputError)
    await expect(load).rejects.toThrow("Input 'task-definition': 'deploy/missing.json' is no file")
    expect(ecs.calls()).toHaveLength(0)
  })

  it('checks an ARN with DescribeTaskDefinition and never registers it', async () => {
    ecs.on(DescribeTaskDefinitionCommand).resolves({
      taskDefinition: { taskDefinitionArn: TD(40), family: 'web', status: 'ACTIVE' },
      $metadata: {}
    } satisfies DescribeTaskDefinitionCommandOutput)
    const source = await ecsServices.loadTaskDefinition(TD(40))
    expect(ecs).toHaveReceivedCommandWith(DescribeTaskDefinitionCommand, { taskDefinition: TD(40) })
    await expect(ecsServices.register(source)).resolves.toBe(TD(40))
    expect(ecs).not.toHaveReceivedCommand(RegisterTaskDefinitionCommand)
  })

  it('refuses a family:revision ECS does not know', async () => {
    ecs
      .on(DescribeTaskDefinitionCommand)
      .rejects(
        new ClientException({ message: 'Unable to describe task definition.', $metadata: {} })
      )
    await expect(ecsServices.loadTaskDefinition('web:999')).rejects.toThrow(
      "Input 'task-definition': 'web:999' is not a task definition registered in this account and region (DescribeTaskDefinition: Unable to describe task definition.)"
    )
  })

  it('names DescribeTaskDefinition and the revision when the lookup fails for another reason', async () => {
    const denied = Object.assign(
      new Error('not authorized to perform: ecs:DescribeTaskDefinition'),
      {
        name: 'AccessDeniedException'
      }
    )
    ecs.on(DescribeTaskDefinitionCommand).rejects(denied)
    await expect(ecsServices.loadTaskDefinition('web:42')).rejects.toThrow(
      "DescribeTaskDefinition failed for task definition 'web:42' (input 'task-definition'): AccessDeniedException: not authorized to perform: ecs:DescribeTaskDefinition"
    )
  })

  it('refuses a deregistered revision', async () => {
    ecs.on(DescribeTaskDefinitionCommand).resolves({
      taskDefinition: { taskDefinitionArn: TD(3), family: 'web', status: 'INACTIVE' },
      $metadata: {}
    } satisfies DescribeTaskDefinitionCommandOutput)
    await expect(ecsServices.loadTaskDefinition('web:3')).rejects.toThrow(
      "'web:3' is INACTIVE: ECS does not update services to it"
    )
  })
})

describe('updateIdle and scaleDown', () => {
  const updated = {
    service: { ...green, deployments: [rollout({}), oldOne] },
    $metadata: {}
  } satisfies UpdateServiceCommandOutput

  it('puts the revision and the live count on the idle service and returns the new deployment', async () => {
    ecs.on(UpdateServiceCommand).resolves(updated)
    const id = await ecsServices.updateIdle('web-green', {
      taskDefinition: TD(42),
      desiredCount: 3
    })
    expect(id).toBe('ecs-svc/2222')
    expect(ecs).toHaveReceivedCommandWith(UpdateServiceCommand, {
      cluster: CLUSTER,
      service: 'web-green',
      taskDefinition: TD(42),
      desiredCount: 3
    })
  })

  it('names UpdateService when ECS refuses the update', async () => {
    ecs
      .on(UpdateServiceCommand)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }))
    await expect(ecsServices.updateIdle('web-green', { desiredCount: 2 })).rejects.toThrow(
      "Could not update service 'web-green' in cluster 'prod' to desired count 2: UpdateService failed: ThrottlingException: Rate exceeded"
    )
  })

  it('sends nothing when there is nothing to change', async () => {
    await expect(ecsServices.updateIdle('web-green', {})).resolves.toBeUndefined()
    expect(ecs).not.toHaveReceivedCommand(UpdateServiceCommand)
  })

  it('scales the old service down to 0 and touches nothing else', async () => {
    ecs.on(UpdateServiceCommand).resolves(updated)
    await ecsServices.scaleDown('web-blue')
    expect(ecs).toHaveReceivedCommandTimes(UpdateServiceCommand, 1)
    expect(ecs.commandCalls(UpdateServiceCommand)[0].args[0].input).toEqual({
      cluster: CLUSTER,
      service: 'web-blue',
      desiredCount: 0
    })
  })
})

describe('waitStable', () => {
  const wait = { intervalMs: 10_000, timeoutMs: 15 * 60_000, deploymentId: 'ecs-svc/2222' }

  it('polls at a steady interval until the deployment completes, printing progress', async () => {
    ecs
      .on(DescribeServicesCommand)
      .resolvesOnce(greenWith([rollout({}), oldOne], 2))
      .resolvesOnce(greenWith([rollout({ runningCount: 1 }), oldOne], 3))
      .resolves(greenWith([rollout({ runningCount: 2, rolloutState: 'COMPLETED' })]))
    const start = clock.now()
    await ecsServices.waitStable('web-green', wait)
    expect(ecs).toHaveReceivedCommandTimes(DescribeServicesCommand, 3)
    expect(ecs).toHaveReceivedCommandWith(DescribeServicesCommand, {
      cluster: CLUSTER,
      services: ['web-green']
    })
    expect(clock.now() - start).toBe(20_000)
    expect(log.lines).toEqual([
      'web-green: 0/2 running, rollout IN_PROGRESS (0s of 15m)',
      'web-green: 1/2 running, rollout IN_PROGRESS (10s of 15m)',
      'web-green: 2/2 running, rollout COMPLETED (20s of 15m)'
    ])
  })

  it('fails with ECS reason when the circuit breaker rolls the deployment back', async () => {
    const reason = 'ECS deployment circuit breaker: tasks failed to start.'
    ecs
      .on(DescribeServicesCommand)
      .resolvesOnce(greenWith([rollout({ failedTasks: 2 }), oldOne]))
      .resolves(
        greenWith([
          { ...settled, id: 'ecs-svc/3333', rolloutState: 'IN_PROGRESS' },
          rollout({ status: 'ACTIVE', rolloutState: 'FAILED', rolloutStateReason: reason })
        ])
      )
    const waiting = ecsServices.waitStable('web-green', wait)
    await expect(waiting).rejects.toThrow(
      `Deployment ecs-svc/2222 of service 'web-green' failed: ${reason}`
    )
    await expect(waiting).rejects.toThrow(
      "Latest events of service 'web-green' (see also its stopped tasks' reasons):\n" +
        '  2026-11-28T12:01:30Z (service web-green) (task 0a) failed container health checks.\n' +
        '  2026-11-28T12:01:00Z (service web-green) has started 2 tasks: (task 0a) (task 0b).'
    )
    expect(ecs).toHaveReceivedCommandTimes(DescribeServicesCommand, 2)
    expect(log.lines[0]).toBe(
      'web-green: 0/2 running, rollout IN_PROGRESS, 2 failed task(s) (0s of 15m)'
    )
  })

  it('never calls a completed rollback stable when the followed deployment is gone', async () => {
    ecs.on(DescribeServicesCommand).resolves(greenWith([{ ...settled, id: 'ecs-svc/3333' }]))
    await expect(ecsServices.waitStable('web-green', wait)).rejects.toThrow(
      "Deployment ecs-svc/2222 of service 'web-green' is no longer the primary one (primary now: ecs-svc/3333"
    )
  })

  it('fails a primary deployment marked FAILED when no deployment is named', async () => {
    ecs
      .on(DescribeServicesCommand)
      .resolves(
        greenWith([rollout({ rolloutState: 'FAILED', rolloutStateReason: 'tasks failed' })])
      )
    await expect(
      ecsServices.waitStable('web-green', { intervalMs: 10_000, timeoutMs: 60_000 })
    ).rejects.toThrow("Deployment ecs-svc/2222 of service 'web-green' failed: tasks failed")
  })

  it('gives up at the cap with a readable message after the expected number of polls', async () => {
    ecs.on(DescribeServicesCommand).resolves(greenWith([rollout({ runningCount: 1 }), oldOne], 3))
    const start = clock.now()
    const waiting = ecsServices.waitStable('web-green', { ...wait, timeoutMs: 60_000 })
    await expect(waiting).rejects.toThrow(
      "Service 'web-green' did not become stable within 1m (1/2 running, rollout IN_PROGRESS). " +
        "If it only needs longer, raise 'service-timeout'."
    )
    await expect(waiting).rejects.toThrow('failed container health checks')
    // Polls at 0, 10, …, 60 s: seven reads, and not a second past the cap.
    expect(ecs).toHaveReceivedCommandTimes(DescribeServicesCommand, 7)
    expect(clock.now() - start).toBe(60_000)
  })

  it('says where to look when the service has no events yet', async () => {
    ecs.on(DescribeServicesCommand).resolves(
      services({
        ...green,
        events: [],
        deployments: [rollout({ runningCount: 1 })],
        runningCount: 1
      })
    )
    await expect(
      ecsServices.waitStable('web-green', { ...wait, timeoutMs: 10_000 })
    ).rejects.toThrow(
      "Service 'web-green' has no events yet: look at the service's events and its stopped " +
        "tasks' reasons in the ECS console."
    )
  })

  it('without rolloutState, waits for a single deployment with every task running', async () => {
    const bare = (over: Partial<Deployment>) => rollout({ rolloutState: undefined, ...over })
    ecs
      .on(DescribeServicesCommand)
      .resolvesOnce(greenWith([bare({ runningCount: 2 }), oldOne], 2))
      .resolvesOnce(greenWith([bare({ runningCount: 1 })], 1))
      .resolves(greenWith([bare({ runningCount: 2 })], 2))
    await ecsServices.waitStable('web-green', wait)
    expect(ecs).toHaveReceivedCommandTimes(DescribeServicesCommand, 3)
    expect(log.lines[0]).toBe('web-green: 2/2 running, 2 deployment(s) (0s of 15m)')
  })

  it('stops waiting when the run is cancelled', async () => {
    ecs.on(DescribeServicesCommand).resolves(greenWith([rollout({}), oldOne]))
    const controller = new AbortController()
    clock.onSleep = () => controller.abort()
    await expect(
      ecsServices.waitStable('web-green', { ...wait, signal: controller.signal })
    ).rejects.toThrow(
      "Stopped waiting for service 'web-green' to become stable: the run was cancelled."
    )
    expect(ecs).toHaveReceivedCommandTimes(DescribeServicesCommand, 1)
  })
})
