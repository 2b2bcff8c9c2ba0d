// The health gate's rules (src/engine/health.ts) at their edges: the heartbeat line for each thing on
// its way in or out, the grace counted from when a shortfall began, several failures at once,
// baselines of deployments that appear later, and the stopped tasks' text.
import { describe, expect, it } from '@jest/globals'
import { HealthJudge, stoppedText } from '../../src/engine/health.js'
import type {
  CanaryDeployment,
  CanaryService,
  StoppedTask,
  TargetState
} from '../../src/engine/health.js'

const GRACE = 120_000
const TASKDEF = 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:7'

function deployment(over: Partial<CanaryDeployment> = {}): CanaryDeployment {
  return {
    id: 'ecs-svc/1',
    status: 'PRIMARY',
    taskDefinition: TASKDEF,
    failedTasks: 0,
    rolloutState: 'COMPLETED',
    ...over
  }
}

function service(over: Partial<CanaryService> = {}): CanaryService {
  return {
    name: 'web-green',
    desiredCount: 2,
    runningCount: 2,
    deployments: [deployment()],
    events: [],
    ...over
  }
}

const healthy = (id: string): TargetState => ({ id, state: 'healthy' })
const starting = (id: string): TargetState => ({ id, state: 'initial' })
const unhealthy = (id: string): TargetState => ({
  id,
  state: 'unhealthy',
  reason: 'Target.FailedHealthChecks'
})
const TWO = [healthy('a:80'), healthy('b:80')]

describe('HealthJudge heartbeat line', () => {
  const detail = (targets: TargetState[], svc: CanaryService = service()) =>
    new HealthJudge(GRACE).judge(targets, svc, 0).detail

  it('is the short OK only when enough targets are healthy and nothing moves', () => {
    expect(detail(TWO)).toBe('health OK')
    expect(detail([...TWO, healthy('c:80')])).toBe('health OK')
  })

  it('gives the counts when fewer targets are healthy than needed', () => {
    expect(detail([healthy('a:80')])).toBe('health: 1/2 targets healthy · 2/2 tasks running')
  })

  it('gives the counts when a target is still starting, even with enough healthy', () => {
    expect(detail([...TWO, starting('c:80')])).toBe(
      'health: 2/2 targets healthy, 1 initial · 2/2 tasks running'
    )
  })

  it('gives the counts when a target is draining, even with enough healthy', () => {
    expect(detail([...TWO, { id: 'c:80', state: 'draining' }])).toBe(
      'health: 2/2 targets healthy, 1 draining · 2/2 tasks running'
    )
  })

  it('counts an unhealthy target on its way out as draining, not as a present target', () => {
    expect(detail([...TWO, { id: 'c:80', state: 'unhealthy.draining' }])).toBe(
      'health: 2/2 targets healthy, 1 draining · 2/2 tasks running'
    )
  })

  it('gives the counts when fewer tasks run than desired, even with every target healthy', () => {
    expect(detail(TWO, service({ runningCount: 1 }))).toBe(
      'health: 2/2 targets healthy · 1/2 tasks running'
    )
  })
})

