import { getEventListeners } from 'node:events'
import { describe, expect, it } from '@jest/globals'
import { Cancelled, GateFailure, NotEnoughData, bake, readGates } from '../../src/engine/bake.js'
import type { Reporter } from '../../src/engine/ports.js'
import type { Gate, GateReading, StageRecord } from '../../src/engine/types.js'
import { FakeClock, FakeTraffic, MemoryLog, ScriptedGate, deps, pass, spec } from './fakes.js'

// The bake loop driven on its own: one stage, a fake clock, gates on a script.

const SEC = 1000

function stageAt(clock: FakeClock, tenths = 50): StageRecord {
  return { index: 0, tenths, startedAt: clock.now(), status: 'baking', detail: '' }
}

interface Beat {
  elapsed: number
  total: number
}

/** A bake with a reporter that records heartbeats and first readings. */
function setup(gates: Gate[], over: { pollMs?: number; lateDataMs?: number; blindPolls?: number }) {
  const clock = new FakeClock()
  const beats: Beat[] = []
  const firsts: string[] = []
  const reporter: Reporter = {
    stageStarted: async () => undefined,
    firstReading: async s => void firsts.push(s.detail),
    heartbeat: (_s, elapsed, total) => void beats.push({ elapsed, total })
  }
  const log = new MemoryLog()
  const d = deps({ traffic: new FakeTraffic(), clock, gates, log, reporter })
  const s = spec({ pollMs: over.pollMs ?? 5 * SEC, blindPolls: over.blindPolls ?? 3, ...over })
  const stage = stageAt(clock)
  return { clock, beats, firsts, log, stage, s, d: d.deps, controller: d.controller }
}

const wait = (reason: string, late?: boolean): GateReading => ({
  verdict: 'wait',
  reason,
  detail: '',
  ...(late === undefined ? {} : { late })
})

describe('the verdicts bake throws', () => {
  it('are named after their class', () => {
    expect(new Cancelled('x').name).toBe('Cancelled')
    expect(new GateFailure('x').name).toBe('GateFailure')
    expect(new NotEnoughData('x').name).toBe('NotEnoughData')
  })

  it('says the job was cancelled when the signal is already aborted', async () => {
    const t = setup([new ScriptedGate('alarms', () => pass)], {})
    t.controller.abort()
    const error = await bake(t.s, t.d, t.stage, 60 * SEC).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(Cancelled)
    expect((error as Error).message).toBe('the job was cancelled')
  })
})

describe('the heartbeat while a stage bakes', () => {
  it('comes every quarter of a short bake, on the dot', async () => {
    const t = setup([new ScriptedGate('alarms', () => pass)], { pollMs: 5 * SEC })
    await bake(t.s, t.d, t.stage, 60 * SEC)
    expect(t.beats).toEqual([
      { elapsed: 15 * SEC, total: 60 * SEC },
      { elapsed: 30 * SEC, total: 60 * SEC },
      { elapsed: 45 * SEC, total: 60 * SEC }
    ])
  })

  it('comes every 30 s in a long bake', async () => {
    const t = setup([new ScriptedGate('alarms', () => pass)], { pollMs: 5 * SEC })
    await bake(t.s, t.d, t.stage, 120 * SEC)
    expect(t.beats.map(b => b.elapsed)).toEqual([30 * SEC, 60 * SEC, 90 * SEC])
  })

  it('comes no more often than the poll interval', async () => {
    const t = setup([new ScriptedGate('alarms', () => pass)], { pollMs: 20 * SEC })
    await bake(t.s, t.d, t.stage, 60 * SEC)
    expect(t.beats.map(b => b.elapsed)).toEqual([20 * SEC, 40 * SEC])
  })
})

describe('the poll schedule', () => {
  it('ends the bake on time when the bake is not a whole number of polls', async () => {
    const gate = new ScriptedGate('alarms', () => pass)
    const t = setup([gate], { pollMs: 5 * SEC })
    const start = t.clock.now()
    await bake(t.s, t.d, t.stage, 12 * SEC)
    expect(t.clock.now() - start).toBe(12 * SEC)
    expect(gate.reads).toBe(4)
  })
})

describe('the detail line of a stage', () => {
  it('joins the gates with a dot and leaves out a gate without one', async () => {
    const t = setup(
      [
        new ScriptedGate('alarms', () => ({ verdict: 'pass', reason: '', detail: 'web-5xx OK' })),
        new ScriptedGate('health', () => ({ verdict: 'pass', reason: '', detail: '' })),
        new ScriptedGate('analysis', () => ({ verdict: 'pass', reason: '', detail: '0.1% errors' }))
      ],
      {}
    )
    await bake(t.s, t.d, t.stage, 10 * SEC)
    expect(t.stage.detail).toBe('web-5xx OK · 0.1% errors')
    expect(t.firsts).toEqual(['web-5xx OK · 0.1% errors'])
  })
})

