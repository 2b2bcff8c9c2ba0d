// Issue 23: the health gate catches a crashing canary from what ECS really shows while a stage
// bakes (a COMPLETED deployment): running-count dips, "has stopped N running tasks" events and
// STOPPED tasks with their stop codes. failedTasks and FAILED never move then.
import { describe, expect, it } from '@jest/globals'
import { HealthGate } from '../../src/engine/gates/health.js'
import { HealthJudge } from '../../src/engine/health.js'
import type {
  CanaryService,
  HealthReader,
  StoppedTask,
  TargetState
} from '../../src/engine/health.js'
import { isCanaryFault } from '../../src/engine/stops.js'
import { FakeClock } from './fakes.js'

const TASKDEF = 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:7'
const START = Date.UTC(2026, 10, 28, 12, 0, 0)
const TARGETS: TargetState[] = [{ id: 'a:80', state: 'healthy' }]

function service(over: Partial<CanaryService> = {}): CanaryService {
  return {
    name: 'web-green',
    desiredCount: 1,
    runningCount: 1,
    deployments: [
      {
        id: 'ecs-svc/1',
        status: 'PRIMARY',
        taskDefinition: TASKDEF,
        failedTasks: 0,
        rolloutState: 'COMPLETED'
      }
    ],
    events: [],
    ...over
  }
}

function stop(over: Partial<StoppedTask> = {}): StoppedTask {
  return {
    id: '0f1e2d',
    taskDefinition: TASKDEF,
    stopCode: 'EssentialContainerExited',
    stoppedReason: 'Essential container in task exited',
    stoppedAt: START + 5_000,
    containers: [{ name: 'app', exitCode: 1 }],
    ...over
  }
}

class Reader implements HealthReader {
  svc = service()
  stopped: StoppedTask[] = []
  stoppedCalls = 0
  failStopped?: Error
  async targets() {
    return TARGETS
  }
  async canary() {
    return this.svc
  }
  async stoppedTasks() {
    this.stoppedCalls++
    if (this.failStopped) throw this.failStopped
    return this.stopped
  }
}

const STOPPED_EVENT = {
  at: '2026-11-28T12:00:06Z',
  message: '(service web-green) has stopped 1 running tasks: (task 0f1e2d).'
}

describe('HealthGate and stopped tasks', () => {
  it('fails at the read that sees a dip and the crashed task, naming task, stop code and exit code', async () => {
    const reader = new Reader()
    const clock = new FakeClock(START)
    const gate = new HealthGate(reader, clock)
    expect((await gate.read()).verdict).toBe('pass')
    expect(reader.stoppedCalls).toBe(0)
    clock.t += 6_000
    reader.svc = service({ runningCount: 0, events: [STOPPED_EVENT] })
    reader.stopped = [stop()]
    const reading = await gate.read()
    expect(reader.stoppedCalls).toBe(1)
    expect(reading.verdict).toBe('fail')
    expect(reading.reason).toBe(
      'health gate: the canary service web-green stopped 1 task(s) of its own fault (0/1 tasks running): task 0f1e2d (web:7) stopped: EssentialContainerExited, Essential container in task exited, app exit code 1. Latest events of web-green: 2026-11-28T12:00:06Z (service web-green) has stopped 1 running tasks: (task 0f1e2d).'
    )
  })

  it('reads the stopped tasks on a new "has stopped" event even when the count is back', async () => {
    const reader = new Reader()
    const clock = new FakeClock(START)
    const gate = new HealthGate(reader, clock)
    await gate.read()
    clock.t += 6_000
    reader.svc = service({ events: [STOPPED_EVENT] })
    reader.stopped = [stop()]
    expect((await gate.read()).verdict).toBe('fail')
    // The same event again points at nothing new: no more ECS reads for it.
    reader.svc = service({ events: [STOPPED_EVENT] })
    await gate.read()
    expect(reader.stoppedCalls).toBe(1)
  })

  it.each([
    [
      'a scale-in',
      'ServiceSchedulerInitiated',
      'Scaling activity initiated by (deployment ecs-svc/1)'
    ],
    [
      'a maintenance replacement',
      'ServiceSchedulerInitiated',
      'Task is being replaced due to maintenance'
    ],
    ['a Spot interruption', 'SpotInterruption', 'Your Spot Task was interrupted.'],
    ['a StopTask by someone', 'UserInitiated', 'Task stopped by user'],
    ['a host going away', 'TerminationNotice', 'Task stopped due to host termination']
  ])('lets %s pass (%s)', async (_what, stopCode, stoppedReason) => {
    const reader = new Reader()
    const clock = new FakeClock(START)
    const gate = new HealthGate(reader, clock)
    await gate.read()
    clock.t += 6_000
    reader.svc = service({ runningCount: 0, events: [STOPPED_EVENT] })
    reader.stopped = [
      stop({ stopCode, stoppedReason, containers: [{ name: 'app', exitCode: 143 }] })
    ]
    const reading = await gate.read()
    expect(reader.stoppedCalls).toBe(1)
    expect(reading.verdict).toBe('pass')
  })

  it('ignores stops of another revision, from before the gate began, and ones judged already', () => {
    const judge = new HealthJudge(120_000)
    const dip = service({ runningCount: 0 })
    expect(judge.judge(TARGETS, service(), START).failure).toBeUndefined()
    const old = stop({ id: 'old', stoppedAt: START - 60_000 })
    const other = stop({ id: 'other', taskDefinition: TASKDEF.replace('web:7', 'web:6') })
    expect(judge.judge(TARGETS, dip, START + 6_000, [old, other]).failure).toBeUndefined()
    expect(judge.judge(TARGETS, dip, START + 7_000, [stop()]).failure?.kind).toBe('stopped')
    expect(judge.judge(TARGETS, dip, START + 8_000, [stop()]).failure).toBeUndefined()
  })

  it('is blind, not passing, at a stop whose tasks cannot be read: the error goes to the engine', async () => {
    const reader = new Reader()
    reader.failStopped = new Error(
      'ListTasks failed for service web-green: AccessDeniedException: not authorized to perform: ecs:ListTasks'
    )
    const gate = new HealthGate(reader, new FakeClock(START))
    expect((await gate.read()).verdict).toBe('pass')
    reader.svc = service({ runningCount: 0 })
    await expect(gate.read()).rejects.toThrow(
      'ListTasks failed for service web-green: AccessDeniedException'
    )
    // The stop stays unjudged: the next read asks again.
    await expect(gate.read()).rejects.toThrow('ListTasks failed')
    expect(reader.stoppedCalls).toBe(2)
  })
})

