// The health gate (src/engine/gates/health.ts) around its judge: its name, what a pass and a target
// failure read exactly, and the stop reasons' deadline, which never outlives the read.
import { afterEach, describe, expect, it, jest } from '@jest/globals'
import { HealthGate } from '../../src/engine/gates/health.js'
import type {
  CanaryService,
  HealthReader,
  StoppedTask,
  TargetState
} from '../../src/engine/health.js'
import { FakeClock } from './fakes.js'

const TASKDEF = 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:7'

function service(failedTasks = 0): CanaryService {
  return {
    name: 'web-green',
    desiredCount: 1,
    runningCount: 1,
    deployments: [{ id: 'ecs-svc/1', status: 'PRIMARY', taskDefinition: TASKDEF, failedTasks }],
    events: []
  }
}

/** Answers what the test sets; `stopped` is what stoppedTasks() resolves to. */
class Reader implements HealthReader {
  target: TargetState = { id: 'a:80', state: 'healthy' }
  svc = service()
  stopped: Promise<StoppedTask[]> = Promise.resolve([])
  async targets() {
    return [this.target]
  }
  async canary() {
    return this.svc
  }
  stoppedTasks() {
    return this.stopped
  }
}

const LOSING =
  'health gate: the canary service web-green is losing tasks: 1 task(s) of deployment ecs-svc/1 (web:7) failed (failedTasks 0 → 1)'

afterEach(() => {
  jest.useRealTimers()
})

describe('HealthGate readings', () => {
  it('is named health', () => {
    expect(new HealthGate(new Reader(), new FakeClock()).name).toBe('health')
  })

  it('passes with an empty reason and the judge’s heartbeat line', async () => {
    const reading = await new HealthGate(new Reader(), new FakeClock()).read()
    expect(reading).toEqual({ verdict: 'pass', reason: '', detail: 'health OK' })
  })

  it('fails on targets with the judge’s reason alone', async () => {
    const reader = new Reader()
    reader.target = { id: 'a:80', state: 'unhealthy', reason: 'Target.Timeout' }
    const gate = new HealthGate(reader, new FakeClock())
    await gate.read()
    expect(await gate.read()).toEqual({
      verdict: 'fail',
      reason:
        'health gate: 1 of 1 canary target(s) unhealthy on two reads in a row: a:80 unhealthy Target.Timeout',
      detail: 'health: 0/1 targets healthy · 1/1 tasks running',
      evidence: { gate: 'health' }
    })
  })

  it('keeps the events of the stage as evidence, the first second of the stage included', async () => {
    const reader = new Reader()
    reader.target = { id: 'a:80', state: 'unhealthy', reason: 'Target.Timeout' }
    const started = Date.parse('2026-12-07T10:00:05.600Z')
    reader.svc = {
      ...service(),
      events: [
        { at: '2026-12-07T10:00:05Z', message: 'in the same second as the stage began, after it' },
        { at: '2026-12-07T10:00:04Z', message: 'the second before the stage' }
      ]
    }
    const gate = new HealthGate(reader, new FakeClock())
    const window = { stageStartedAt: started, now: started + 2_000 }
    await gate.read(window)
    const reading = await gate.read(window)
    expect(reading.evidence).toEqual({
      gate: 'health',
      events: [
        { at: '2026-12-07T10:00:05Z', message: 'in the same second as the stage began, after it' }
      ]
    })
  })

  it('adds nothing to a task failure when the stop reasons do not come in time', async () => {
    const reader = new Reader()
    const gate = new HealthGate(reader, new FakeClock(), {
      startGraceMs: 120_000,
      stopReasonsMs: 5
    })
    await gate.read()
    reader.svc = service(1)
    reader.stopped = new Promise(() => undefined)
    expect((await gate.read()).reason).toBe(LOSING)
  })

  it('adds nothing to a task failure when no task has stopped', async () => {
    const reader = new Reader()
    const gate = new HealthGate(reader, new FakeClock())
    await gate.read()
    reader.svc = service(1)
    expect((await gate.read()).reason).toBe(LOSING)
  })

  it('leaves no timer behind once the stop reasons are in', async () => {
    jest.useFakeTimers()
    const reader = new Reader()
    const gate = new HealthGate(reader, new FakeClock())
    await gate.read()
    reader.svc = service(1)
    reader.stopped = Promise.resolve([
      { id: '0f1e2d', taskDefinition: TASKDEF, stoppedReason: 'OutOfMemory', containers: [] }
    ])
    const reading = await gate.read()
    expect(reading.reason).toBe(
      `${LOSING}. Stopped tasks: task 0f1e2d (web:7) stopped: OutOfMemory`
    )
    expect(jest.getTimerCount()).toBe(0)
  })
})
