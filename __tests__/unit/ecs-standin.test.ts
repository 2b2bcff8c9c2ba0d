// The e2e stand-in for a canary's ECS tasks (support/ecs-standin.ts) is checked against the ECS
// rules it cites (support/ecs-rules.ts, support/README.md's health proxy table): it never shows
// failedTasks on a COMPLETED deployment, its crash loop shows a dip, a STOPPED task with its
// stop code and exit code, an event, and the targets draining → initial → healthy.
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals'
import { EcsTimeline } from '../e2e/support/ecs-standin.js'
import { EcsRules, stoppedTaskViolations } from '../e2e/support/ecs-rules.js'

const CLUSTER = 'arn:aws:ecs:us-east-1:123456789012:cluster/canary'
const TASKDEF = 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:2'
const CRASH = {
  stopCode: 'EssentialContainerExited',
  stoppedReason: 'Essential container in task exited',
  exitCode: 1
}

/** moto's DescribeServices answer for the canary: a COMPLETED deployment, all tasks running. */
function motoAnswer(desired = 2): string {
  return JSON.stringify({
    services: [
      {
        serviceName: 'web-green',
        desiredCount: desired,
        runningCount: desired,
        deployments: [
          {
            id: 'ecs-svc/1',
            status: 'PRIMARY',
            rolloutState: 'COMPLETED',
            failedTasks: 0,
            runningCount: desired,
            taskDefinition: TASKDEF
          }
        ],
        events: []
      }
    ]
  })
}

let timeline: EcsTimeline
beforeEach(() => {
  jest.useFakeTimers({ now: Date.UTC(2026, 11, 7, 19, 0, 0) })
  timeline = new EcsTimeline({
    clusterArn: CLUSTER,
    serviceName: 'web-green',
    ips: ['10.0.1.5', '10.0.1.6']
  })
})
afterEach(() => {
  timeline.close()
  jest.useRealTimers()
})

function services() {
  const answer = timeline.hooks().DescribeServices({ request: '{}', answer: motoAnswer() })!
  return {
    answer,
    svc: (JSON.parse(answer) as { services: Record<string, unknown>[] }).services[0] as {
      runningCount: number
      desiredCount: number
      deployments: { failedTasks: number; rolloutState: string }[]
      events: { message: string }[]
    }
  }
}

describe('EcsTimeline, a crash loop (exit 1 every 8 s, replaced in 4 s)', () => {
  it('keeps every documented rule at every second of it', () => {
    const rules = new EcsRules()
    const stopCrashing = timeline.crashEvery(8_000, CRASH)
    for (let s = 0; s < 40; s++) {
      const { answer, svc } = services()
      expect(rules.services(answer)).toEqual([])
      // ecs-failed-tasks: never failedTasks > 0 on a COMPLETED deployment.
      expect(
        svc.deployments.every(d => d.rolloutState !== 'COMPLETED' || d.failedTasks === 0)
      ).toBe(true)
      const listed = timeline.hooks().ListTasks({
        request: JSON.stringify({ serviceName: 'web-green', desiredStatus: 'STOPPED' }),
        answer: '{"taskArns":[]}'
      })
      const arns = (JSON.parse(listed!) as { taskArns: string[] }).taskArns
      const described =
        timeline.hooks().DescribeTasks({
          request: JSON.stringify({ tasks: arns }),
          answer: '{"tasks":[]}'
        }) ?? '{"tasks":[]}'
      expect(stoppedTaskViolations(described)).toEqual([])
      jest.advanceTimersByTime(1_000)
    }
    stopCrashing()
  })

  it('shows the dip, the stopped task with its stop code and exit code, the event, and the targets', () => {
    timeline.stop(CRASH)
    const { svc } = services()
    expect(svc.runningCount).toBe(1)
    expect(svc.desiredCount).toBe(2)
    expect(svc.events[0].message).toMatch(
      /^\(service web-green\) has stopped 1 running tasks: \(task \w+\)\.$/
    )
    const listed = timeline.hooks().ListTasks({
      request: JSON.stringify({ serviceName: 'web-green', desiredStatus: 'STOPPED' }),
      answer: '{}'
    })!
    const arns = (JSON.parse(listed) as { taskArns: string[] }).taskArns
    expect(arns).toHaveLength(1)
    const task = (
      JSON.parse(
        timeline.hooks().DescribeTasks({ request: JSON.stringify({ tasks: arns }), answer: '{}' })!
      ) as { tasks: Record<string, unknown>[] }
    ).tasks[0]
    expect(task).toMatchObject({
      lastStatus: 'STOPPED',
      stopCode: 'EssentialContainerExited',
      stoppedReason: 'Essential container in task exited',
      taskDefinitionArn: TASKDEF,
      containers: [{ name: 'web', exitCode: 1 }]
    })
    expect(timeline.targets().map(t => t.state)).toEqual(['draining', 'healthy'])
    jest.advanceTimersByTime(4_000)
    expect(services().svc.runningCount).toBe(2)
    expect(
      timeline
        .targets()
        .map(t => t.state)
        .sort()
    ).toEqual(['healthy', 'initial'])
    jest.advanceTimersByTime(2_000)
    expect(timeline.targets().map(t => t.state)).toEqual(['healthy', 'healthy'])
  })

  it('answers ListTasks only for the STOPPED tasks of its own service', () => {
    timeline.stop(CRASH)
    const list = (request: object) =>
      timeline.hooks().ListTasks({ request: JSON.stringify(request), answer: '{}' })
    expect(list({ serviceName: 'web-blue', desiredStatus: 'STOPPED' })).toBeUndefined()
    expect(list({ serviceName: 'web-green' })).toBeUndefined()
  })
})

describe('EcsTimeline, stops that are not the canary’s', () => {
  it('a scale-in lowers the desired count with the running one: no dip', () => {
    timeline.stop({
      stopCode: 'ServiceSchedulerInitiated',
      stoppedReason: 'Scaling activity initiated by (deployment ecs-svc/1)',
      replacement: 'none'
    })
    const { svc } = services()
    expect([svc.runningCount, svc.desiredCount]).toEqual([1, 1])
  })

  it('a maintenance replacement starts the new task first, then stops the old one', () => {
    timeline.stop({
      stopCode: 'ServiceSchedulerInitiated',
      stoppedReason: 'Task is being replaced due to maintenance',
      replacement: 'first'
    })
    expect(services().svc.runningCount).toBe(3)
    expect(timeline.targets().map(t => t.state)).toEqual(['healthy', 'healthy', 'initial'])
    jest.advanceTimersByTime(4_000)
    expect(services().svc.runningCount).toBe(2)
    expect(timeline.targets().map(t => t.state)).toEqual(['draining', 'healthy', 'healthy'])
  })
})

describe('EcsRules', () => {
  it('catches failedTasks on a COMPLETED deployment and a COMPLETED deployment turning FAILED', () => {
    const rules = new EcsRules()
    const answer = (rolloutState: string, failedTasks: number) =>
      JSON.stringify({
        services: [
          { deployments: [{ id: 'ecs-svc/1', rolloutState, failedTasks, runningCount: 1 }] }
        ]
      })
    expect(rules.services(answer('COMPLETED', 0))).toEqual([])
    expect(rules.services(answer('COMPLETED', 1))[0]).toMatch(/^ecs-failed-tasks: /)
    expect(rules.services(answer('FAILED', 0))).toEqual([
      'ecs-rollout-failed: deployment ecs-svc/1 went COMPLETED → FAILED'
    ])
  })
})
