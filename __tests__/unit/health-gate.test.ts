import { describe, expect, it } from '@jest/globals'
import { EveryGate } from '../../src/engine/gates/every.js'
import { HealthGate } from '../../src/engine/gates/health.js'
import { HealthJudge } from '../../src/engine/health.js'
import type {
  CanaryService,
  HealthReader,
  StoppedTask,
  TargetState
} from '../../src/engine/health.js'
import type { Gate, GateReading } from '../../src/engine/types.js'
import { FakeClock } from './fakes.js'

const GRACE = 120_000

function service(over: Partial<CanaryService> = {}): CanaryService {
  return {
    name: 'web-green',
    desiredCount: 2,
    runningCount: 2,
    deployments: [
      {
        id: 'ecs-svc/1',
        status: 'PRIMARY',
        taskDefinition: 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:7',
        failedTasks: 0,
        rolloutState: 'COMPLETED'
      }
    ],
    events: [
      { at: '2026-11-28T12:00:00Z', message: '(service web-green) has reached a steady state.' }
    ],
    ...over
  }
}

const healthy = (id: string): TargetState => ({ id, state: 'healthy' })
const unhealthy = (id: string): TargetState => ({
  id,
  state: 'unhealthy',
  reason: 'Target.ResponseCodeMismatch',
  description: 'Health checks failed with these codes: [502]'
})

describe('HealthJudge', () => {
  it('passes a canary whose targets are all healthy and whose tasks all run', () => {
    const verdict = new HealthJudge(GRACE).judge([healthy('a:80'), healthy('b:80')], service(), 0)
    expect(verdict).toEqual({ detail: 'health OK' })
  })

  it('fails a target unhealthy on two reads in a row, naming it with its reason code', () => {
    const judge = new HealthJudge(GRACE)
    const targets = [healthy('a:80'), unhealthy('b:80')]
    expect(judge.judge(targets, service(), 0).failure).toBeUndefined()
    const verdict = judge.judge(targets, service(), 1_000)
    expect(verdict.failure?.kind).toBe('targets')
    expect(verdict.failure?.reason).toBe(
      '1 of 2 canary target(s) unhealthy on two reads in a row: b:80 unhealthy Target.ResponseCodeMismatch (Health checks failed with these codes: [502])'
    )
  })

  it('forgives a single unhealthy read between healthy ones', () => {
    const judge = new HealthJudge(GRACE)
    expect(judge.judge([unhealthy('a:80'), healthy('b:80')], service(), 0).failure).toBeUndefined()
    expect(judge.judge([healthy('a:80'), healthy('b:80')], service(), 1).failure).toBeUndefined()
    expect(judge.judge([unhealthy('a:80'), healthy('b:80')], service(), 2).failure).toBeUndefined()
  })

  it('does not count a draining target, nor an initial one replacing it (maintenance)', () => {
    const judge = new HealthJudge(GRACE)
    const reads: TargetState[][] = [
      [
        healthy('a:80'),
        { id: 'b:80', state: 'draining', reason: 'Target.DeregistrationInProgress' }
      ],
      [healthy('a:80'), { id: 'b:80', state: 'draining' }, { id: 'c:80', state: 'initial' }],
      [
        healthy('a:80'),
        { id: 'b:80', state: 'unhealthy.draining' },
        { id: 'c:80', state: 'initial' }
      ],
      [healthy('a:80'), healthy('c:80')]
    ]
    reads.forEach((targets, i) => {
      expect(judge.judge(targets, service(), i * 50_000).failure).toBeUndefined()
    })
    expect(judge.judge(reads[1], service(), 200_000).detail).toBe(
      'health: 1/2 targets healthy, 1 initial, 1 draining · 2/2 tasks running'
    )
  })

  it('fails fewer targets than the desired count only once a task start has had its time', () => {
    const judge = new HealthJudge(GRACE)
    const one = [healthy('a:80')]
    expect(judge.judge(one, service(), 0).failure).toBeUndefined()
    expect(judge.judge(one, service(), GRACE).failure).toBeUndefined()
    const verdict = judge.judge(one, service(), GRACE + 1)
    expect(verdict.failure?.reason).toMatch(
      /^the canary's target group has 1 healthy or starting target\(s\), fewer than the 2 web-green needs, for 120s: a:80 healthy$/
    )
  })

  it('fails an empty target group once the grace is over, even with a desired count of 0', () => {
    const judge = new HealthJudge(GRACE)
    const svc = service({ desiredCount: 0, runningCount: 0 })
    judge.judge([], svc, 0)
    expect(judge.judge([], svc, GRACE + 1).failure?.reason).toContain(
      'fewer than the 1 web-green needs'
    )
  })

  it('fails at once when a deployment’s failedTasks rises, with the latest events', () => {
    const judge = new HealthJudge(GRACE)
    const targets = [healthy('a:80'), healthy('b:80')]
    const before = service()
    const deployment = { ...before.deployments[0], failedTasks: 1 }
    expect(judge.judge(targets, before, 0).failure).toBeUndefined()
    const verdict = judge.judge(targets, service({ deployments: [deployment] }), 1_000)
    expect(verdict.failure?.kind).toBe('tasks')
    expect(verdict.failure?.reason).toBe(
      'the canary service web-green is losing tasks: 1 task(s) of deployment ecs-svc/1 (web:7) failed (failedTasks 0 → 1). Latest events of web-green: 2026-11-28T12:00:00Z (service web-green) has reached a steady state.'
    )
  })

  it('takes failedTasks already there at the first read as the baseline', () => {
    const judge = new HealthJudge(GRACE)
    const svc = service({ deployments: [{ ...service().deployments[0], failedTasks: 3 }] })
    expect(judge.judge([healthy('a:80'), healthy('b:80')], svc, 0).failure).toBeUndefined()
    expect(judge.judge([healthy('a:80'), healthy('b:80')], svc, 1).failure).toBeUndefined()
  })

  it('fails a deployment the circuit breaker marked FAILED', () => {
    const failed = {
      ...service().deployments[0],
      rolloutState: 'FAILED',
      rolloutStateReason: 'ECS deployment circuit breaker: tasks failed to start.'
    }
    const verdict = new HealthJudge(GRACE).judge(
      [healthy('a:80'), healthy('b:80')],
      service({ deployments: [failed] }),
      0
    )
    expect(verdict.failure?.reason).toContain(
      'ECS marked deployment ecs-svc/1 (web:7) FAILED: ECS deployment circuit breaker: tasks failed to start.'
    )
  })

  it('fails running below desired only after the grace', () => {
    const judge = new HealthJudge(GRACE)
    const targets = [healthy('a:80'), healthy('b:80')]
    const short = service({ runningCount: 1 })
    expect(judge.judge(targets, short, 0).failure).toBeUndefined()
    expect(judge.judge(targets, short, GRACE).failure).toBeUndefined()
    expect(judge.judge(targets, service(), GRACE + 1).failure).toBeUndefined()
    expect(judge.judge(targets, short, GRACE + 2).failure).toBeUndefined()
    expect(judge.judge(targets, short, 2 * GRACE + 3).failure?.reason).toContain(
      'only 1 of 2 tasks running for 120s, longer than a task start may take (120s)'
    )
  })
})

