/**
 * The run's heartbeat: while it owns the rules it refreshes a timestamp on them, so the watchdog
 * (`mode: reconcile`) can tell a live owner from a lost runner. Best effort by design: a write
 * that fails is a warning, never a rollback, and nothing ever waits for one.
 */
import type { Clock, Log } from './types.js'

/** What the engine calls while it works; never throws and never blocks. */
export interface HeartbeatPort {
  beat(): void
}

/** How often the heartbeat is written: twice a minute keeps it "at least once a minute". */
export const HEARTBEAT_MS = 30_000

/** The heartbeat tag's value: UTC, to the second (ELB tag values allow `:`). */
export function heartbeatValue(now: number): string {
  // Without the milliseconds, the one `.` in an ISO time.
  return new Date(now).toISOString().replace(/\.\d+/, '')
}

/**
 * Throttled heartbeat writes. `beat()` may be called as often as wanted: it writes when the
 * last write is `everyMs` old and none is in flight. Made right after the rules are claimed,
 * whose record carries a heartbeat already, so the first write is due `everyMs` later.
 */
export class Heartbeat implements HeartbeatPort {
  private last: number
  private inFlight = false
  private warned = false

  constructor(
    private readonly write: (value: string) => Promise<void>,
    private readonly clock: Clock,
    private readonly log: Log,
    private readonly everyMs = HEARTBEAT_MS
  ) {
    this.last = clock.now()
  }

  beat(): void {
    const now = this.clock.now()
    if (this.inFlight || now - this.last < this.everyMs) return
    this.inFlight = true
    this.last = now
    this.write(heartbeatValue(now))
      .then(() => {
        this.warned = false
      })
      .catch((error: unknown) => {
        // Say it once per run of failures: a throttled tag API must not flood the log.
        if (!this.warned) {
          this.log.warn(
            `Could not refresh the heartbeat on the rules (the watchdog may think this run is lost): ${error instanceof Error ? error.message : String(error)}`
          )
        }
        this.warned = true
      })
      .finally(() => {
        this.inFlight = false
      })
  }

  /**
   * Beats every `everyMs` while `work` runs (the idle service's preparation can take as long as
   * `service-timeout`, with the rules claimed), and once at the start.
   */
  async during<T>(work: Promise<T>): Promise<T> {
    const stop = new AbortController()
    const loop = (async () => {
      while (!stop.signal.aborted) {
        this.beat()
        await this.clock.sleep(this.everyMs, stop.signal)
      }
    })()
    try {
      return await work
    } finally {
      stop.abort()
      await loop
    }
  }
}
