import { describe, it, expect, beforeEach } from '@jest/globals'
import { mockClient } from 'aws-sdk-client-mock'
import 'aws-sdk-client-mock-jest'
import {
  ClientException,
  DescribeTaskDefinitionCommand,
  ECSClient,
  ListTaskDefinitionsCommand,
  RegisterTaskDefinitionCommand
} from '@aws-sdk/client-ecs'
import type {
  DescribeTaskDefinitionCommandOutput,
  RegisterTaskDefinitionCommandInput,
  RegisterTaskDefinitionCommandOutput
} from '@aws-sdk/client-ecs'
import { EcsServices } from '../../src/aws/ecs/ecs.js'
import type { TaskDefinitionSource } from '../../src/inputs/taskdef.js'
import { FakeClock, MemoryLog } from './fakes.js'

const ecs = mockClient(ECSClient)
const client = new ECSClient({ region: 'eu-west-1' })
const TD = (rev: number) => `arn:aws:ecs:eu-west-1:123456789012:task-definition/web:${rev}`

/** What the file asks ECS to register. */
const input = {
  family: 'web',
  networkMode: 'awsvpc',
  requiresCompatibilities: ['FARGATE'],
  cpu: '256',
  memory: '512',
  containerDefinitions: [
    { name: 'web', image: 'nginx:1.27', essential: true, portMappings: [{ containerPort: 80 }] }
  ],
  tags: [{ key: 'team', value: 'checkout' }]
} satisfies RegisterTaskDefinitionCommandInput

const source: TaskDefinitionSource = { kind: 'file', path: 'td.json', family: 'web', input }

/** The SDK's error when a call got no answer within requestTimeout: no HTTP status at all. */
function timedOut(): Error {
  return Object.assign(new Error('Request timed out after 4000ms'), {
    name: 'TimeoutError',
    $metadata: {}
  })
}

/** A revision as DescribeTaskDefinition returns it: what was sent plus the fields ECS fills in. */
function described(
  revision: number,
  registeredAt: Date,
  change: Partial<RegisterTaskDefinitionCommandInput> = {}
): DescribeTaskDefinitionCommandOutput {
  const { tags, ...sent } = { ...input, ...change }
  return {
    taskDefinition: {
      ...sent,
      containerDefinitions: sent.containerDefinitions?.map(c => ({
        ...c,
        cpu: 0,
        environment: [],
        mountPoints: [],
        volumesFrom: [],
        portMappings: c.portMappings?.map(p => ({ ...p, hostPort: 80, protocol: 'tcp' }))
      })),
      taskDefinitionArn: TD(revision),
      revision,
      status: 'ACTIVE',
      volumes: [],
      placementConstraints: [],
      compatibilities: ['EC2', 'FARGATE'],
      requiresAttributes: [{ name: 'ecs.capability.task-eni' }],
      registeredAt,
      registeredBy: 'arn:aws:sts::123456789012:assumed-role/deploy/gha'
    },
    tags,
    $metadata: {}
  }
}

const registered = (revision: number) =>
  ({
    taskDefinition: { taskDefinitionArn: TD(revision), family: 'web', revision },
    $metadata: {}
  }) satisfies RegisterTaskDefinitionCommandOutput

let clock: FakeClock
let log: MemoryLog
let ecsServices: EcsServices

beforeEach(() => {
  ecs.reset()
  clock = new FakeClock()
  log = new MemoryLog()
  ecsServices = new EcsServices(client, 'prod', { clock, log })
  ecs.on(ListTaskDefinitionsCommand).resolves({ taskDefinitionArns: [TD(43), TD(42)] })
})