describe('HealthJudge on targets', () => {
  it('counts starting targets towards the desired count, past the grace', () => {
    const judge = new HealthJudge(GRACE)
    const targets = [healthy('a:80'), starting('b:80')]
    expect(judge.judge(targets, service(), 0).failure).toBeUndefined()
    expect(judge.judge(targets, service(), GRACE + 1).failure).toBeUndefined()
  })

  it('says how many are healthy or starting, and lists every present target', () => {
    const judge = new HealthJudge(GRACE)
    const svc = service({ desiredCount: 3, runningCount: 3 })
    const targets = [
      healthy('a:80'),
      { id: 'b:80', state: 'initial', reason: 'Elb.InitialHealthChecking' },
      { id: 'c:80', state: 'draining' }
    ]
    judge.judge(targets, svc, 0)
    expect(judge.judge(targets, svc, GRACE + 1).failure).toEqual({
      kind: 'targets',
      reason:
        "the canary's target group has 2 healthy or starting target(s), fewer than the 3 web-green needs, for 120s: a:80 healthy; b:80 initial Elb.InitialHealthChecking"
    })
  })

  it('counts the shortfall from the read that first saw it, not from time zero', () => {
    const judge = new HealthJudge(GRACE)
    const start = 1_000_000
    const one = [healthy('a:80')]
    expect(judge.judge(one, service(), start).failure).toBeUndefined()
    expect(judge.judge(one, service(), start + GRACE).failure).toBeUndefined()
    expect(judge.judge(one, service(), start + GRACE + 1_000).failure?.reason).toBe(
      "the canary's target group has 1 healthy or starting target(s), fewer than the 2 web-green needs, for 121s: a:80 healthy"
    )
  })

  it('says none are registered when the target group is empty', () => {
    const judge = new HealthJudge(GRACE)
    judge.judge([], service(), 0)
    expect(judge.judge([], service(), GRACE + 1).failure?.reason).toBe(
      "the canary's target group has 0 healthy or starting target(s), fewer than the 2 web-green needs, for 120s: none registered"
    )
  })

  it('names every target unhealthy twice in a row', () => {
    const judge = new HealthJudge(GRACE)
    const targets = [unhealthy('a:80'), unhealthy('b:80'), healthy('c:80')]
    judge.judge(targets, service(), 0)
    expect(judge.judge(targets, service(), 1_000).failure).toEqual({
      kind: 'targets',
      reason:
        '2 of 3 canary target(s) unhealthy on two reads in a row: a:80 unhealthy Target.FailedHealthChecks; b:80 unhealthy Target.FailedHealthChecks'
    })
  })

  it('forgets the streak of a target that left, so its return starts a new one', () => {
    const judge = new HealthJudge(GRACE)
    expect(judge.judge([...TWO, unhealthy('c:80')], service(), 0).failure).toBeUndefined()
    expect(judge.judge(TWO, service(), 1_000).failure).toBeUndefined()
    expect(judge.judge([...TWO, unhealthy('c:80')], service(), 2_000).failure).toBeUndefined()
    expect(judge.judge([...TWO, unhealthy('c:80')], service(), 3_000).failure?.kind).toBe('targets')
  })
})

