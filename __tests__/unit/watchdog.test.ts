import { describe, expect, it } from '@jest/globals'
import { checkCredentials, planLength } from '../../src/modes/credentials.js'
import { lookUpJobId, ownerRun, parseOwner, type RunsClient } from '../../src/github/runs.js'
import { Heartbeat } from '../../src/engine/heartbeat.js'
import { readSettings } from '../../src/inputs/inputs.js'
import { parsePlan } from '../../src/engine/plan.js'
import { decodeState, type RecordedState } from '../../src/engine/state.js'
import { judgeInProgress, pauseTooLong, sameRecord } from '../../src/modes/watchdog.js'
import { runRollout } from '../../src/engine/rollout.js'
import type { GateReading } from '../../src/engine/types.js'
import { deps, FakeClock, FakeTraffic, MemoryLog, pass, ScriptedGate, spec } from './fakes.js'

const RULE =
  'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee'
const NOW = Date.UTC(2026, 11, 6, 3, 0, 0)
const URL = 'https://github.com/acme/web/actions/runs/42/attempts/1'

function settings(inputs: Record<string, string>) {
  const all: Record<string, string> = {
    cluster: 'c',
    services: 'web-blue web-green',
    'listener-rules': RULE,
    ...inputs
  }
  return readSettings(name => all[name] ?? '', { AWS_REGION: 'us-east-1' })
}

function record(over: Partial<RecordedState> = {}): RecordedState {
  return {
    live: 'web-blue',
    idle: 'web-green',
    plan: '1:5m,100:5m',
    phase: 'in-progress',
    revision: 'web:7',
    owner: 'acme/web/runs/42/1',
    updated: '2026-12-06T02:40:00Z',
    reason: '',
    ...over
  }
}

describe('watchdog inputs', () => {
  it('reads stale-after (default 3m), max-pause (off by default) and role-to-assume', () => {
    expect(settings({ mode: 'reconcile' })).toMatchObject({
      mode: 'reconcile',
      staleAfterMs: 180_000
    })
    expect(settings({}).maxPauseMs).toBeUndefined()
    expect(settings({ 'max-pause': '24h' }).maxPauseMs).toBe(86_400_000)
    const role = 'arn:aws:iam::123456789012:role/deploy'
    expect(settings({ 'role-to-assume': role }).roleToAssume).toBe(role)
  })

  it('refuses a stale-after shorter than two heartbeats and a role that is not an ARN', () => {
    expect(() => settings({ 'stale-after': '30s' })).toThrow(/stale-after/)
    expect(() => settings({ 'role-to-assume': 'deploy' })).toThrow(
      /role-to-assume.*'deploy' is not an IAM role ARN/
    )
  })
})

describe('checkCredentials', () => {
  const hour = 3_600_000
  it('refuses a plan longer than a known expiry, naming role-to-assume', () => {
    const verdict = checkCredentials(
      hour,
      { expiry: new Date(NOW + 10 * 60_000), temporary: true },
      NOW,
      undefined
    )
    expect(verdict.refuse).toMatch(/expire at 2026-12-06T03:10:00.000Z.*role-to-assume/)
  })

  it('warns when temporary credentials of unknown expiry may not last the one-hour default', () => {
    const verdict = checkCredentials(hour, { temporary: true }, NOW, undefined)
    expect(verdict.refuse).toBeUndefined()
    expect(verdict.warn).toMatch(/one hour by default.*role-to-assume/)
    expect(checkCredentials(30 * 60_000, { temporary: true }, NOW, undefined)).toEqual({})
    // Long-lived keys do not expire.
    expect(checkCredentials(6 * hour, { temporary: false }, NOW, undefined)).toEqual({})
  })

  it('lets any plan through with role-to-assume: the action refreshes its credentials', () => {
    const facts = { expiry: new Date(NOW + 60_000), temporary: true }
    expect(checkCredentials(6 * hour, facts, NOW, 'arn:aws:iam::1:role/r')).toEqual({})
  })

  it('counts service-timeout into the plan', () => {
    expect(planLength(parsePlan('1:10m,100:20m', 300_000, 'stages'), 900_000)).toBe(45 * 60_000)
  })
})

