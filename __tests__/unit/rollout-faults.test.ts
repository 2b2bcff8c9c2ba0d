import { describe, expect, it } from '@jest/globals'
import { runRollout } from '../../src/engine/rollout.js'
import type { PhaseRecorder } from '../../src/engine/rollout.js'
import type { Gate, GateReading, RuleView } from '../../src/engine/types.js'
import { deps, FakeClock, FakeTraffic, pass, ScriptedGate, spec, stagesOf } from './fakes.js'

const plan = stagesOf([10, 50, 100], 60_000)

/** Rules whose first read (the check before the first shift) fails. */
class UnreadableTraffic extends FakeTraffic {
  override async read(): Promise<RuleView[]> {
    throw new Error('DescribeRules failed for rule-1: Throttling: Rate exceeded')
  }
}

/** A gate whose reads never answer from the `from`th on, calling `onStall` when one starts. */
class StallingGate implements Gate {
  readonly name = 'alarms'
  reads = 0
  constructor(
    private readonly from: number,
    private readonly onStall: () => void
  ) {}
  read(): Promise<GateReading> {
    if (++this.reads < this.from) return Promise.resolve(pass)
    this.onStall()
    return new Promise(() => undefined)
  }
}

describe('runRollout under faults', () => {
  it('frees the rules it claimed when it fails before its first write', async () => {
    const traffic = new UnreadableTraffic()
    const { deps: d, phases } = deps({ traffic, clock: new FakeClock() })

    const result = await runRollout(spec({ plan }), d)

    expect(result.outcome.result).toBe('unchanged')
    expect(traffic.writes).toEqual([])
    expect(phases).toEqual([
      { phase: 'rolled-back', reason: 'DescribeRules failed for rule-1: Throttling: Rate exceeded' }
    ])
  })

  it('frees the rules, writing no weight, when they changed before its first write', async () => {
    const traffic = new FakeTraffic()
    traffic.rules[0].idle = 5
    const { deps: d, phases } = deps({ traffic, clock: new FakeClock() })

    const result = await runRollout(spec({ plan }), d)

    expect(result.outcome.result).toBe('unchanged')
    expect(traffic.writes).toEqual([])
    expect(phases.map(p => p.phase)).toEqual(['rolled-back'])
    expect(phases[0].reason).toMatch(/^the weights changed under this run/)
  })

  it('rolls back at once when cancelled while an alarm read hangs', async () => {
    const traffic = new FakeTraffic()
    const controller = new AbortController()
    const gate = new StallingGate(3, () => setImmediate(() => controller.abort()))
    const { deps: d } = deps({
      traffic,
      clock: new FakeClock(),
      gates: [gate],
      signal: controller.signal
    })

    const result = await runRollout(spec({ plan }), d)

    expect(result.outcome).toMatchObject({
      result: 'rolled-back',
      reason: 'cancelled: traffic restored to web-blue'
    })
    expect(traffic.tenths).toBe(0)
  })

  it('does not say traffic was restored when the restore after a cancel fails', async () => {
    const traffic = new FakeTraffic()
    traffic.failRestore = true
    const clock = new FakeClock()
    const { deps: d, controller } = deps({
      traffic,
      clock,
      gates: [new ScriptedGate('a', () => pass)]
    })
    clock.onSleep = () => controller.abort()

    const result = await runRollout(spec({ plan }), d)

    expect(result.outcome.reason).toMatch(
      /^the job was cancelled; and traffic could NOT be restored to web-blue: /
    )
    expect(result.restoreCommands).toHaveLength(2)
  })

  it('gives the record of a cancelled rollout a time limit, the runner’s kill being near', async () => {
    const traffic = new FakeTraffic()
    const clock = new FakeClock()
    const limits: (number | undefined)[] = []
    const recordPhase: PhaseRecorder = async (_phase, _reason, opts) =>
      void limits.push(opts?.withinMs)
    const { deps: d, controller } = deps({
      traffic,
      clock,
      gates: [new ScriptedGate('a', () => pass)],
      recordPhase
    })
    clock.onSleep = () => controller.abort()

    await runRollout(spec({ plan }), d)

    expect(limits).toEqual([1_500])
  })
})