describe('HealthJudge on tasks', () => {
  it('says how many tasks failed since the first read, from a baseline above zero', () => {
    const judge = new HealthJudge(GRACE)
    judge.judge(TWO, service({ deployments: [deployment({ failedTasks: 3 })] }), 0)
    const verdict = judge.judge(
      TWO,
      service({ deployments: [deployment({ failedTasks: 5 })] }),
      1_000
    )
    expect(verdict.failure).toEqual({
      kind: 'tasks',
      reason:
        'the canary service web-green is losing tasks: 2 task(s) of deployment ecs-svc/1 (web:7) failed (failedTasks 3 → 5)'
    })
  })

  it('counts every failed task of a deployment that appears after the first read', () => {
    const judge = new HealthJudge(GRACE)
    expect(judge.judge(TWO, service(), 0).failure).toBeUndefined()
    const later = deployment({ id: 'ecs-svc/2', failedTasks: 1 })
    const verdict = judge.judge(TWO, service({ deployments: [deployment(), later] }), 1_000)
    expect(verdict.failure?.reason).toBe(
      'the canary service web-green is losing tasks: 1 task(s) of deployment ecs-svc/2 (web:7) failed (failedTasks 0 → 1)'
    )
  })

  it('joins several task failures and names a FAILED deployment without a reason', () => {
    const judge = new HealthJudge(GRACE)
    judge.judge(TWO, service(), 0)
    const failed = deployment({ failedTasks: 1, rolloutState: 'FAILED' })
    expect(judge.judge(TWO, service({ deployments: [failed] }), 1_000).failure?.reason).toBe(
      'the canary service web-green is losing tasks: ECS marked deployment ecs-svc/1 (web:7) FAILED: no reason given; 1 task(s) of deployment ecs-svc/1 (web:7) failed (failedTasks 0 → 1)'
    )
  })

  it('shows a task definition that is not an ARN as it is, and an empty one as unknown', () => {
    const judge = new HealthJudge(GRACE)
    const odd = [
      deployment({ id: 'ecs-svc/1', taskDefinition: 'web:7', rolloutState: 'FAILED' }),
      deployment({ id: 'ecs-svc/2', taskDefinition: '', rolloutState: 'FAILED' })
    ]
    expect(judge.judge(TWO, service({ deployments: odd }), 0).failure?.reason).toBe(
      'the canary service web-green is losing tasks: ECS marked deployment ecs-svc/1 (web:7) FAILED: no reason given'
    )
    const emptyFirst = [odd[1], odd[0]]
    expect(
      new HealthJudge(GRACE).judge(TWO, service({ deployments: emptyFirst }), 0).failure?.reason
    ).toBe(
      'the canary service web-green is losing tasks: ECS marked deployment ecs-svc/2 (unknown revision) FAILED: no reason given'
    )
  })

  it('adds the three latest events, newest first, and nothing when there are none', () => {
    const events = [4, 3, 2, 1].map(n => ({ at: `12:0${n}`, message: `event ${n}` }))
    const failed = [deployment({ rolloutState: 'FAILED', rolloutStateReason: 'gave up' })]
    const withEvents = new HealthJudge(GRACE).judge(
      TWO,
      service({ deployments: failed, events }),
      0
    )
    expect(withEvents.failure?.reason).toBe(
      'the canary service web-green is losing tasks: ECS marked deployment ecs-svc/1 (web:7) FAILED: gave up. Latest events of web-green: 12:04 event 4 | 12:03 event 3 | 12:02 event 2'
    )
    const without = new HealthJudge(GRACE).judge(TWO, service({ deployments: failed }), 0)
    expect(without.failure?.reason).toBe(
      'the canary service web-green is losing tasks: ECS marked deployment ecs-svc/1 (web:7) FAILED: gave up'
    )
  })

  it('gives both a target and a task failure, as a task failure, target first', () => {
    const judge = new HealthJudge(GRACE)
    const targets = [unhealthy('a:80'), healthy('b:80')]
    judge.judge(targets, service(), 0)
    const verdict = judge.judge(
      targets,
      service({ deployments: [deployment({ failedTasks: 1 })] }),
      1_000
    )
    expect(verdict.failure).toEqual({
      kind: 'tasks',
      reason:
        '1 of 2 canary target(s) unhealthy on two reads in a row: a:80 unhealthy Target.FailedHealthChecks; the canary service web-green is losing tasks: 1 task(s) of deployment ecs-svc/1 (web:7) failed (failedTasks 0 → 1)'
    })
  })
})

describe('stoppedText', () => {
  const task = (over: Partial<StoppedTask> = {}): StoppedTask => ({
    id: '0f1e2d',
    taskDefinition: TASKDEF,
    stoppedReason: 'Essential container in task exited',
    containers: [],
    ...over
  })

  it('is empty without stopped tasks', () => {
    expect(stoppedText([])).toBe('')
  })

  it('lists each task with its reason, and no exit codes when no container has one', () => {
    expect(stoppedText([task(), task({ id: '9a8b7c', containers: [{ name: 'app' }] })])).toBe(
      '. Stopped tasks: task 0f1e2d (web:7) stopped: Essential container in task exited; task 9a8b7c (web:7) stopped: Essential container in task exited'
    )
  })

  it('gives the exit code or the reason of each container that has one', () => {
    const containers = [
      {
        name: 'app',
        exitCode: 137,
        reason: 'OutOfMemoryError: Container killed due to memory usage'
      },
      { name: 'sidecar' },
      { name: 'log-router', reason: 'CannotPullContainerError' },
      { name: 'init', exitCode: 0 }
    ]
    expect(stoppedText([task({ containers })])).toBe(
      '. Stopped tasks: task 0f1e2d (web:7) stopped: Essential container in task exited, app exit code 137 (OutOfMemoryError: Container killed due to memory usage), log-router exit code ? (CannotPullContainerError), init exit code 0'
    )
  })

  it('falls back on the stop code, then on saying no reason was given', () => {
    expect(stoppedText([task({ stoppedReason: '', stopCode: 'TaskFailedToStart' })])).toBe(
      '. Stopped tasks: task 0f1e2d (web:7) stopped: TaskFailedToStart'
    )
    expect(stoppedText([task({ stoppedReason: '' })])).toBe(
      '. Stopped tasks: task 0f1e2d (web:7) stopped: no reason given'
    )
  })
})
