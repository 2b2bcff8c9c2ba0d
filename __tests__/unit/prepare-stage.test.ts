import { describe, expect, it } from '@jest/globals'
import { GateFailure } from '../../src/engine/bake.js'
import { prepareStage } from '../../src/engine/prepare-stage.js'
import type { Gate, GateReading } from '../../src/engine/types.js'
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

const plan = stagesOf([1, 10, 50, 100], 60_000)
const STAGE = plan[2]
const fail = (reason: string): GateReading => ({ verdict: 'fail', reason, detail: '' })

/**
 * A preparation that ends when the fake clock reaches `readyAfterMs` from now (the watch's
 * polls are what move it); it notes the abort it was given. Unwatched, nothing moves the clock:
 * it ends after 100 real ms instead, so that a test expecting a watch fails instead of hanging.
 */
function preparation(clock: FakeClock, readyAfterMs: number) {
  const start = clock.now()
  const seen = { aborted: false }
  const beforeShift = (_stage: unknown, signal: AbortSignal) =>
    new Promise<void>((resolve, reject) => {
      setTimeout(resolve, 100).unref()
      clock.onSleep = now => {
        if (now - start >= readyAfterMs) resolve()
      }
      signal.addEventListener('abort', () => {
        seen.aborted = true
        reject(new Error('stopped waiting'))
      })
    })
  return { beforeShift, seen }
}

/** The error `p` rejects with; fails the test if it resolves. */
async function failure(p: Promise<unknown>): Promise<Error> {
  try {
    await p
  } catch (error) {
    return error as Error
  }
  throw new Error('expected a rejection')
}

/** A preparation that ends after a few real milliseconds, whatever the fake clock does. */
const realTime = (ms: number) => () => new Promise<void>(resolve => setTimeout(resolve, ms))

