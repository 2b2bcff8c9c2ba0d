import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals'
import { EcsTimeline } from './support/ecs-standin.js'
import type { StopSpec } from './support/ecs-standin.js'
import { provisionStack, readTags } from './support/fixture.js'
import type { Stack } from './support/fixture.js'
import { useE2e } from './support/harness.js'
import { startHealthProxy, targetHealth } from './support/health-proxy.js'
import type { FakeTarget, HealthProxy } from './support/health-proxy.js'
import {
  deployInputs,
  firstWeightWrite,
  pairWeights,
  waitUntilAllOn
} from './support/rollout-helpers.js'
import { runAction, startAction } from './support/runner.js'
import type { RunContext } from './support/runner.js'

// Issue 23: a crashing canary is caught from what ECS really shows while a stage bakes (its
// deployment COMPLETED, failedTasks 0): running-count dips, STOPPED tasks with stop codes and
// exit codes, "has stopped 1 running tasks" events, targets draining → initial → healthy. moto
// shows none of it (its services run no tasks), so EcsTimeline answers for the canary service,
// and the health proxy checks every ECS answer against the documented rules (strict stand-in on).
const e2e = useE2e()
let health: HealthProxy | undefined
const stacks: Stack[] = []
const timelines: EcsTimeline[] = []
const figures: string[] = []
const HOOKED = ['DescribeTargetHealth', 'DescribeServices', 'ListTasks', 'DescribeTasks']

beforeAll(async () => {
  health = await startHealthProxy(e2e.proxy.url)
})
afterEach(() => {
  for (const op of HOOKED) health?.on(op, undefined)
  timelines.splice(0).forEach(t => t.close())
  stacks.splice(0).forEach(s => s.aws.destroy())
})

/** Every ECS answer the action got modelled ECS as documented (support/ecs-rules.ts). */
function expectNoViolations(): void {
  expect(health!.violations()).toEqual([])
}
afterAll(async () => {
  await health?.close()
  if (figures.length > 0) console.log(`crash loop → traffic restored:\n${figures.join('\n')}`)
})

function through(s: Stack): RunContext {
  return { ...e2e.context(s), awsEndpoint: health!.url }
}

async function stack(): Promise<Stack> {
  const s = await provisionStack()
  stacks.push(s)
  return s
}

/** The canary's ECS tasks and targets, answered through the health proxy from now on. */
function canaryTimeline(s: Stack): EcsTimeline {
  const timeline = new EcsTimeline({
    clusterArn: s.clusterArn,
    serviceName: s.services[s.idle].name,
    ips: s.targetGroups[s.idle].targetIps,
    initialMs: 1_500,
    drainingMs: 3_000
  })
  timelines.push(timeline)
  for (const [op, hook] of Object.entries(timeline.hooks())) health!.on(op, hook)
  health!.on(
    'DescribeTargetHealth',
    targetHealth(s.targetGroups[s.idle].arn, () => timeline.targets())
  )
  return timeline
}

const CRASH: StopSpec = {
  stopCode: 'EssentialContainerExited',
  stoppedReason: 'Essential container in task exited',
  exitCode: 1,
  replaceMs: 4_000
}

