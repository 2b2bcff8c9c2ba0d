/**
 * The bake loop: polls every gate while a stage bakes, extends once when a gate lacks data, and
 * throws the engine's verdicts (`GateFailure`, `NotEnoughData`, `Cancelled`) for it to act on.
 */
import { formatDuration, percentText } from './plan.js'
import type { RolloutDeps, RolloutSpec } from './ports.js'
import type { Gate, StageRecord } from './types.js'

/** The job was cancelled (SIGINT/SIGTERM): restore traffic. */
export class Cancelled extends Error {
  override name = 'Cancelled'
}

/** A gate said no: roll back with this reason. */
export class GateFailure extends Error {
  override name = 'GateFailure'
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
  let blind = 0
  const heartbeatMs = Math.min(30_000, Math.max(spec.pollMs, Math.floor(bakeMs / 4)))
  let nextHeartbeat = startedAt + heartbeatMs
  for (let poll = 0; ; poll++) {
    throwIfCancelled(deps.signal)
    const now = clock.now()
    const readings = await readGates(deps.gates, startedAt, now, deps.signal)
    throwIfCancelled(deps.signal)
    if (readings instanceof Error) {
      blind++
      log.warn(`Could not read the gates (${blind}/${spec.blindPolls}): ${readings.message}`)
      if (poll === 0) await deps.reporter.firstReading?.(stage, spec.plan.length)
      if (blind >= spec.blindPolls) {
        throw new GateFailure(
          `the alarms could not be read for ${blind} polls in a row (${readings.message}); a rollout that cannot be watched is not safe`
        )
      }
    } else {
      blind = 0
      stage.detail = readings
        .map(r => r.detail)
        .filter(Boolean)
        .join(' · ')
      if (poll === 0) await deps.reporter.firstReading?.(stage, spec.plan.length)
      const failed = readings.filter(r => r.verdict === 'fail')
      if (failed.length > 0) throw new GateFailure(failed.map(r => r.reason).join('; '))
      const waiting = readings.filter(r => r.verdict === 'wait')
      if (now >= endsAt) {
        if (waiting.length === 0) return
        const why = waiting.map(r => r.reason).join('; ')
        if (extended) throw new NotEnoughData(`held at ${percentText(stage.tenths)}: ${why}`)
        extended = true
        endsAt += bakeMs
        log.info(`Extending the bake by ${formatDuration(bakeMs)} to gather data: ${why}`)
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
 * wait for a slow read (a stalled API holds one for four attempts × 4 s).
 */
export async function readGates(
  gates: readonly Gate[],
  stageStartedAt: number,
  now: number,
  signal: AbortSignal
) {
  let onAbort = () => undefined as void
  const cancelled = new Promise<Error>(resolve => {
    onAbort = () => resolve(new Cancelled('the job was cancelled'))
    signal.addEventListener('abort', onAbort, { once: true })
  })
  try {
    const reads = Promise.all(gates.map(g => g.read({ stageStartedAt, now })))
    return await Promise.race([reads, cancelled])
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error))
  } finally {
    signal.removeEventListener('abort', onAbort)
  }
}

/** Throws `Cancelled` once the run's signal is aborted. */
export function throwIfCancelled(signal: AbortSignal) {
  if (signal.aborted) throw new Cancelled('the job was cancelled')
}
