/** The run's heartbeat: when it writes, what it writes, and what it says when a write fails. */
import { describe, expect, it } from '@jest/globals'
import { Heartbeat, heartbeatValue } from '../../src/engine/heartbeat.js'
import type { Clock } from '../../src/engine/types.js'
import { MemoryLog } from './fakes.js'

const T0 = Date.UTC(2026, 11, 6, 3, 0, 0)

/** A clock whose sleeps end only when the test moves time past them (or they are aborted). */
class StepClock implements Clock {
  t = T0
  sleepers: { until: number; wake: () => void }[] = []
  now() {
    return this.t
  }
  sleep(ms: number, signal?: AbortSignal) {
    return new Promise<void>(resolve => {
      if (signal?.aborted) return resolve()
      const sleeper = {
        until: this.t + ms,
        wake: () => {
          this.sleepers = this.sleepers.filter(s => s !== sleeper)
          resolve()
        }
      }
      this.sleepers.push(sleeper)
      signal?.addEventListener('abort', sleeper.wake, { once: true })
    })
  }
  /** Moves time on, wakes whoever is due, and lets them run. */
  async advance(ms: number) {
    this.t += ms
    for (const s of this.sleepers.filter(s => s.until <= this.t)) s.wake()
    await settle()
  }
}

const settle = () => new Promise(resolve => setImmediate(resolve))

/** A write that records each value and can be told to fail or to hang. */
function writer() {
  const written: string[] = []
  const control = { fail: false, hang: false, release: () => undefined as void }
  const write = async (value: string) => {
    if (control.hang) await new Promise<void>(resolve => (control.release = resolve))
    if (control.fail) throw new Error('AddTags: Throttling')
    written.push(value)
  }
  return { written, control, write }
}

const warnings = (log: MemoryLog) => log.lines.filter(l => l.startsWith('warning: '))

describe('heartbeatValue', () => {
  it('is the UTC time to the second', () => {
    expect(heartbeatValue(T0 + 30_123)).toBe('2026-12-06T03:00:30Z')
  })
})

describe('Heartbeat.beat', () => {
  it('warns on the very first failed write, once, naming the error', async () => {
    const clock = new StepClock()
    const log = new MemoryLog()
    const { control, write } = writer()
    control.fail = true
    const beat = new Heartbeat(write, clock, log, 1_000)
    clock.t += 1_000
    beat.beat()
    await settle()
    clock.t += 1_000
    beat.beat()
    await settle()
    expect(warnings(log)).toEqual([
      'warning: Could not refresh the heartbeat on the rules (the watchdog may think this run is lost): AddTags: Throttling'
    ])
  })

  it('warns again for a new run of failures after a write that worked', async () => {
    const clock = new StepClock()
    const log = new MemoryLog()
    const { written, control, write } = writer()
    const beat = new Heartbeat(write, clock, log, 1_000)
    for (const fail of [true, false, true]) {
      control.fail = fail
      clock.t += 1_000
      beat.beat()
      await settle()
    }
    expect(written).toEqual(['2026-12-06T03:00:02Z'])
    expect(warnings(log)).toHaveLength(2)
  })

  it('does not start a second write while one is in flight, however late it gets', async () => {
    const clock = new StepClock()
    const { written, control, write } = writer()
    const beat = new Heartbeat(write, clock, new MemoryLog(), 1_000)
    control.hang = true
    clock.t += 1_000
    beat.beat()
    await settle()
    clock.t += 5_000
    beat.beat()
    await settle()
    expect(written).toEqual([])
    control.hang = false
    control.release()
    await settle()
    expect(written).toEqual(['2026-12-06T03:00:01Z'])
    beat.beat()
    await settle()
    expect(written).toEqual(['2026-12-06T03:00:01Z', '2026-12-06T03:00:06Z'])
  })
})

describe('Heartbeat.during', () => {
  it('beats at the start when due and every interval while the work runs, and stops with it', async () => {
    const clock = new StepClock()
    const { written, write } = writer()
    const beat = new Heartbeat(write, clock, new MemoryLog(), 1_000)
    clock.t += 1_500
    let finish = (_: string) => undefined as void
    const work = new Promise<string>(resolve => (finish = resolve))
    const done = beat.during(work)
    await settle()
    expect(written).toEqual(['2026-12-06T03:00:01Z'])
    await clock.advance(1_000)
    await clock.advance(1_000)
    expect(written).toEqual([
      '2026-12-06T03:00:01Z',
      '2026-12-06T03:00:02Z',
      '2026-12-06T03:00:03Z'
    ])
    finish('ready')
    await expect(done).resolves.toBe('ready')
    // Nothing left asleep, and no beat once the work is done.
    expect(clock.sleepers).toEqual([])
    await clock.advance(5_000)
    expect(written).toHaveLength(3)
  })

  it('does not write at the start when the last write is recent, and passes a failure on', async () => {
    const clock = new StepClock()
    const { written, write } = writer()
    const beat = new Heartbeat(write, clock, new MemoryLog(), 1_000)
    let fail = (_: Error) => undefined as void
    const work = new Promise<string>((_, reject) => (fail = reject))
    const done = beat.during(work)
    await settle()
    expect(written).toEqual([])
    await clock.advance(1_000)
    expect(written).toEqual(['2026-12-06T03:00:01Z'])
    fail(new Error('web-green is not stable'))
    await expect(done).rejects.toThrow('web-green is not stable')
    expect(clock.sleepers).toEqual([])
  })
})
