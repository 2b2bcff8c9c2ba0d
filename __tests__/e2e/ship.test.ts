import { afterEach, describe, expect, it } from '@jest/globals'
import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  RegisterTaskDefinitionCommand
} from '@aws-sdk/client-ecs'
import type { Service } from '@aws-sdk/client-ecs'
import { provisionStack, readTags, readWeights } from './support/fixture.js'
import type { Stack, StackOptions } from './support/fixture.js'
import { useE2e } from './support/harness.js'
import { runAction } from './support/runner.js'
import type { RunOptions } from './support/runner.js'
import { describedTaskDefinition } from './support/task-definition-file.js'

// Issue 4: the new revision reaches the idle service, stable and healthy, before any traffic.
const e2e = useE2e()
const stacks: Stack[] = []

afterEach(() => {
  stacks.splice(0).forEach(s => s.aws.destroy())
})

const NEW_IMAGE = 'public.ecr.aws/nginx/nginx:1.28'
const TASK_FILE = 'deploy/task-definition.json'
const TRAFFIC_WRITES = new Set(['ModifyRule', 'ModifyListener'])

async function stack(options: StackOptions = {}): Promise<Stack> {
  const s = await provisionStack(options)
  stacks.push(s)
  return s
}

/** Runs a deploy of the stack's pair over the listener and the `/api/*` rule. */
function deploy(s: Stack, inputs: Record<string, string>, options: RunOptions = {}) {
  return runAction(e2e.context(s), {
    ...options,
    inputs: {
      cluster: s.clusterName,
      services: 'web-blue web-green',
      'listener-rules': `${s.listenerArn}\n${s.rules.api}`,
      alarms: s.alarmNames.join(' '),
      stages: '50:1s,100:1s',
      'poll-interval': '250ms',
      ...inputs
    }
  })
}

async function service(s: Stack, name: string): Promise<Service> {
  const { services } = await s.aws.ecs.send(
    new DescribeServicesCommand({ cluster: s.clusterName, services: [name] })
  )
  return services![0]
}

/** Registers another revision of `family` straight in moto, as an earlier pipeline step would. */
async function registerRevision(s: Stack, family: string): Promise<string> {
  const { taskDefinition } = await s.aws.ecs.send(
    new RegisterTaskDefinitionCommand({
      family,
      requiresCompatibilities: ['FARGATE'],
      networkMode: 'awsvpc',
      cpu: '256',
      memory: '512',
      containerDefinitions: [{ name: s.containerName, image: NEW_IMAGE, essential: true }]
    })
  )
  return taskDefinition!.taskDefinitionArn!
}

/** The idle share on a rule, read from moto. */
async function greenWeight(s: Stack, rule: string): Promise<number> {
  return (await readWeights(s.aws, rule)).weights[s.targetGroups.green.arn]
}

function operations(): string[] {
  return e2e.proxy.calls().map(call => call.operation)
}