class Reader implements HealthReader {
  targetReads: TargetState[][] = []
  svc = service()
  stopped: StoppedTask[] = []
  stoppedCalls = 0
  stoppedDelayMs = 0
  async targets() {
    return this.targetReads.shift() ?? [healthy('a:80'), healthy('b:80')]
  }
  async canary() {
    return this.svc
  }
  async stoppedTasks() {
    this.stoppedCalls++
    // Infinity: a call that never answers (no timer left behind to hold jest open).
    if (this.stoppedDelayMs === Infinity) await new Promise(() => undefined)
    await new Promise(resolve => setTimeout(resolve, this.stoppedDelayMs))
    return this.stopped
  }
}

describe('HealthGate', () => {
  it('adds the stopped tasks’ reasons and exit codes to a task failure', async () => {
    const reader = new Reader()
    const gate = new HealthGate(reader, new FakeClock())
    expect((await gate.read()).verdict).toBe('pass')
    reader.svc = service({ deployments: [{ ...service().deployments[0], failedTasks: 2 }] })
    reader.stopped = [
      {
        id: '0f1e2d',
        taskDefinition: 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:7',
        stoppedReason: 'Essential container in task exited',
        stopCode: 'EssentialContainerExited',
        containers: [{ name: 'app', exitCode: 1 }]
      }
    ]
    const reading = await gate.read()
    expect(reading.verdict).toBe('fail')
    expect(reading.reason).toMatch(
      /^health gate: the canary service web-green is losing tasks: 2 task/
    )
    expect(reading.reason).toContain(
      'Stopped tasks: task 0f1e2d (web:7) stopped: Essential container in task exited, app exit code 1'
    )
  })

  it('does not let slow stop reasons hold a rollback back', async () => {
    const reader = new Reader()
    // Stop reasons that never come: the reading must still arrive, after stopReasonsMs.
    reader.stoppedDelayMs = Infinity
    const gate = new HealthGate(reader, new FakeClock(), { startGraceMs: GRACE, stopReasonsMs: 20 })
    await gate.read()
    reader.svc = service({ deployments: [{ ...service().deployments[0], failedTasks: 1 }] })
    const reading = await gate.read()
    expect(reading.verdict).toBe('fail')
    expect(reading.reason).not.toContain('Stopped tasks')
  })

  it('still fails when the stopped tasks cannot be read, and says which call failed', async () => {
    const reader = new Reader()
    const gate = new HealthGate(reader, new FakeClock())
    await gate.read()
    reader.svc = service({ deployments: [{ ...service().deployments[0], failedTasks: 1 }] })
    reader.stoppedTasks = async () => {
      reader.stoppedCalls++
      throw new Error(
        'ListTasks failed for service web-green: AccessDeniedException: not authorized to perform: ecs:ListTasks'
      )
    }
    const reading = await gate.read()
    expect(reading.verdict).toBe('fail')
    expect(reader.stoppedCalls).toBe(1)
    expect(reading.reason).toMatch(/^health gate: the canary service web-green is losing tasks/)
    expect(reading.reason).toContain(
      ". ListTasks failed for service web-green: AccessDeniedException: not authorized to perform: ecs:ListTasks; the stopped tasks' reasons are not shown"
    )
  })

  it('asks for no stop reasons on a target failure', async () => {
    const reader = new Reader()
    reader.targetReads = [[unhealthy('a:80')], [unhealthy('a:80')]]
    const gate = new HealthGate(reader, new FakeClock())
    expect((await gate.read()).verdict).toBe('pass')
    const reading = await gate.read()
    expect(reading.reason).toContain('a:80 unhealthy Target.ResponseCodeMismatch')
    expect(reader.stoppedCalls).toBe(0)
  })

  it('lets a read error through, for the engine to count', async () => {
    const reader = new Reader()
    reader.targets = async () => {
      throw new Error('health gate: DescribeTargetHealth of target group web-green failed')
    }
    await expect(new HealthGate(reader, new FakeClock()).read()).rejects.toThrow(
      'DescribeTargetHealth'
    )
  })
})