describe('isCanaryFault', () => {
  it.each([
    [stop(), true],
    [stop({ stopCode: 'TaskFailedToStart', stoppedReason: 'CannotPullContainerError: …' }), true],
    [
      stop({
        containers: [
          {
            name: 'app',
            exitCode: 137,
            reason: 'OutOfMemoryError: Container killed due to memory usage'
          }
        ]
      }),
      true
    ],
    [
      stop({
        stopCode: 'ServiceSchedulerInitiated',
        stoppedReason: 'Task failed container health checks'
      }),
      true
    ],
    [
      stop({
        stopCode: 'ServiceSchedulerInitiated',
        stoppedReason: 'Task failed ELB health checks in (target-group arn:…)'
      }),
      true
    ],
    [
      stop({
        stopCode: 'ServiceSchedulerInitiated',
        stoppedReason: 'Scaling activity initiated by (deployment ecs-svc/1)'
      }),
      false
    ],
    [
      stop({ stopCode: 'SpotInterruption', stoppedReason: 'Your Spot Task was interrupted.' }),
      false
    ],
    [stop({ stopCode: 'UserInitiated', stoppedReason: 'Task stopped by user' }), false],
    [stop({ stopCode: 'TerminationNotice', stoppedReason: 'Host terminated' }), false],
    [stop({ stopCode: undefined }), true],
    [stop({ stopCode: undefined, stoppedReason: 'Task stopped by user' }), false]
  ])('%o → %s', (task, fault) => {
    expect(isCanaryFault(task)).toBe(fault)
  })
})

describe('the running-below-desired rule during a scale-up', () => {
  it('gives a rising desired count the scale-up grace, and a steady one two minutes', () => {
    const judge = new HealthJudge(120_000, 600_000)
    const targets: TargetState[] = [
      { id: 'a:80', state: 'healthy' },
      { id: 'b:80', state: 'initial' },
      { id: 'c:80', state: 'initial' }
    ]
    expect(judge.judge(targets, service(), 0).failure).toBeUndefined()
    const rising = service({ desiredCount: 3, runningCount: 1 })
    expect(judge.judge(targets, rising, 1_000).failure).toBeUndefined()
    expect(judge.judge(targets, rising, 300_000).failure).toBeUndefined()
    expect(judge.judge(targets, rising, 602_000).failure?.reason).toContain(
      'only 1 of 3 tasks running for 601s, longer than a scale-up may take (600s)'
    )

    const steady = new HealthJudge(120_000, 600_000)
    const short = service({ desiredCount: 3, runningCount: 1 })
    expect(steady.judge(targets, short, 0).failure).toBeUndefined()
    expect(steady.judge(targets, short, 121_000).failure?.reason).toContain(
      'longer than a task start may take (120s)'
    )
  })
})
