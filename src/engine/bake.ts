/**
 * The bake loop: polls every gate while a stage bakes, extends once when a gate lacks data,
 * waits (bounded) past the end for data a gate says is late, and throws the engine's verdicts
 * (`GateFailure`, `NotEnoughData`, `Cancelled`) for it to act on.
 */
import { formatDuration, percentText } from './plan.js'
import type { RolloutDeps, RolloutSpec } from './ports.js'
import type { Evidence, Gate, GateReading, StageRecord } from './types.js'

/** The job was cancelled (SIGINT/SIGTERM): restore traffic. */
export class Cancelled extends Error {
  override name = 'Cancelled'
}

/** A gate said no: roll back with this reason. */
export class GateFailure extends Error {
  override name = 'GateFailure'
  constructor(
    message: string,
    /** What the failing gate saw, for the summary. */
    readonly evidence?: Evidence
  ) {
    super(message)
  }
}

/** A gate could not judge in time: hold traffic where it is. */
export class NotEnoughData extends Error {
  override name = 'NotEnoughData'
}

/** Bakes one stage: polls every gate each `pollMs` until the bake time has passed. */
export async function bake(
  spec: RolloutSpec,
  deps: RolloutDeps,
  stage: StageRecord,
  bakeMs: number
) {
  const { clock, log } = deps
  const startedAt = stage.startedAt
  let endsAt = startedAt + bakeMs
  let extended = false
  let heldForLate = false
  let blind = 0
  const heartbeatMs = Math.min(30_000, Math.max(spec.pollMs, Math.floor(bakeMs / 4)))
  let nextHeartbeat = startedAt + heartbeatMs
  for (let poll = 0; ; poll++) {
    throwIfCancelled(deps.signal)
    deps.heartbeat?.beat()
    const now = clock.now()
    const readings = await readGates(
      deps.gates,
      { stageStartedAt: startedAt, now, endsAt },
      deps.signal
    )
    throwIfCancelled(deps.signal)
    if (readings instanceof Error) {
      blind++
      const which = readings instanceof GateReadError ? readings.gatesText : 'gates'
      log.warn(`Could not read the ${which} (${blind}/${spec.blindPolls}): ${readings.message}`)
      if (poll === 0) await deps.reporter.firstReading?.(stage, spec.plan.length)
      if (blind >= spec.blindPolls) {
        throw new GateFailure(
          `the ${which} could not be read for ${blind} polls in a row (${readings.message}); a rollout that cannot be watched is not safe`
        )
      }
    } else {
      blind = 0
      stage.detail = readings
        .map(r => r.detail)
        .filter(Boolean)
        .join(' · ')
      if (poll === 0) await deps.reporter.firstReading?.(stage, spec.plan.length)
      // A failure comes alone: readGates answers with it the moment it arrives.
      const failed = readings.find(r => r.verdict === 'fail')
      if (failed) throw new GateFailure(failed.reason, failed.evidence)
      const waiting = readings.filter(r => r.verdict === 'wait')
      if (now >= endsAt) {
        if (waiting.length === 0) return
        const why = waiting.map(r => r.reason).join('; ')
        if (waiting.every(r => r.late)) {
          // Data on its way, not missing: wait for it, bounded, instead of extending the bake.
          const boundMs = spec.lateDataMs ?? 0
          if (now - endsAt >= boundMs) {
            log.warn(
              `Passing ${percentText(stage.tenths)} without the data it waited ${formatDuration(boundMs)} for: ${why}`
            )
            return
          }
          if (!heldForLate) {
            heldForLate = true
            log.info(
              `Holding ${percentText(stage.tenths)} for up to ${formatDuration(boundMs)} past the bake: ${why}`
            )
          }
        } else {
          if (extended) throw new NotEnoughData(`held at ${percentText(stage.tenths)}: ${why}`)
          extended = true
          endsAt += bakeMs
          log.info(`Extending the bake by ${formatDuration(bakeMs)} to gather data: ${why}`)
        }
      }
    }
    if (clock.now() >= nextHeartbeat) {
      deps.reporter.heartbeat(stage, clock.now() - startedAt, endsAt - startedAt)
      nextHeartbeat += heartbeatMs
    }
    // Past the end only a failed read keeps us here: retry it at the poll interval.
    const wake =
      now >= endsAt ? now + spec.pollMs : Math.min(startedAt + (poll + 1) * spec.pollMs, endsAt)
    await clock.sleep(Math.max(0, wake - clock.now()), deps.signal)
  }
}

/**
 * Reads every gate at once; an Error when any of them could not be read. A cancel does not
 * wait for a slow read (a stalled API holds one for four attempts × 4 s), and neither does a
 * gate that has already failed: its reading alone is enough to roll back, and the others (the
 * health gate's two reads next to DescribeAlarms) must not add their latency to the reaction.
 */
export async function readGates(
  gates: readonly Gate[],
  window: { readonly stageStartedAt: number; readonly now: number; readonly endsAt?: number },
  signal: AbortSignal
) {
  // Stryker disable next-line ArrowFunction: equivalent, the placeholder is replaced before any use
  let onAbort = () => undefined as void
  const cancelled = new Promise<Error>(resolve => {
    onAbort = () => resolve(new Cancelled('the job was cancelled'))
    // Stryker disable next-line ObjectLiteral,BooleanLiteral: equivalent, abort fires once and the finally removes the listener
    signal.addEventListener('abort', onAbort, { once: true })
  })
  try {
    const each = gates.map(g => g.read(window))
    const reads = Promise.allSettled(each).then(results => {
      const failed = gates.filter((_, i) => results[i].status === 'rejected')
      if (failed.length === 0) {
        return results.map(r => (r as PromiseFulfilledResult<GateReading>).value)
      }
      // Every gate that failed is named with its own error: a denied GetMetricData is the
      // analysis gate's, not "the alarms".
      const why = results.flatMap((r, i) =>
        r.status === 'rejected'
          ? [`${gates[i].name}: ${r.reason instanceof Error ? r.reason.message : String(r.reason)}`]
          : []
      )
      throw new GateReadError(
        failed.map(g => g.name),
        why.join('; ')
      )
    })
    const firstFailure = new Promise<GateReading[]>(resolve => {
      for (const read of each) {
        read.then(
          r => r.verdict === 'fail' && resolve([r]),
          () => undefined
        )
      }
    })
    return await Promise.race([reads, firstFailure, cancelled])
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error))
  } finally {
    signal.removeEventListener('abort', onAbort)
  }
}

/** Some gates could not be read: which ones (`alarms`, `analysis`...), and each one's error. */
class GateReadError extends Error {
  /** `alarms gate`, `alarms and analysis gates`: how messages name them. */
  readonly gatesText: string
  constructor(names: readonly string[], message: string) {
    super(message)
    this.gatesText =
      names.length === 1
        ? `${names[0]} gate`
        : `${names.slice(0, -1).join(', ')} and ${names.at(-1)} gates`
  }
}

/** Throws `Cancelled` once the run's signal is aborted. */
export function throwIfCancelled(signal: AbortSignal) {
  if (signal.aborted) throw new Cancelled('the job was cancelled')
}