describe('register after a timeout', () => {
  it('takes the identical revision the timed-out call registered, and registers nothing more', async () => {
    ecs.on(RegisterTaskDefinitionCommand).rejectsOnce(timedOut())
    ecs
      .on(DescribeTaskDefinitionCommand, { taskDefinition: TD(43) })
      .resolves(described(43, new Date(clock.now() - 3_000)))

    await expect(ecsServices.register(source)).resolves.toBe(TD(43))
    expect(ecs).toHaveReceivedCommandTimes(RegisterTaskDefinitionCommand, 1)
    expect(ecs).toHaveReceivedCommandWith(ListTaskDefinitionsCommand, {
      familyPrefix: 'web',
      sort: 'DESC'
    })
    expect(ecs).toHaveReceivedCommandWith(DescribeTaskDefinitionCommand, {
      taskDefinition: TD(43),
      include: ['TAGS']
    })
    expect(log.lines.join('\n')).toMatch(/RegisterTaskDefinition .*timed out.*web:43.*identical/)
  })

  it('registers once more when no revision of the last minutes has the same content', async () => {
    ecs.on(RegisterTaskDefinitionCommand).rejectsOnce(timedOut()).resolves(registered(44))
    const otherImage = {
      containerDefinitions: [{ ...input.containerDefinitions[0], image: 'nginx:1.26' }]
    }
    ecs
      .on(DescribeTaskDefinitionCommand, { taskDefinition: TD(43) })
      .resolves(described(43, new Date(clock.now() - 3_000), otherImage))
      .on(DescribeTaskDefinitionCommand, { taskDefinition: TD(42) })
      .resolves(described(42, new Date(clock.now() - 3_600_000)))

    await expect(ecsServices.register(source)).resolves.toBe(TD(44))
    expect(ecs).toHaveReceivedCommandTimes(RegisterTaskDefinitionCommand, 2)
    // web:42 has the same content but is an hour old: someone else's, not the lost call's.
    expect(ecs.commandCalls(RegisterTaskDefinitionCommand)[1].args[0].input).toEqual(input)
  })

  it('does not take a revision with other tags for the same one', async () => {
    ecs.on(RegisterTaskDefinitionCommand).rejectsOnce(timedOut()).resolves(registered(44))
    ecs
      .on(DescribeTaskDefinitionCommand, { taskDefinition: TD(43) })
      .resolves(
        described(43, new Date(clock.now() - 3_000), { tags: [{ key: 'team', value: 'search' }] })
      )
      .on(DescribeTaskDefinitionCommand, { taskDefinition: TD(42) })
      .resolves(described(42, new Date(clock.now() - 3_600_000)))

    await expect(ecsServices.register(source)).resolves.toBe(TD(44))
    expect(ecs).toHaveReceivedCommandTimes(RegisterTaskDefinitionCommand, 2)
  })

  it('judges by content alone a revision with no registration date, an empty list sent matching none', async () => {
    ecs.on(RegisterTaskDefinitionCommand).rejectsOnce(timedOut())
    const undated = described(43, new Date())
    delete undated.taskDefinition!.registeredAt
    delete undated.taskDefinition!.volumes
    ecs.on(DescribeTaskDefinitionCommand, { taskDefinition: TD(43) }).resolves(undated)

    await expect(
      ecsServices.register({ ...source, input: { ...input, volumes: [] } })
    ).resolves.toBe(TD(43))
    expect(ecs).toHaveReceivedCommandTimes(RegisterTaskDefinitionCommand, 1)
  })

  it('does not look for a revision when ECS refused the request', async () => {
    ecs
      .on(RegisterTaskDefinitionCommand)
      .rejects(new ClientException({ message: 'Invalid container image', $metadata: {} }))

    await expect(ecsServices.register(source)).rejects.toThrow(
      'RegisterTaskDefinition failed: ClientException: Invalid container image'
    )
    expect(ecs).toHaveReceivedCommandTimes(RegisterTaskDefinitionCommand, 1)
    expect(ecs).not.toHaveReceivedCommand(ListTaskDefinitionsCommand)
  })

  it('fails naming RegisterTaskDefinition when the second try times out too', async () => {
    ecs.on(RegisterTaskDefinitionCommand).rejects(timedOut())
    ecs.on(DescribeTaskDefinitionCommand).resolves(described(42, new Date(0)))

    await expect(ecsServices.register(source)).rejects.toThrow(
      /RegisterTaskDefinition failed: TimeoutError: Request timed out/
    )
    expect(ecs).toHaveReceivedCommandTimes(RegisterTaskDefinitionCommand, 2)
  })
})
