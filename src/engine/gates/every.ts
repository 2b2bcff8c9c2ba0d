/**
 * A gate read at most once per interval. The engine polls at the fastest pace any gate needs
 * (the health gate at least every 10 s); gates with their own pace keep it through this.
 */
import type { Clock, Gate, GateReading } from '../types.js'

/** Reads `gate` when `everyMs` has passed since its last good read; else answers that read. */
export class EveryGate implements Gate {
  private last: { at: number; reading: GateReading } | undefined

  constructor(
    private readonly gate: Gate,
    private readonly everyMs: number,
    private readonly clock: Clock
  ) {}

  get name(): string {
    return this.gate.name
  }

  async read(window: { readonly stageStartedAt: number; readonly now: number }) {
    const now = this.clock.now()
    // A new stage is judged on its own reads, never on one taken before it began.
    const fresh =
      this.last && this.last.at >= window.stageStartedAt && now - this.last.at < this.everyMs
    if (fresh && this.last) return this.last.reading
    const reading = await this.gate.read(window)
    this.last = { at: now, reading }
    return reading
  }
}
