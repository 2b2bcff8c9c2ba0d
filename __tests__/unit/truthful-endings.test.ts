/** Issue 15, item 3: the engine's endings tell the truth about where traffic is. */
import { describe, expect, it } from '@jest/globals'
import { runRollout } from '../../src/engine/rollout.js'
import {
  deps,
  FakeClock,
  FakeTraffic,
  MemoryLog,
  pass,
  ScriptedGate,
  spec,
  stagesOf
} from './fakes.js'

const plan = stagesOf([1, 5, 100], 60_000)
const alarm = { verdict: 'fail', reason: 'alarm web-5xx', detail: 'web-5xx ALARM' } as const

describe('a restore that fails', () => {
  it('ends restore-failed, never rolled-back, at the share still on the canary', async () => {
    const traffic = new FakeTraffic()
    traffic.failRestore = true
    const gate = new ScriptedGate('a', () => (traffic.tenths === 50 ? alarm : pass))
    const result = await runRollout(
      spec({ plan }),
      deps({ traffic, clock: new FakeClock(), gates: [gate] }).deps
    )
    expect(result.outcome.result).toBe('restore-failed')
    expect(result.outcome.tenths).toBe(50)
    expect(result.restoreCommands).toHaveLength(2)
  })

  it('ends rolled-back only once traffic is verified back on live', async () => {
    const traffic = new FakeTraffic()
    const gate = new ScriptedGate('a', () => (traffic.tenths === 50 ? alarm : pass))
    const result = await runRollout(
      spec({ plan }),
      deps({ traffic, clock: new FakeClock(), gates: [gate] }).deps
    )
    expect(result.outcome.result).toBe('rolled-back')
    expect(traffic.rules.every(r => r.idle === 0)).toBe(true)
  })
})

describe('weights moved by someone else mid-run', () => {
  it('gives the share actually found in the outcome and the record, labelled by service', async () => {
    const traffic = new FakeTraffic()
    const gate = new ScriptedGate('alarms', () => {
      // Someone puts 50% on the canary while this run holds it at 5%.
      if (traffic.tenths === 50)
        for (const r of traffic.rules) Object.assign(r, { live: 50, idle: 50 })
      return pass
    })
    const { deps: d, phases } = deps({ traffic, clock: new FakeClock(), gates: [gate] })
    const result = await runRollout(spec({ plan }), d)
    expect(result.outcome.result).toBe('paused')
    expect(result.outcome.tenths).toBe(500)
    expect(result.record.timeline.at(-1)?.tenths).toBe(500)
    expect(result.outcome.reason).toContain(
      'expected 5% on web-green, found 50% (weights web-green=50/web-blue=50)'
    )
    expect(phases.at(-1)).toMatchObject({ phase: 'paused' })
    expect(phases.at(-1)?.reason).toContain('found 50%')
  })
})

describe('the promotion record', () => {
  it('is retried when the tag write fails, and the release stays promoted', async () => {
    const traffic = new FakeTraffic()
    let failures = 2
    const log = new MemoryLog()
    const { deps: d } = deps({
      traffic,
      clock: new FakeClock(),
      gates: [new ScriptedGate('a', () => pass)],
      log,
      recordPhase: async phase => {
        if (phase === 'promoted' && failures-- > 0) throw new Error('AddTags: Throttling')
      }
    })
    const result = await runRollout(spec({ plan }), d)
    expect(result.outcome.result).toBe('promoted')
    expect(result.failed).toBe(false)
    expect(traffic.writes.some(w => w.kind === 'restore')).toBe(false)
    expect(failures).toBe(-1)
  })

  it('ends promoted with a warning saying how to fix the record when it never lands', async () => {
    const traffic = new FakeTraffic()
    const log = new MemoryLog()
    const recorded: string[] = []
    const { deps: d } = deps({
      traffic,
      clock: new FakeClock(),
      gates: [new ScriptedGate('a', () => pass)],
      log,
      recordPhase: async phase => {
        recorded.push(phase)
        if (phase === 'promoted') throw new Error('AddTags: AccessDenied')
      }
    })
    const result = await runRollout(spec({ plan }), d)
    expect(result.outcome.result).toBe('promoted')
    expect(result.failed).toBe(false)
    expect(traffic.tenths).toBe(1000)
    expect(traffic.writes.some(w => w.kind === 'restore')).toBe(false)
    expect(recorded.filter(p => p === 'promoted').length).toBeGreaterThan(2)
    const warning = log.lines.filter(l => l.startsWith('warning: Promoted:')).join('\n')
    expect(warning).toContain('aws elbv2 add-tags')
    expect(warning).toContain('Key=ecs-canary:phase,Value=promoted')
    expect(warning).toContain('Key=ecs-canary:live,Value=web-green')
  })
})
