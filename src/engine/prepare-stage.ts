/**
 * Readying a stage before its weight moves (`beforeShift`: follow's scale-up), with the gates
 * still watched: the canary keeps the previous stage's share while it scales, for as long as
 * `service-timeout`, and an alarm in that time must roll back as it would while baking.
 */
import { GateFailure, readGates } from './bake.js'
import { percentText } from './plan.js'
import type { RolloutDeps, RolloutSpec } from './ports.js'
import type { GateReading, Stage } from './types.js'

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/**
 * Runs `deps.beforeShift(stage)`. While traffic is on the canary (`watchFrom` is the start of the
 * stage that holds it), the gates are read every poll: a failing gate, or as many failed reads
 * in a row as make a bake blind, aborts the preparation and throws `GateFailure`. A failed
 * preparation throws naming the stage it kept from starting.
 */
export async function prepareStage(
  spec: RolloutSpec,
  deps: RolloutDeps,
  stage: Stage,
  watchFrom: number | undefined
): Promise<void> {
  if (!deps.beforeShift) return
  const stop = new AbortController()
  const signal = AbortSignal.any([deps.signal, stop.signal])
  let settled = false
  const work = deps.beforeShift(stage, signal).finally(() => {
    settled = true
  })
  const at = `stage ${spec.plan.indexOf(stage) + 1}/${spec.plan.length} (${percentText(stage.tenths)})`
  try {
    if (watchFrom !== undefined && deps.gates.length > 0) {
      await watch(spec, deps, work, () => settled, watchFrom, stop)
    }
    await work
  } catch (error) {
    if (error instanceof GateFailure || deps.signal.aborted) throw error
    throw new Error(`${at} could not start: ${messageOf(error)}`, { cause: error })
  }
}

async function watch(
  spec: RolloutSpec,
  deps: RolloutDeps,
  work: Promise<void>,
  settled: () => boolean,
  stageStartedAt: number,
  stop: AbortController
): Promise<void> {
  const { clock } = deps
  let blind = 0
  // A failed preparation surfaces through `await work` in the caller; here it only ends the wait.
  const done = work.then(
    () => undefined,
    () => undefined
  )
  for (;;) {
    await Promise.race([done, clock.sleep(spec.pollMs, deps.signal)])
    if (settled() || deps.signal.aborted) return
    const readings = await readGates(deps.gates, { stageStartedAt, now: clock.now() }, deps.signal)
    if (settled() || deps.signal.aborted) return
    let failure: string | undefined
    let evidence: GateReading['evidence']
    if (readings instanceof Error) {
      blind++
      deps.log.warn(`Could not read the gates (${blind}/${spec.blindPolls}): ${readings.message}`)
      if (blind >= spec.blindPolls) {
        failure = `the gates could not be read for ${blind} polls in a row while the canary scaled (${readings.message})`
      }
    } else {
      blind = 0
      // A failure comes alone: readGates answers with it the moment it arrives.
      const failed = readings.find(r => r.verdict === 'fail')
      failure = failed?.reason
      evidence = failed?.evidence
    }
    if (failure !== undefined) {
      stop.abort()
      await done
      throw new GateFailure(failure, evidence)
    }
  }
}
