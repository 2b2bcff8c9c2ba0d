import { randomInt } from 'node:crypto'
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals'
import { provisionStack, readTags } from './support/fixture.js'
import type { Stack } from './support/fixture.js'
import { useE2e } from './support/harness.js'
import {
  serviceChange,
  startHealthProxy,
  stoppedTask,
  targetHealth
} from './support/health-proxy.js'
import type { FakeTarget, HealthProxy } from './support/health-proxy.js'
import {
  deployInputs,
  firstWeightWrite,
  pairWeights,
  waitUntilAllOn
} from './support/rollout-helpers.js'
import { startAction } from './support/runner.js'
import type { RunContext } from './support/runner.js'

// Issue 13: the health gate sees a broken canary from ELB and ECS within seconds, with every
// alarm OK and no metrics at all. moto's ip targets are always healthy and its deployments never
// change, so a proxy in front of the fault proxy rewrites those answers.
const e2e = useE2e()
let health: HealthProxy | undefined
const stacks: Stack[] = []
const POLL_MS = 1_000
const figures: string[] = []

beforeAll(async () => {
  health = await startHealthProxy(e2e.proxy.url)
})
afterEach(() => {
  for (const op of ['DescribeTargetHealth', 'DescribeServices', 'ListTasks', 'DescribeTasks']) {
    health?.on(op, undefined)
  }
  stacks.splice(0).forEach(s => s.aws.destroy())
})
afterAll(async () => {
  await health?.close()
  if (figures.length > 0) console.log(`health gate → traffic restored:\n${figures.join('\n')}`)
})

function through(s: Stack): RunContext {
  return { ...e2e.context(s), awsEndpoint: health!.url }
}

async function stack(): Promise<Stack> {
  const s = await provisionStack()
  stacks.push(s)
  return s
}

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms))

/** The canary's registered targets as moto has them, in a given state. */
function canaryTargets(s: Stack, state: FakeTarget['state'], extra: Partial<FakeTarget> = {}) {
  return s.targetGroups[s.idle].targetIps.map(id => ({ id, port: 8080, state, ...extra }))
}

/** Starts a deploy with a long 5% stage and waits until it bakes there, plus a random moment. */
async function bakingAtFivePercent(s: Stack) {
  const action = startAction(through(s), {
    inputs: deployInputs(s, {
      stages: '1:1s,5:30s,100:1s',
      'poll-interval': `${POLL_MS / 1000}s`
    })
  })
  await action.waitForOutput(/^Stage 2\/3: 5% on web-green/)
  await sleep(randomInt(100, 100 + 2 * POLL_MS))
  expect(await pairWeights(s, s.rules.api)).toEqual({ blue: 95, green: 5 })
  return action
}