describe('a canary that crashes every ~8 s (exit code 1, replaced in ~4 s), alarms OK, no metrics', () => {
  it.each([1_000, 2_000])(
    'is rolled back at the first read after the first stop (poll %i ms), naming the task, its stop code and exit code',
    async pollMs => {
      const s = await stack()
      const action = startAction(through(s), {
        inputs: deployInputs(s, { stages: '1:1s,5:60s,100:1s', 'poll-interval': `${pollMs}ms` })
      })
      await action.waitForOutput(/^Stage 2\/3: 5% on web-green/)
      const timeline = canaryTimeline(s)
      timeline.crashEvery(8_000, CRASH)
      const rules = [s.listenerArn, s.rules.api]
      const restoredAt = await waitUntilAllOn(s, 'blue', rules, { timeoutMs: 60_000 })
      const result = await action.done

      const first = timeline.stops[0]
      expect(result.outputs.result).toBe('rolled-back')
      expect(result.code).toBe(1)
      expect(result.outputs.reason).toMatch(
        new RegExp(
          `health gate: the canary service ${s.services[s.idle].name} stopped 1 task\\(s\\) of its own fault .*task ${first.taskId} \\(web:\\d+\\) stopped: EssentialContainerExited, Essential container in task exited, web exit code 1`
        )
      )
      for (const arn of rules) {
        expect(await pairWeights(s, arn)).toEqual({ blue: 100, green: 0 })
        expect((await readTags(s.aws, arn))['ecs-canary:phase']).toBe('rolled-back')
      }
      // The job summary says why (issue 26), from the tasks and events the gate read.
      const why = result.summary.slice(result.summary.indexOf('#### Why it rolled back'))
      expect(why).toMatch(/^#### Why it rolled back\n/)
      expect(why).toContain('Stopped by the health gate (the canary service and its targets).')
      expect(why).toContain(
        `| ${first.taskId} | EssentialContainerExited | Essential container in task exited | web 1 |`
      )
      expect(why).toMatch(
        new RegExp(
          `- \\d\\d:\\d\\d:\\d\\d UTC: \\(service ${s.services[s.idle].name}\\) has stopped 1 running tasks: \\(task ${first.taskId}\\)\\.`
        )
      )
      // Caught at the first read of the canary service after the stop: no second poll round
      // before the restore. In seconds ("one poll + 2 s"), bench/results.md's crash rows.
      const restore = firstWeightWrite(e2e.proxy.calls(), first.at)
      const reads = health!
        .rewritten()
        .filter(r => r.operation === 'DescribeServices' && r.at >= first.at && r.at <= restore.at)
      expect(reads).toHaveLength(1)
      const ms = restoredAt - first.at
      figures.push(`poll ${pollMs} ms: all traffic on live ${ms} ms after the first stop`)
      expectNoViolations()
    }
  )
})

describe('stops that are not the canary’s fault, during a bake', () => {
  const cases: [string, StopSpec][] = [
    [
      'a scheduler-initiated stop (scale-in)',
      {
        stopCode: 'ServiceSchedulerInitiated',
        stoppedReason: 'Scaling activity initiated by (deployment ecs-svc/1)',
        exitCode: 143,
        replacement: 'none'
      }
    ],
    [
      'a Spot interruption',
      {
        stopCode: 'SpotInterruption',
        stoppedReason: 'Your Spot Task was interrupted.',
        exitCode: 143,
        replaceMs: 3_000
      }
    ],
    [
      'a maintenance replacement (draining → initial → healthy)',
      {
        stopCode: 'ServiceSchedulerInitiated',
        stoppedReason: 'Task is being retired due to maintenance',
        exitCode: 143,
        replacement: 'first',
        replaceMs: 2_000
      }
    ]
  ]
  it.each(cases)('%s: no rollback, the rollout promotes', async (_what, spec) => {
    const s = await stack()
    const action = startAction(through(s), {
      inputs: deployInputs(s, { stages: '1:1s,50:8s,100:1s', 'poll-interval': '500ms' })
    })
    await action.waitForOutput(/^Stage 2\/3: 50% on web-green/)
    const timeline = canaryTimeline(s)
    const before = health!.rewritten().length
    timeline.stop(spec)
    const seen = new Set<string>()
    const watch = setInterval(() => {
      for (const t of timeline.targets()) seen.add(t.state)
    }, 100)
    const result = await action.done
    clearInterval(watch)

    expect(result.outputs.result).toBe('promoted')
    expect(result.code).toBe(0)
    expect(await pairWeights(s, s.rules.api)).toEqual({ blue: 0, green: 100 })
    // The stop was shown and read: the action listed and described the stopped task.
    const read = health!
      .rewritten()
      .slice(before)
      .map(r => r.operation)
    expect(read).toContain('DescribeTasks')
    expect(seen.has('draining')).toBe(true)
    expectNoViolations()
  })
})

describe('reconcile on a paused canary whose task is being replaced', () => {
  it('writes nothing while the replacement target is initial', async () => {
    const s = await stack()
    const paused = await runAction(e2e.context(s), {
      inputs: deployInputs(s, { stages: '1:1s,5:pause,100:1s' })
    })
    expect(paused.outputs.result).toBe('paused')
    const [kept] = s.targetGroups[s.idle].targetIps
    const replacing: FakeTarget[] = [
      { id: kept, port: 8080, state: 'draining', reason: 'Target.DeregistrationInProgress' },
      { id: '10.0.77.9', port: 8080, state: 'initial', reason: 'Elb.InitialHealthChecking' }
    ]
    health!.on(
      'DescribeTargetHealth',
      targetHealth(s.targetGroups[s.idle].arn, () => replacing)
    )
    e2e.proxy.reset()

    const result = await runAction(through(s), {
      inputs: {
        cluster: s.clusterName,
        services: `${s.services.blue.name} ${s.services.green.name}`,
        'listener-rules': [s.listenerArn, s.rules.api].join('\n'),
        mode: 'reconcile',
        'max-pause': '24h'
      }
    })

    expect(result.code).toBe(0)
    expect(e2e.proxy.writes()).toBe(0)
    expect(result.stdout).toMatch(/targets not ready yet/)
    expect(await pairWeights(s, s.rules.api)).toEqual({ blue: 95, green: 5 })
    expectNoViolations()
  })
})