describe('shipping a task definition file', () => {
  it('registers it, puts it on the idle service at the live count, then moves traffic', async () => {
    const s = await stack({ services: { green: { desiredCount: 1 } } })
    const file = describedTaskDefinition({ accountId: s.account.accountId, image: NEW_IMAGE })

    const result = await deploy(
      s,
      { 'task-definition': TASK_FILE },
      { files: { [TASK_FILE]: file } }
    )

    expect(result.code).toBe(0)
    const arn = result.outputs['task-definition-arn']
    expect(arn).toBe(s.taskDefinitionArn.replace(/:1$/, ':2'))
    expect(result.outputs.result).toBe('promoted')
    const { taskDefinition } = await s.aws.ecs.send(
      new DescribeTaskDefinitionCommand({ taskDefinition: arn })
    )
    expect(taskDefinition?.containerDefinitions?.[0].image).toBe(NEW_IMAGE)
    const green = await service(s, 'web-green')
    expect([green.taskDefinition, green.desiredCount]).toEqual([arn, 2])
    const blue = await service(s, 'web-blue')
    expect([blue.taskDefinition, blue.desiredCount]).toEqual([s.taskDefinitionArn, 2])
    expect(await greenWeight(s, s.listenerArn)).toBe(100)
    expect(await greenWeight(s, s.rules.api)).toBe(100)
    expect((await readTags(s.aws, s.rules.api))['ecs-canary:revision']).toBe(arn)
  })

  it('writes no traffic until the idle service runs the revision and its targets are healthy', async () => {
    const s = await stack()
    const file = describedTaskDefinition({ accountId: s.account.accountId, image: NEW_IMAGE })

    const result = await deploy(
      s,
      { 'task-definition': TASK_FILE, stages: '100:1s' },
      { files: { [TASK_FILE]: file } }
    )

    expect(result.code).toBe(0)
    const ops = operations()
    const firstShift = ops.findIndex(op => TRAFFIC_WRITES.has(op))
    expect(firstShift).toBeGreaterThan(0)
    const beforeShift = ops.slice(0, firstShift)
    expect(beforeShift.filter(op => op === 'RegisterTaskDefinition')).toHaveLength(1)
    expect(beforeShift).toContain('UpdateService')
    // Stable means read back after the update, then the idle group's health, then 1%.
    const update = beforeShift.indexOf('UpdateService')
    expect(beforeShift.slice(update)).toEqual(
      expect.arrayContaining(['DescribeServices', 'DescribeTargetHealth'])
    )
  })

  it('refuses a file of another family before any write', async () => {
    const s = await stack()
    const file = describedTaskDefinition({
      accountId: s.account.accountId,
      family: 'billing',
      image: NEW_IMAGE
    })

    const result = await deploy(
      s,
      { 'task-definition': TASK_FILE },
      { files: { [TASK_FILE]: file } }
    )

    expect(result.code).toBe(1)
    expect(result.outputs.result).toBe('unchanged')
    expect(result.outputs.reason).toContain("'billing'")
    expect(result.outputs.reason).toContain('allow-family-change: true')
    expect(e2e.proxy.writes()).toBe(0)
    expect((await service(s, 'web-green')).taskDefinition).toBe(s.taskDefinitionArn)
  })

  it('names the input when the file does not exist, and writes nothing', async () => {
    const s = await stack()

    const result = await deploy(s, { 'task-definition': 'deploy/missing.json' })

    expect(result.code).toBe(1)
    expect(result.outputs.reason).toMatch(/task-definition/)
    expect(result.outputs.reason).toContain("'deploy/missing.json' is no file")
    expect(e2e.proxy.writes()).toBe(0)
  })
})

describe('shipping a registered revision', () => {
  it('uses family:revision as is and scales the old service down after promotion', async () => {
    const s = await stack()
    const arn = await registerRevision(s, s.taskDefinitionFamily)

    const result = await deploy(s, { 'task-definition': 'web:2', 'after-promotion': 'scale-down' })

    expect(result.code).toBe(0)
    expect(result.outputs).toMatchObject({
      result: 'promoted',
      'task-definition-arn': arn,
      'live-service': 'web-green',
      'idle-service': 'web-blue'
    })
    expect(e2e.proxy.counts().RegisterTaskDefinition).toBeUndefined()
    const green = await service(s, 'web-green')
    expect([green.taskDefinition, green.desiredCount]).toEqual([arn, 2])
    expect((await service(s, 'web-blue')).desiredCount).toBe(0)
  })

  it('takes an ARN of another family when allow-family-change is true', async () => {
    const s = await stack()
    const arn = await registerRevision(s, 'web-v2')

    const result = await deploy(s, {
      'task-definition': arn,
      'allow-family-change': 'true',
      stages: '100:1s'
    })

    expect(result.code).toBe(0)
    expect(result.outputs['task-definition-arn']).toBe(arn)
    expect(e2e.proxy.counts().RegisterTaskDefinition).toBeUndefined()
    expect((await service(s, 'web-green')).taskDefinition).toBe(arn)
  })
})

describe('an idle service that never becomes stable', () => {
  it('fails within service-timeout without touching the rules', async () => {
    // desiredCount 3 is more than moto runs: the deployment stays IN_PROGRESS for good.
    const s = await stack({ services: { green: { desiredCount: 3 } } })
    const arn = await registerRevision(s, s.taskDefinitionFamily)

    const result = await deploy(s, {
      'task-definition': arn,
      'canary-capacity': 'keep',
      'service-timeout': '2s'
    })

    expect(result.code).toBe(1)
    expect(result.outputs.result).toBe('unchanged')
    expect(result.outputs.reason).toContain('web-green is not ready for traffic, so none was moved')
    expect(result.outputs.reason).toContain('did not become stable within 2s')
    expect(result.outputs.reason).toMatch(/look at .*events/i)
    expect(operations().filter(op => TRAFFIC_WRITES.has(op))).toEqual([])
    expect(await greenWeight(s, s.listenerArn)).toBe(0)
    expect(await greenWeight(s, s.rules.api)).toBe(0)
    expect((await readTags(s.aws, s.rules.api))['ecs-canary:phase']).toBe('rolled-back')
    expect(result.durationMs).toBeLessThan(10_000)
  })
})
