/**
 * The alarm gate: any named CloudWatch alarm in ALARM fails the stage.
 */
import type { AlarmView, Gate, GateReading, Log } from '../types.js'

/** What the gate needs from CloudWatch: the names it watches and their current states. */
export interface AlarmReader {
  readonly names: readonly string[]
  /** One read of every named alarm that exists. Throws when CloudWatch cannot be read. */
  describe(): Promise<AlarmView[]>
}

/** The `insufficient-data` input: how an alarm without data counts. */
export type InsufficientDataPolicy = 'ok' | 'alarm'

/**
 * Reads the alarms once per `read()`. Errors from CloudWatch propagate: the engine counts
 * consecutive failures and decides when being blind is reason enough to roll back.
 */
export class AlarmGate implements Gate {
  readonly name = 'alarms'
  /** Alarms already warned about as INSUFFICIENT_DATA: one warning per run, not per poll. */
  private readonly warned = new Set<string>()
  /** Alarms seen in an earlier read, to tell "deleted meanwhile" from "never existed". */
  private readonly seen = new Set<string>()

  constructor(
    private readonly reader: AlarmReader,
    private readonly policy: InsufficientDataPolicy,
    private readonly log: Log
  ) {}

  /** The window does not matter: an alarm's state already covers its own evaluation period. */
  async read(_window?: {
    readonly stageStartedAt: number
    readonly now: number
  }): Promise<GateReading> {
    const views = new Map((await this.reader.describe()).map(v => [v.name, v]))
    const failures: string[] = []
    const states: string[] = []
    const failing: AlarmView[] = []
    for (const name of this.reader.names) {
      const view = views.get(name)
      if (!view) {
        failures.push(this.missingReason(name))
        states.push(`${name} MISSING`)
        continue
      }
      this.seen.add(name)
      states.push(`${name} ${view.state}`)
      if (view.state === 'ALARM') {
        failures.push(`alarm ${name} is in ALARM: ${view.reason}`)
        failing.push(view)
      } else if (view.state === 'INSUFFICIENT_DATA') {
        if (this.policy === 'alarm') {
          failures.push(
            `alarm ${name} is INSUFFICIENT_DATA, which counts as ALARM (insufficient-data: alarm): ${view.reason}`
          )
          failing.push(view)
        } else {
          this.warnOnce(view)
        }
      }
    }
    return {
      verdict: failures.length > 0 ? 'fail' : 'pass',
      reason: failures.join('; '),
      detail: states.length > 0 ? states.join(' · ') : 'no alarms',
      ...(failures.length > 0 ? { evidence: { gate: 'alarms', alarms: failing } } : {})
    }
  }

  private missingReason(name: string): string {
    return this.seen.has(name)
      ? `alarm ${name} no longer exists: it was deleted or renamed during the rollout, so it can no longer be watched`
      : `alarm ${name} does not exist in this account and region: check the name in the alarms input`
  }

  private warnOnce(view: AlarmView): void {
    if (this.warned.has(view.name)) return
    this.warned.add(view.name)
    const why = view.reason ? ` (${view.reason})` : ''
    this.log.warn(
      `Alarm ${view.name} is INSUFFICIENT_DATA${why}; counting it as OK because insufficient-data is 'ok'. Set insufficient-data: alarm to stop on missing data instead.`
    )
  }
}