describe('blind polls', () => {
  it('report the first reading once, on the first poll, though reads keep failing', async () => {
    const t = setup(
      [new ScriptedGate('alarms', (_now, read) => (read < 2 ? new Error('Throttling') : pass))],
      { blindPolls: 3 }
    )
    await bake(t.s, t.d, t.stage, 30 * SEC)
    expect(t.firsts).toEqual([''])
    expect(t.log.lines).toEqual([
      'warning: Could not read the alarms gate (1/3): alarms: Throttling',
      'warning: Could not read the alarms gate (2/3): alarms: Throttling'
    ])
  })

  it('name every gate that could not be read, each with its error', async () => {
    const t = setup(
      [
        new ScriptedGate('alarms', () => new Error('AccessDenied')),
        new ScriptedGate('health', () => pass),
        new ScriptedGate('analysis', () => new Error('Throttling'))
      ],
      { blindPolls: 1 }
    )
    const error = await bake(t.s, t.d, t.stage, 30 * SEC).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(GateFailure)
    expect((error as Error).message).toBe(
      'the alarms and analysis gates could not be read for 1 polls in a row (alarms: AccessDenied; analysis: Throttling); a rollout that cannot be watched is not safe'
    )
  })

  it('list three gates with commas and a final "and"', async () => {
    const broken = (name: string) => new ScriptedGate(name, () => new Error('down'))
    const t = setup([broken('alarms'), broken('health'), broken('analysis')], { blindPolls: 2 })
    await expect(bake(t.s, t.d, t.stage, 30 * SEC)).rejects.toThrow(
      'the alarms, health and analysis gates could not be read for 2 polls'
    )
    expect(t.log.lines[0]).toBe(
      'warning: Could not read the alarms, health and analysis gates (1/2): alarms: down; health: down; analysis: down'
    )
  })

  it('call them "the gates" when a gate throws before it even starts reading', async () => {
    const sync: Gate = {
      name: 'alarms',
      read: () => {
        throw new Error('no client')
      }
    }
    const t = setup([sync], { blindPolls: 1 })
    await expect(bake(t.s, t.d, t.stage, 30 * SEC)).rejects.toThrow(
      'the gates could not be read for 1 polls in a row (no client)'
    )
    expect(t.log.lines).toEqual(['warning: Could not read the gates (1/1): no client'])
  })
})

describe('gates that wait at the end of the bake', () => {
  it('extend the bake once, giving every reason', async () => {
    const t = setup(
      [
        new ScriptedGate('alarms', () => wait('web-5xx has no data')),
        new ScriptedGate('analysis', () => wait('too few requests'))
      ],
      {}
    )
    const error = await bake(t.s, t.d, t.stage, 10 * SEC).catch((e: unknown) => e)
    expect(t.log.lines).toEqual([
      'Extending the bake by 10s to gather data: web-5xx has no data; too few requests'
    ])
    expect(error).toBeInstanceOf(NotEnoughData)
    expect((error as Error).message).toBe('held at 5%: web-5xx has no data; too few requests')
  })

  it('extend the bake when only some of the waits are for late data', async () => {
    const t = setup(
      [
        new ScriptedGate('alarms', () => wait('web-5xx has no data', false)),
        new ScriptedGate('analysis', () => wait('metrics of 12:04 not in yet', true))
      ],
      { lateDataMs: 60 * SEC }
    )
    await expect(bake(t.s, t.d, t.stage, 10 * SEC)).rejects.toThrow(NotEnoughData)
    expect(t.log.lines[0]).toBe(
      'Extending the bake by 10s to gather data: web-5xx has no data; metrics of 12:04 not in yet'
    )
  })

  it('hold for late data, saying so once, then pass on what was seen', async () => {
    const gate = new ScriptedGate('analysis', () => wait('metrics of 12:04 not in yet', true))
    const t = setup([gate], { pollMs: 5 * SEC, lateDataMs: 20 * SEC })
    const start = t.clock.now()
    await bake(t.s, t.d, t.stage, 10 * SEC)
    expect(t.log.lines).toEqual([
      'Holding 5% for up to 20s past the bake: metrics of 12:04 not in yet',
      'warning: Passing 5% without the data it waited 20s for: metrics of 12:04 not in yet'
    ])
    expect(t.clock.now() - start).toBe(30 * SEC)
    expect(gate.reads).toBe(7)
  })
})

describe('readGates', () => {
  const window = { stageStartedAt: 0, now: 0 }

  it('gives up on a slow read when the job is cancelled', async () => {
    const controller = new AbortController()
    const slow: Gate = { name: 'alarms', read: () => new Promise<GateReading>(() => undefined) }
    const result = readGates([slow], window, controller.signal)
    controller.abort()
    const error = await result
    expect(error).toBeInstanceOf(Cancelled)
    expect((error as Error).message).toBe('the job was cancelled')
  })

  it('leaves no listener on the signal, whatever the reads gave', async () => {
    const controller = new AbortController()
    await readGates([new ScriptedGate('alarms', () => pass)], window, controller.signal)
    await readGates([new ScriptedGate('alarms', () => new Error('x'))], window, controller.signal)
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0)
  })

  it('turns a non-Error thrown by a gate into an Error', async () => {
    const odd: Gate = {
      name: 'alarms',
      read: () => {
        throw 'plain text' as unknown as Error
      }
    }
    const error = await readGates([odd], window, new AbortController().signal)
    expect(error).toBeInstanceOf(Error)
    expect((error as Error).message).toBe('plain text')
  })

  it('names a rejection that is not an Error by its text', async () => {
    const odd = new ScriptedGate('alarms', () => pass)
    odd.read = () => Promise.reject('throttled' as unknown as Error)
    const error = await readGates([odd], window, new AbortController().signal)
    expect((error as Error).message).toBe('alarms: throttled')
  })
})
