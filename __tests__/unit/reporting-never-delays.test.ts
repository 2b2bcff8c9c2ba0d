/**
 * Issue 15, item 1: a GitHub API that stalls for 30 s must not delay a rollback or a cancel.
 * The real status queue and the real live reporter sit between the engine and a stalled API;
 * the clock is fake, the time measured is real.
 */
import { describe, expect, it } from '@jest/globals'
import type { Context } from '../../src/modes/context.js'
import { CommitStatus, type StatusClient } from '../../src/github/status.js'
import { StageGroup } from '../../src/github/log.js'
import { parsePlan } from '../../src/engine/plan.js'
import { flushBudget, liveReporter } from '../../src/github/report.js'
import { runRollout } from '../../src/engine/rollout.js'
import type { GateReading } from '../../src/engine/types.js'
import { FakeClock, FakeTraffic, MemoryLog, ScriptedGate, deps, pass, spec } from './fakes.js'

const STALL_MS = 30_000

/** GitHub answering nothing for 30 s (or until the request is aborted). */
function stalledGitHub() {
  const posted: string[] = []
  const octokit: StatusClient = {
    rest: {
      repos: {
        createCommitStatus: params => {
          posted.push(`${params.state}: ${params.description}`)
          return new Promise((resolve, reject) => {
            const timer = setTimeout(resolve, STALL_MS)
            params.request?.signal?.addEventListener('abort', () => {
              clearTimeout(timer)
              reject(new Error('This operation was aborted'))
            })
          })
        }
      }
    }
  }
  return { octokit, posted }
}

function reportingTo(octokit: StatusClient) {
  const log = new MemoryLog()
  const status = new CommitStatus({
    token: 'ghs_test',
    context: 'ecs-canary/prod/web-blue-web-green',
    sha: 'a'.repeat(40),
    owner: 'acme',
    repo: 'web',
    targetUrl: 'https://github.com/acme/web/actions/runs/1',
    log,
    octokit,
    timeoutMs: STALL_MS + 1_000
  })
  const ctx = { status, log, stageGroup: new StageGroup() } as unknown as Context
  return { status, reporter: liveReporter(ctx, 'web-green') }
}

/** Records when a call happened, in real milliseconds. */
class TimedTraffic extends FakeTraffic {
  restoredAt?: number
  override async restore() {
    this.restoredAt = performance.now()
    return super.restore()
  }
}

const alarm: GateReading = {
  verdict: 'fail',
  reason: 'alarm web-5xx is in ALARM: threshold crossed',
  detail: 'web-5xx ALARM'
}

describe('a stalled GitHub API', () => {
  it('does not delay a rollback: the alarm is acted on within 100 ms of the gate reading', async () => {
    const github = stalledGitHub()
    const { status, reporter } = reportingTo(github.octokit)
    const clock = new FakeClock()
    const traffic = new TimedTraffic()
    let alarmReadAt = 0
    const gate = new ScriptedGate('alarms', () => {
      if (traffic.tenths !== 50) return pass
      alarmReadAt = performance.now()
      return alarm
    })
    const { deps: d } = deps({ traffic, clock, gates: [gate], reporter })

    const result = await runRollout(spec({ plan: parsePlan('1:1m,5:1m,100:1m', 60_000) }), d)

    expect(result.outcome.result).toBe('rolled-back')
    expect(traffic.restoredAt).toBeDefined()
    expect((traffic.restoredAt ?? Infinity) - alarmReadAt).toBeLessThan(100)
    // The first status is still out; the ones after it wait, newest only.
    expect(github.posted).toEqual(['pending: stage 1/3 · 1% on web-green · alarms OK'])
    const flushStarted = performance.now()
    await status.flush(100)
    expect(performance.now() - flushStarted).toBeLessThan(500)
  })

  it('does not hide a cancel: traffic is restored and the run ends within the budget', async () => {
    const github = stalledGitHub()
    const { status, reporter } = reportingTo(github.octokit)
    const clock = new FakeClock()
    const traffic = new TimedTraffic()
    const controller = new AbortController()
    let cancelledAt = 0
    const gate = new ScriptedGate('alarms', () => {
      if (traffic.tenths === 50 && !controller.signal.aborted) {
        cancelledAt = performance.now()
        controller.abort()
      }
      return pass
    })
    const { deps: d } = deps({
      traffic,
      clock,
      gates: [gate],
      reporter,
      signal: controller.signal
    })

    const result = await runRollout(spec({ plan: parsePlan('1:1m,5:1m,100:1m', 60_000) }), d)
    await status.flush(flushBudget(controller.signal))
    const endedAt = performance.now()

    expect(result.outcome.reason).toContain('cancelled')
    expect(traffic.rules.every(r => r.idle === 0)).toBe(true)
    expect((traffic.restoredAt ?? Infinity) - cancelledAt).toBeLessThan(100)
    // The runner kills the job 10 s after SIGINT: restore, record and the bounded flush fit.
    expect(endedAt - cancelledAt).toBeLessThan(flushBudget(controller.signal) + 500)
  })
})
