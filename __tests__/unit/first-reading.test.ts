import { describe, expect, it } from '@jest/globals'
import { statusToken } from '../../src/modes/context.js'
import { parsePlan } from '../../src/engine/plan.js'
import { runRollout, type Reporter } from '../../src/engine/rollout.js'
import type { GateReading } from '../../src/engine/types.js'
import { FakeClock, FakeTraffic, ScriptedGate, deps, pass, spec } from './fakes.js'

/** A reporter that notes each first reading as `percent: detail`. */
function recordingReporter() {
  const readings: string[] = []
  const reporter: Reporter = {
    stageStarted: async () => undefined,
    firstReading: async (stage, count) =>
      void readings.push(`${stage.index + 1}/${count} ${stage.tenths / 10}%: ${stage.detail}`),
    heartbeat: () => undefined
  }
  return { reporter, readings }
}

describe('the first reading of a stage', () => {
  it('is reported once per baking stage, with how the gates read, and not for a pause', async () => {
    const clock = new FakeClock()
    const traffic = new FakeTraffic()
    const gate = new ScriptedGate('alarms', () => pass)
    const { reporter, readings } = recordingReporter()
    const { deps: d } = deps({ traffic, clock, gates: [gate], reporter })

    await runRollout(spec({ plan: parsePlan('1:1m,5:1m,10:pause,100', 60_000) }), d)

    expect(readings).toEqual(['1/4 1%: web-5xx OK', '2/4 5%: web-5xx OK'])
  })

  it('is reported when it fails, before the rollback', async () => {
    const clock = new FakeClock()
    const traffic = new FakeTraffic()
    const alarm: GateReading = {
      verdict: 'fail',
      reason: 'alarm web-5xx is in ALARM: threshold crossed',
      detail: 'web-5xx ALARM'
    }
    const gate = new ScriptedGate('alarms', () => (traffic.tenths === 50 ? alarm : pass))
    const { reporter, readings } = recordingReporter()
    const { deps: d } = deps({ traffic, clock, gates: [gate], reporter })

    const result = await runRollout(spec({ plan: parsePlan('1:1m,5:1m,100', 60_000) }), d)

    expect(result.outcome.result).toBe('rolled-back')
    expect(readings).toEqual(['1/3 1%: web-5xx OK', '2/3 5%: web-5xx ALARM'])
  })

  it('is reported without a detail when the gates could not be read', async () => {
    const clock = new FakeClock()
    const traffic = new FakeTraffic()
    const gate = new ScriptedGate('alarms', (_now, read) =>
      read === 0 ? new Error('Throttling: Rate exceeded') : pass
    )
    const { reporter, readings } = recordingReporter()
    const { deps: d } = deps({ traffic, clock, gates: [gate], reporter })

    await runRollout(spec({ plan: parsePlan('100:1m', 60_000) }), d)

    expect(readings).toEqual(['1/1 100%: '])
  })
})

describe('statusToken', () => {
  const settings = { dryRun: false, githubToken: 'ghs_token' }

  it('gives the token to the modes that report on a rollout', () => {
    for (const mode of ['deploy', 'promote', 'rollback'] as const) {
      expect(statusToken({ ...settings, mode })).toBe('ghs_token')
    }
  })

  it('gives none to mode: status, which writes nothing anywhere', () => {
    expect(statusToken({ ...settings, mode: 'status' })).toBe('')
  })

  it('gives none to a dry run', () => {
    expect(statusToken({ ...settings, mode: 'deploy', dryRun: true })).toBe('')
  })
})