describe('EveryGate', () => {
  class Counting implements Gate {
    readonly name = 'alarms'
    reads = 0
    async read(): Promise<GateReading> {
      this.reads++
      return { verdict: 'pass', reason: '', detail: `read ${this.reads}` }
    }
  }

  it('reads its gate at most once per interval and answers the last reading meanwhile', async () => {
    const clock = new FakeClock(0)
    const inner = new Counting()
    const gate = new EveryGate(inner, 5_000, clock)
    const window = { stageStartedAt: 0, now: 0 }
    for (const t of [0, 2_000, 4_999, 5_000, 9_000, 10_000]) {
      clock.t = t
      await gate.read({ ...window, now: t })
    }
    expect(inner.reads).toBe(3)
    expect(gate.name).toBe('alarms')
  })

  it('reads afresh when a new stage begins', async () => {
    const clock = new FakeClock(0)
    const inner = new Counting()
    const gate = new EveryGate(inner, 5_000, clock)
    await gate.read({ stageStartedAt: 0, now: 0 })
    clock.t = 1_000
    const reading = await gate.read({ stageStartedAt: 1_000, now: 1_000 })
    expect(reading.detail).toBe('read 2')
  })
})

describe('the engine with several gates', () => {
  it('rolls back on the first gate that fails, without waiting for a slower one', async () => {
    const { runRollout } = await import('../../src/engine/rollout.js')
    const { FakeTraffic, deps, spec, stagesOf } = await import('./fakes.js')
    const alarms: Gate = {
      name: 'alarms',
      read: async () => ({ verdict: 'fail', reason: 'alarm web-5xx is in ALARM', detail: '' })
    }
    // A gate that never answers: waiting for it would hang the run past jest's timeout.
    const slow: Gate = { name: 'health', read: () => new Promise<GateReading>(() => undefined) }
    const clock = new FakeClock()
    const { deps: d } = deps({ traffic: new FakeTraffic(), clock, gates: [slow, alarms] })
    const result = await runRollout(spec({ plan: stagesOf([5, 100], 60_000) }), d)
    expect(result.outcome.result).toBe('rolled-back')
    expect(result.outcome.reason).toBe('alarm web-5xx is in ALARM')
  })
})