describe('judgeInProgress', () => {
  const stale = record({ heartbeat: '2026-12-06T02:55:00Z' }) // 5 minutes old
  it('leaves a rollout with a fresh heartbeat alone', () => {
    const fresh = record({ heartbeat: '2026-12-06T02:59:30Z' })
    const verdict = judgeInProgress(
      fresh,
      { state: 'completed', conclusion: 'failure' },
      NOW,
      180_000,
      URL
    )
    expect(verdict).toMatchObject({ act: false, line: expect.stringMatching(/alive/) })
  })

  it('never fights an owner GitHub reports as running, however old its heartbeat', () => {
    const verdict = judgeInProgress(
      stale,
      { state: 'running', status: 'in_progress' },
      NOW,
      180_000,
      URL
    )
    expect(verdict.act).toBe(false)
  })

  it('restores when the heartbeat is stale and the run is over', () => {
    const verdict = judgeInProgress(
      stale,
      { state: 'completed', conclusion: 'cancelled' },
      NOW,
      180_000,
      URL
    )
    expect(verdict).toEqual({
      act: true,
      reason: `runner lost: ${URL} last heartbeat 2026-12-06T02:55:00Z`
    })
  })

  it('without GitHub, acts only on a heartbeat three times stale-after old', () => {
    const blind = { state: 'unknown', why: 'no github-token was given' } as const
    expect(judgeInProgress(stale, blind, NOW, 180_000, URL).act).toBe(false)
    const older = record({ heartbeat: '2026-12-06T02:50:59Z' }) // just over 9 minutes
    expect(judgeInProgress(older, blind, NOW, 180_000, URL).act).toBe(true)
  })

  it('falls back to the record time when no heartbeat was ever written', () => {
    const verdict = judgeInProgress(
      record(),
      { state: 'completed', conclusion: 'success' },
      NOW,
      180_000,
      URL
    )
    expect(verdict).toMatchObject({
      act: true,
      reason: expect.stringContaining('last heartbeat 2026-12-06T02:40:00Z')
    })
  })
})

describe('sameRecord', () => {
  it('sees any sign of another actor between the judgement and the first write', () => {
    const judged = record({ heartbeat: '2026-12-06T02:55:00Z' })
    expect(sameRecord(judged, { ...judged })).toBe(true)
    expect(sameRecord(judged, { ...judged, heartbeat: '2026-12-06T03:00:00Z' })).toBe(false)
    expect(sameRecord(judged, { ...judged, owner: 'acme/web/runs/43/1' })).toBe(false)
    expect(sameRecord(judged, { ...judged, phase: 'rolled-back' })).toBe(false)
    expect(sameRecord(judged, undefined)).toBe(false)
  })
})

describe('pauseTooLong', () => {
  const paused = record({ phase: 'paused', updated: '2026-12-05T02:00:00Z' })
  it('is off without max-pause', () => {
    expect(pauseTooLong(paused, NOW, undefined)).toBeUndefined()
  })
  it('rolls back a pause older than max-pause, and not one within it', () => {
    expect(pauseTooLong(paused, NOW, 24 * 3_600_000)).toMatch(/longer than max-pause \(24h\)/)
    expect(pauseTooLong(paused, NOW, 26 * 3_600_000)).toBeUndefined()
  })
})

describe('the record', () => {
  it('reads the heartbeat, the commit and the alarms recorded at a pause', () => {
    const state = decodeState({
      'ecs-canary:live': 'web-blue',
      'ecs-canary:idle': 'web-green',
      'ecs-canary:phase': 'paused',
      'ecs-canary:heartbeat': '2026-12-06T02:59:00Z',
      'ecs-canary:commit': '0123456789abcdef0123456789abcdef01234567',
      'ecs-canary:alarms': 'web 5xx / web-latency'
    })
    expect(state).toMatchObject({
      heartbeat: '2026-12-06T02:59:00Z',
      commit: '0123456789abcdef0123456789abcdef01234567',
      alarms: ['web 5xx', 'web-latency']
    })
  })
})

describe('Heartbeat', () => {
  it('writes at most once per interval, and a failed write is one warning, not an error', async () => {
    const clock = new FakeClock(NOW)
    const log = new MemoryLog()
    const written: string[] = []
    let fail = false
    const beat = new Heartbeat(
      async value => {
        if (fail) throw new Error('AddTags failed: Throttling')
        written.push(value)
      },
      clock,
      log,
      30_000
    )
    // Made right after the claim (which carries a heartbeat): nothing is due yet.
    beat.beat()
    expect(written).toEqual([])
    clock.t += 30_000
    beat.beat()
    beat.beat()
    await new Promise(resolve => setImmediate(resolve))
    clock.t += 29_000
    beat.beat()
    clock.t += 2_000
    beat.beat()
    await new Promise(resolve => setImmediate(resolve))
    expect(written).toEqual(['2026-12-06T03:00:30Z', '2026-12-06T03:01:01Z'])
    fail = true
    clock.t += 30_000
    beat.beat()
    await new Promise(resolve => setImmediate(resolve))
    clock.t += 30_000
    beat.beat()
    await new Promise(resolve => setImmediate(resolve))
    expect(
      log.lines.filter(l => l.startsWith('warning: Could not refresh the heartbeat'))
    ).toHaveLength(1)
  })
})