describe('the health gate while a stage bakes (poll-interval 1s, alarms OK, no metrics)', () => {
  it('rolls back canary targets that turn unhealthy, naming them with their reason codes', async () => {
    const s = await stack()
    const action = await bakingAtFivePercent(s)
    const rules = [s.listenerArn, s.rules.api]
    let unhealthyReads = 0
    health!.on(
      'DescribeTargetHealth',
      targetHealth(s.targetGroups[s.idle].arn, () => {
        unhealthyReads++
        return canaryTargets(s, 'unhealthy', {
          reason: 'Target.ResponseCodeMismatch',
          description: 'Health checks failed with these codes: [502]'
        })
      })
    )
    const restoredAt = await waitUntilAllOn(s, 'blue', rules, { timeoutMs: 60_000 })
    const result = await action.done

    const reads = health!.rewritten().filter(r => r.operation === 'DescribeTargetHealth')
    expect(reads.length).toBeGreaterThanOrEqual(2)
    const secondRead = reads[1].at
    expect(result.outputs.result).toBe('rolled-back')
    expect(result.code).toBe(1)
    const [ip] = s.targetGroups[s.idle].targetIps
    expect(result.outputs.reason).toContain('unhealthy on two reads in a row')
    expect(result.outputs.reason).toContain(
      `${ip}:8080 unhealthy Target.ResponseCodeMismatch (Health checks failed with these codes: [502])`
    )
    for (const arn of rules) {
      expect(await pairWeights(s, arn)).toEqual({ blue: 100, green: 0 })
      expect((await readTags(s.aws, arn))['ecs-canary:phase']).toBe('rolled-back')
    }
    // The restore follows the second unhealthy read, with no third read first (the speed in
    // seconds is bench/results.md's "Canary unhealthy" rows).
    const restore = firstWeightWrite(e2e.proxy.calls(), reads[0].at)
    expect(reads.filter(r => r.at <= restore.at)).toHaveLength(2)
    const ms = restoredAt - secondRead
    figures.push(`targets unhealthy: rules 100% live ${ms} ms after the second unhealthy read`)
    expect(unhealthyReads).toBeGreaterThanOrEqual(2)
  })

  it('rolls back a canary whose tasks stop with exit code 1, naming the stopped task', async () => {
    const s = await stack()
    const action = await bakingAtFivePercent(s)
    const rules = [s.listenerArn, s.rules.api]
    const canary = s.services[s.idle].name
    health!.on(
      'DescribeServices',
      serviceChange(canary, () => ({
        runningCount: 1,
        event: `(service ${canary}) has stopped 1 running tasks: (task 0f1e2d).`
      }))
    )
    const stopped = stoppedTask(s.clusterArn, s.taskDefinitionArn, 1)
    health!.on('ListTasks', stopped.list)
    health!.on('DescribeTasks', stopped.describe)
    const restoredAt = await waitUntilAllOn(s, 'blue', rules, { timeoutMs: 60_000 })
    const result = await action.done

    const first = health!.rewritten().find(r => r.operation === 'DescribeServices')
    expect(first).toBeDefined()
    expect(result.outputs.result).toBe('rolled-back')
    expect(result.outputs.reason).toContain(
      `the canary service ${canary} stopped 1 task(s) of its own fault`
    )
    expect(result.outputs.reason).toMatch(
      /task \w+ \(web:1\) stopped: EssentialContainerExited, Essential container in task exited, web exit code 1/
    )
    for (const arn of rules) expect(await pairWeights(s, arn)).toEqual({ blue: 100, green: 0 })
    // One read sees the dip and the stopped task: the restore follows that read, with no second
    // read of the service first (issue 23; the speed in seconds is bench/results.md's crash rows).
    const restore = firstWeightWrite(e2e.proxy.calls(), first!.at)
    const reads = health!
      .rewritten()
      .filter(r => r.operation === 'DescribeServices' && r.at <= restore.at)
    expect(reads).toHaveLength(1)
    const ms = restoredAt - first!.at
    figures.push(`tasks stopped: rules 100% live ${ms} ms after the read that saw them`)
  })

  it('lets a task replaced for maintenance through: one target draining, a new one initial then healthy', async () => {
    const s = await stack()
    const [kept, replaced] = s.targetGroups[s.idle].targetIps
    const fresh = '10.0.12.99'
    const phases: FakeTarget[][] = [
      [
        { id: kept, port: 8080, state: 'healthy' },
        { id: replaced, port: 8080, state: 'draining', reason: 'Target.DeregistrationInProgress' }
      ],
      [
        { id: kept, port: 8080, state: 'healthy' },
        { id: replaced, port: 8080, state: 'draining', reason: 'Target.DeregistrationInProgress' },
        { id: fresh, port: 8080, state: 'initial', reason: 'Elb.RegistrationInProgress' }
      ],
      [
        { id: kept, port: 8080, state: 'healthy' },
        { id: fresh, port: 8080, state: 'initial', reason: 'Elb.InitialHealthChecking' }
      ],
      [
        { id: kept, port: 8080, state: 'healthy' },
        { id: fresh, port: 8080, state: 'healthy' }
      ]
    ]
    const action = startAction(through(s), {
      inputs: deployInputs(s, { stages: '1:1s,50:8s,100:1s', 'poll-interval': '500ms' })
    })
    await action.waitForOutput(/^Stage 2\/3: 50% on web-green/)
    let reads = 0
    health!.on(
      'DescribeTargetHealth',
      targetHealth(s.targetGroups[s.idle].arn, () => phases[Math.min(3, Math.floor(reads++ / 3))])
    )
    const result = await action.done

    expect(result.outputs.result).toBe('promoted')
    expect(result.code).toBe(0)
    // Every phase of the replacement was read at least twice, so two unhealthy-looking reads
    // in a row would have been seen.
    expect(reads).toBeGreaterThanOrEqual(10)
    expect(await pairWeights(s, s.rules.api)).toEqual({ blue: 0, green: 100 })
  })
})
