/**
 * Reads the weights off the rules, straight from moto, while the action runs: what the demo
 * narrates is what the load balancer would do, not what the action says it did.
 */
import { readWeights } from '../__tests__/e2e/support/fixture.js'
import type { Stack } from '../__tests__/e2e/support/fixture.js'

/** The new service's share, the same on every rule (or undefined while they differ). */
export interface Reading {
  /** Percent on the idle (new) service, to 0.1. */
  percent: number | undefined
  idleWeight: number
  liveWeight: number
  at: number
}

/** Polls `rules` every `everyMs` and calls `onChange` when the common share changes. */
export class WeightWatcher {
  private timer: NodeJS.Timeout | undefined
  private last: number | undefined
  private stopped = false

  constructor(
    private readonly stack: Stack,
    private readonly rules: readonly string[],
    private readonly groups: { live: string; idle: string },
    private readonly onChange: (reading: Reading) => void,
    private readonly everyMs = 100
  ) {}

  /** One read of every rule. */
  async read(): Promise<Reading> {
    const at = Date.now()
    const views = await Promise.all(this.rules.map(rule => readWeights(this.stack.aws, rule)))
    const shares = views.map(view => {
      const idle = view.weights[this.groups.idle] ?? 0
      const live = view.weights[this.groups.live] ?? 0
      return { idle, live, percent: idle + live > 0 ? (100 * idle) / (idle + live) : NaN }
    })
    const first = shares[0]
    const same = shares.every(s => Math.abs(s.percent - first.percent) < 0.05)
    return {
      percent: same ? Math.round(first.percent * 10) / 10 : undefined,
      idleWeight: first.idle,
      liveWeight: first.live,
      at
    }
  }

  /** Starts polling; a change is reported relative to `initialPercent` (the share at start). */
  start(initialPercent?: number): void {
    this.last = initialPercent
    const tick = async (): Promise<void> => {
      if (this.stopped) return
      try {
        const reading = await this.read()
        if (reading.percent !== undefined && reading.percent !== this.last) {
          this.last = reading.percent
          this.onChange(reading)
        }
      } catch {
        // A read racing a write or the end of the demo: the next tick reads again.
      }
      if (!this.stopped) this.timer = setTimeout(() => void tick(), this.everyMs)
    }
    void tick()
  }

  stop(): void {
    this.stopped = true
    clearTimeout(this.timer)
  }
}