describe('ownerRun', () => {
  const client = (
    answer: () => Promise<{ data: { status?: string; conclusion?: string } }>
  ): RunsClient => ({
    rest: { actions: { getWorkflowRunAttempt: answer, listJobsForWorkflowRunAttempt: noJobs } }
  })
  const noJobs = async () => ({ data: { jobs: [] } })
  it('asks for the recorded attempt of the recorded run', async () => {
    const asked: unknown[] = []
    const found = await ownerRun('acme/web/runs/42/2', 'token', {
      rest: {
        actions: {
          getWorkflowRunAttempt: async params => {
            asked.push(params)
            return { data: { status: 'completed', conclusion: 'cancelled' } }
          },
          listJobsForWorkflowRunAttempt: noJobs
        }
      }
    })
    expect(asked).toEqual([
      expect.objectContaining({ owner: 'acme', repo: 'web', run_id: 42, attempt_number: 2 })
    ])
    expect(found).toMatchObject({ state: 'completed', conclusion: 'cancelled' })
  })

  const jobs = [
    { id: 7, name: 'build', status: 'in_progress' },
    { id: 9, name: 'deploy', status: 'completed', conclusion: 'failure' }
  ]
  const runStillGoing = (asked: string[]): RunsClient => ({
    rest: {
      actions: {
        getWorkflowRunAttempt: async () => {
          asked.push('run')
          return { data: { status: 'in_progress' } }
        },
        listJobsForWorkflowRunAttempt: async params => {
          asked.push(`jobs ${params.run_id}/${params.attempt_number}`)
          return { data: { jobs } }
        }
      }
    }
  })

  it('judges the owner by its job: completed while another job of the run still runs', async () => {
    const asked: string[] = []
    const byId = await ownerRun('acme/web/runs/42/2', 't', runStillGoing(asked), { id: 9 })
    expect(byId).toEqual({ state: 'completed', conclusion: 'failure' })
    const byName = await ownerRun('acme/web/runs/42/2', 't', runStillGoing(asked), {
      name: 'deploy'
    })
    expect(byName).toEqual({ state: 'completed', conclusion: 'failure' })
    // The run itself (still in progress) was never asked.
    expect(asked).toEqual(['jobs 42/2', 'jobs 42/2'])
  })

  it('falls back to the run only when the job cannot be found, and says so', async () => {
    const asked: string[] = []
    const found = await ownerRun('acme/web/runs/42/2', 't', runStillGoing(asked), {
      name: 'release'
    })
    expect(found).toMatchObject({
      state: 'running',
      note: expect.stringMatching(
        /job 'release' could not be found \(no job of that name\).*whole run/
      )
    })
    expect(asked).toEqual(['jobs 42/2', 'run'])
  })

  it('looks up its own job id by the runner it runs on', async () => {
    const client: RunsClient = {
      rest: {
        actions: {
          getWorkflowRunAttempt: async () => ({ data: {} }),
          listJobsForWorkflowRunAttempt: async () => ({
            data: {
              jobs: [
                { id: 5, name: 'deploy', status: 'completed', runner_name: 'r1' },
                { id: 6, name: 'deploy', status: 'in_progress', runner_name: 'r1' },
                { id: 8, name: 'test', status: 'in_progress', runner_name: 'r2' }
              ]
            }
          })
        }
      }
    }
    const env = { GITHUB_REPOSITORY: 'acme/web', GITHUB_RUN_ID: '42', RUNNER_NAME: 'r1' }
    expect(await lookUpJobId('t', { debug: () => undefined }, env, client)).toBe(6)
    expect(
      await lookUpJobId('t', { debug: () => undefined }, { ...env, RUNNER_NAME: '' }, client)
    ).toBeUndefined()
  })

  it('says running for anything not completed, and unknown when GitHub cannot answer', async () => {
    expect(
      await ownerRun(
        'acme/web/runs/42/1',
        't',
        client(async () => ({ data: { status: 'in_progress' } }))
      )
    ).toMatchObject({ state: 'running' })
    const denied = Object.assign(new Error('Resource not accessible by integration'), {
      status: 403
    })
    expect(
      await ownerRun(
        'acme/web/runs/42/1',
        't',
        client(async () => Promise.reject(denied))
      )
    ).toMatchObject({
      state: 'unknown',
      why: expect.stringMatching(/HTTP 403.*actions: read/)
    })
    expect(await ownerRun('acme/web/runs/42/1', '')).toMatchObject({ state: 'unknown' })
    expect(parseOwner('local')).toBeUndefined()
  })
})

describe('the engine and its heartbeat', () => {
  it('beats while it shifts and bakes, and once more before a restore, which it never waits for', async () => {
    const clock = new FakeClock(NOW)
    const traffic = new FakeTraffic()
    const beats: number[] = []
    const fail: GateReading = {
      verdict: 'fail',
      reason: 'web-5xx in ALARM',
      detail: 'web-5xx ALARM'
    }
    const gate = new ScriptedGate('alarms', now => (now - NOW >= 120_000 ? fail : pass))
    const { deps: d } = deps({
      traffic,
      clock,
      gates: [gate],
      heartbeat: { beat: () => void beats.push(clock.now() - NOW) }
    })

    const result = await runRollout(
      spec({ plan: parsePlan('1:10m,100:1m', 300_000, 'stages'), pollMs: 5_000 }),
      d
    )

    expect(result.outcome.result).toBe('rolled-back')
    // Every poll offers a beat (the port throttles): the gaps never exceed a poll interval.
    const gaps = beats.slice(1).map((t, i) => t - beats[i])
    expect(Math.max(...gaps)).toBeLessThanOrEqual(5_000)
    expect(beats.at(-1)).toBe(120_000)
    expect(traffic.writes.at(-1)).toEqual({ kind: 'restore', tenths: 0 })
  })
})