describe('prepareStage', () => {
  it('does nothing without a beforeShift hook', async () => {
    const clock = new FakeClock()
    const gate = new ScriptedGate('alarms', () => fail('alarm'))
    const { deps: d } = deps({ traffic: new FakeTraffic(), clock, gates: [gate] })
    await prepareStage(spec({ plan }), d, STAGE, clock.now())
    expect(gate.reads).toBe(0)
  })

  it('reads no gate while no stage holds traffic', async () => {
    const clock = new FakeClock()
    const gate = new ScriptedGate('alarms', () => fail('alarm web-5xx is in ALARM'))
    const { deps: d } = deps({
      traffic: new FakeTraffic(),
      clock,
      gates: [gate],
      beforeShift: realTime(5)
    })
    await prepareStage(spec({ plan }), d, STAGE, undefined)
    expect(gate.reads).toBe(0)
  })

  it('does not poll when there are no gates to watch', async () => {
    const clock = new FakeClock()
    const started = clock.now()
    // Ready after a few real milliseconds, or at the first poll if one came.
    const beforeShift = () =>
      new Promise<void>(resolve => {
        setTimeout(resolve, 5)
        clock.onSleep = () => resolve()
      })
    const { deps: d } = deps({ traffic: new FakeTraffic(), clock, beforeShift })
    await prepareStage(spec({ plan }), d, STAGE, started - 60_000)
    expect(clock.now()).toBe(started)
  })

  it('reads the gates every poll with the stage start as the window, until it is ready', async () => {
    const clock = new FakeClock()
    const started = clock.now()
    const windows: { stageStartedAt: number; now: number }[] = []
    const gate: Gate = {
      name: 'alarms',
      read: async window => {
        windows.push({ ...window })
        return pass
      }
    }
    const { beforeShift, seen } = preparation(clock, 12_000)
    const { deps: d } = deps({
      traffic: new FakeTraffic(),
      clock,
      gates: [gate, gate],
      beforeShift
    })
    await prepareStage(spec({ plan }), d, STAGE, started - 30_000)

    // Polls at 5 s and 10 s read both gates; at 15 s it is ready, and nothing more is read.
    expect(windows).toEqual([
      { stageStartedAt: started - 30_000, now: started + 5_000 },
      { stageStartedAt: started - 30_000, now: started + 5_000 },
      { stageStartedAt: started - 30_000, now: started + 10_000 },
      { stageStartedAt: started - 30_000, now: started + 10_000 }
    ])
    expect(seen.aborted).toBe(false)
    expect(clock.now()).toBe(started + 15_000)
  })

  it('does not act on a reading taken while the preparation finished', async () => {
    const clock = new FakeClock()
    let ready = () => undefined as void
    const gate: Gate = {
      name: 'alarms',
      read: async () => {
        ready()
        await new Promise(setImmediate)
        return fail('alarm web-5xx is in ALARM')
      }
    }
    const { deps: d } = deps({
      traffic: new FakeTraffic(),
      clock,
      gates: [gate],
      beforeShift: () =>
        new Promise<void>(resolve => {
          ready = resolve
        })
    })
    await expect(prepareStage(spec({ plan }), d, STAGE, clock.now())).resolves.toBeUndefined()
  })

  it('aborts the preparation and throws GateFailure when a gate fails meanwhile', async () => {
    const clock = new FakeClock()
    const gate = new ScriptedGate('alarms', (_now, read) =>
      read < 2 ? pass : fail('alarm web-5xx is in ALARM')
    )
    const { beforeShift, seen } = preparation(clock, 120_000)
    const { deps: d } = deps({ traffic: new FakeTraffic(), clock, gates: [gate], beforeShift })

    const error = await failure(prepareStage(spec({ plan }), d, STAGE, clock.now()))

    expect(error).toBeInstanceOf(GateFailure)
    expect(error.message).toBe('alarm web-5xx is in ALARM')
    expect(seen.aborted).toBe(true)
    expect(gate.reads).toBe(3)
  })

  it('counts failed reads in a row, and fails blind at blindPolls', async () => {
    const clock = new FakeClock()
    const log = new MemoryLog()
    // Two failed reads, a good one (the count starts over), then three failed reads.
    const gate = new ScriptedGate('alarms', (_now, read) =>
      read === 2 ? pass : new Error('DescribeAlarms: Throttling')
    )
    const { beforeShift, seen } = preparation(clock, 120_000)
    const { deps: d } = deps({ traffic: new FakeTraffic(), clock, gates: [gate], log, beforeShift })

    const error = await failure(prepareStage(spec({ plan, blindPolls: 3 }), d, STAGE, clock.now()))

    expect(error).toBeInstanceOf(GateFailure)
    expect(error.message).toBe(
      'the gates could not be read for 3 polls in a row while the canary scaled (alarms: DescribeAlarms: Throttling)'
    )
    expect(seen.aborted).toBe(true)
    expect(gate.reads).toBe(6)
    expect(log.lines).toEqual([
      'warning: Could not read the gates (1/3): alarms: DescribeAlarms: Throttling',
      'warning: Could not read the gates (2/3): alarms: DescribeAlarms: Throttling',
      'warning: Could not read the gates (1/3): alarms: DescribeAlarms: Throttling',
      'warning: Could not read the gates (2/3): alarms: DescribeAlarms: Throttling',
      'warning: Could not read the gates (3/3): alarms: DescribeAlarms: Throttling'
    ])
  })

  it('names the stage it kept from starting, keeping the error as the cause', async () => {
    const clock = new FakeClock()
    const cause = new Error('web-green is not stable: 1/2 running')
    const { deps: d } = deps({
      traffic: new FakeTraffic(),
      clock,
      beforeShift: async () => {
        throw cause
      }
    })
    const error = await failure(prepareStage(spec({ plan }), d, STAGE, undefined))
    expect(error.message).toBe(
      'stage 3/4 (50%) could not start: web-green is not stable: 1/2 running'
    )
    expect(error.cause).toBe(cause)
  })

  it('names a failure thrown as a string', async () => {
    const clock = new FakeClock()
    const { deps: d } = deps({
      traffic: new FakeTraffic(),
      clock,
      beforeShift: () => Promise.reject('UpdateService: throttled')
    })
    await expect(prepareStage(spec({ plan }), d, plan[0], undefined)).rejects.toThrow(
      'stage 1/4 (1%) could not start: UpdateService: throttled'
    )
  })

  it('passes a cancel through as it is', async () => {
    const clock = new FakeClock()
    const cancelled = new Error('the job was cancelled')
    const { deps: d, controller } = deps({
      traffic: new FakeTraffic(),
      clock,
      beforeShift: async () => {
        controller.abort()
        throw cancelled
      }
    })
    await expect(prepareStage(spec({ plan }), d, STAGE, undefined)).rejects.toBe(cancelled)
  })
})
