/**
 * The engine: walks the stages, bakes each against the gates, and puts traffic back on the live
 * service the moment anything is wrong. It talks only to the small ports of `ports.ts`, so it
 * runs against fakes and a fake clock in milliseconds. The bake loop is in `bake.ts`, the drift
 * check in `drift.ts`.
 */
import { bake, Cancelled, GateFailure, NotEnoughData, throwIfCancelled } from './bake.js'
import { DriftError, expectShare } from './drift.js'
import { prepareStage } from './prepare-stage.js'
import { formatDuration, percentText } from './plan.js'
import type { RolloutDeps, RolloutResult, RolloutSpec } from './ports.js'
import { recordPromotion } from './promotion.js'
import type {
  GateReading,
  Outcome,
  Phase,
  Plan,
  RolloutRecord,
  Stage,
  StageRecord,
  Tenths
} from './types.js'

// Kept here so the engine's callers import one module; each lives in its own file.
export { DriftError, describeShare, expectShare, type ServiceNames } from './drift.js'
export type {
  PhaseRecorder,
  Reporter,
  RolloutDeps,
  RolloutResult,
  RolloutSpec,
  TrafficPort
} from './ports.js'

/** What a record may take under a cancel, after the restore's 6 s, within the runner's 10 s. */
const CANCEL_RECORD_MS = 1_500

/** Runs the stages of `spec.plan` above `spec.fromTenths`. Never throws. */
export async function runRollout(spec: RolloutSpec, deps: RolloutDeps): Promise<RolloutResult> {
  const { clock, log, traffic } = deps
  const record: RolloutRecord = { startedAt: clock.now(), stages: [], timeline: [] }
  record.timeline.push({ at: clock.now(), tenths: spec.fromTenths })
  let current = spec.fromTenths
  let wrote = false
  const finish = (outcome: Outcome, failed: boolean, restoreCommands?: string[]): RolloutResult => {
    record.outcome = outcome
    // A safety net: every ending below sets its stage's end before it gets here.
    // Stryker disable next-line UnaryOperator: equivalent, every stage is ended by then
    const last = record.stages.at(-1)
    // Stryker disable next-line ConditionalExpression: equivalent, every stage is ended by then
    if (last && !last.endedAt) last.endedAt = clock.now()
    return { outcome, record, failed, ...(restoreCommands ? { restoreCommands } : {}) }
  }
  const outcome = (result: Outcome['result'], tenths: Tenths, reason: string): Outcome => {
    const swapped = result === 'promoted'
    return {
      result,
      tenths,
      reason,
      liveService: swapped ? spec.idleService : spec.liveService,
      idleService: swapped ? spec.liveService : spec.idleService
    }
  }

  try {
    // Before each shift the weights must be what this run left: read here for the first, and
    // at the end of each bake for the others (the same moment, so not read twice).
    const names = { live: spec.liveService, idle: spec.idleService }
    // Where the test rules stand: on live until this run opens the test route.
    let testAt = spec.testTenths ?? 0
    await expectShare(traffic, spec.groups, current, names, deps.signal, testAt)
    for (const stage of spec.plan) {
      // A 0% stage runs once, to open the test route; a promote from it goes on above.
      const zeroToOpen = stage.tenths === 0 && testAt === 0
      if (stage.tenths < spec.fromTenths) continue
      if (stage.tenths === spec.fromTenths && !zeroToOpen) continue
      throwIfCancelled(deps.signal)
      // Watched from the start of the stage that holds traffic: none before this run's first shift.
      await prepareStage(spec, deps, stage, record.stages.at(-1)?.startedAt)
      throwIfCancelled(deps.signal)
      deps.heartbeat?.beat()
      wrote = true
      // Test traffic reaches the revision under test before any production traffic does.
      if (testAt === 0 && traffic.routeTests) {
        await traffic.routeTests(spec.groups, { signal: deps.signal })
      }
      testAt = 1000
      // A 0% stage moves no production weight: nothing to write there.
      if (stage.tenths !== current) {
        await traffic.shift(spec.groups, stage.tenths, { signal: deps.signal })
      }
      current = stage.tenths
      const stageRecord = startStage(record, spec.plan, stage, clock.now())
      // The reporter first: it opens the stage's log group, which the line below belongs in.
      await deps.reporter.stageStarted(record, stageRecord, spec.plan.length)
      log.info(
        `Stage ${stageRecord.index + 1}/${spec.plan.length}: ${percentText(stage.tenths)} on ${spec.idleService}` +
          (stage.bake.kind === 'bake'
            ? `, baking ${formatDuration(stage.bake.ms)}`
            : ', then pause')
      )
      if (stage.bake.kind === 'pause') {
        stageRecord.status = 'paused'
        stageRecord.endedAt = clock.now()
        await deps.recordPhase('paused', `paused at ${percentText(current)}`)
        return finish(
          outcome('paused', current, `paused at ${percentText(current)} as planned`),
          false
        )
      }
      await bake(spec, deps, stageRecord, stage.bake.ms)
      stageRecord.status = 'baked'
      stageRecord.endedAt = clock.now()
      await expectShare(traffic, spec.groups, current, names, deps.signal, testAt)
    }
    await recordPromotion(spec, deps)
    return finish(outcome('promoted', current, ''), false)
  } catch (error) {
    // A cancel can also surface as an ordinary error, from a write or read-back it cut short:
    // that is still a cancel. The engine's own verdicts (drift, a gate) keep their reasons.
    const verdict =
      error instanceof DriftError || error instanceof GateFailure || error instanceof NotEnoughData
    const cancelled = error instanceof Cancelled || (deps.signal.aborted && !verdict)
    const reason = cancelled ? cancelledReason(spec) : messageOf(error)
    const stageRecord = record.stages.at(-1)
    if (error instanceof GateFailure && error.evidence) record.evidence = error.evidence
    // Ends the stage the run was in: none when it failed before its first stage began.
    const endStage = (status: StageRecord['status']) => {
      if (stageRecord) {
        stageRecord.status = status
        stageRecord.endedAt = clock.now()
      }
    }
    // Nothing of this run reached the weights: free the rules it claimed for the next rollout.
    const release = async () => {
      await recordEnd(deps, cancelled, 'rolled-back', reason)
      return finish(outcome('unchanged', current, reason), true)
    }
    if (error instanceof DriftError) {
      // Never fight another actor: report what was found and write nothing to the weights.
      log.warn(reason)
      if (!wrote) return release()
      // Tell the share actually found, not the one this run last set.
      const found = error.found >= 0 ? error.found : current
      if (found !== current) record.timeline.push({ at: clock.now(), tenths: found })
      // Stryker disable next-line ConditionalExpression,StringLiteral: equivalent, drift is read only before the first shift or once a stage has baked
      if (stageRecord && stageRecord.status === 'baking') stageRecord.status = 'paused'
      await deps.recordPhase('paused', reason).catch(() => undefined)
      return finish(outcome('paused', found, reason), true)
    }
    if (error instanceof NotEnoughData) {
      endStage('paused')
      await deps.recordPhase('paused', reason).catch(() => undefined)
      return finish(outcome('paused', current, reason), true)
    }
    if (!wrote) return release()
    endStage('rolled-back')
    return rollBack(spec, deps, cancelled, reason, current, record, finish, outcome)
  }
}

async function rollBack(
  spec: RolloutSpec,
  deps: RolloutDeps,
  cancelled: boolean,
  reason: string,
  current: Tenths,
  record: RolloutRecord,
  finish: (o: Outcome, failed: boolean, commands?: string[]) => RolloutResult,
  outcome: (r: Outcome['result'], t: Tenths, reason: string) => Outcome
): Promise<RolloutResult> {
  const { clock, log, traffic } = deps
  // A cancel's reason says traffic is restored: true only once it is.
  const cause = cancelled ? 'the job was cancelled' : reason
  log.warn(`Rolling back: ${cause}`)
  // Under any cancel the runner kills the process 10 s after SIGINT, whatever stopped the run.
  const budgetMs = cancelled || deps.signal.aborted ? spec.cancelBudgetMs : spec.rollbackBudgetMs
  deps.heartbeat?.beat()
  try {
    // No abort signal here: the run's own is already aborted under a cancel, and the restore
    // must still go out. The budget bounds it instead.
    await traffic.restore(spec.groups, { budgetMs })
  } catch (error) {
    const commands = traffic.restoreCommands(spec.groups)
    const why = `${cause}; and traffic could NOT be restored to ${spec.liveService}: ${messageOf(error)}`
    // `rolled-back` means traffic is back on live; this is not that.
    return finish(outcome('restore-failed', current, why), true, commands)
  }
  record.timeline.push({ at: clock.now(), tenths: 0 })
  log.info(`Traffic restored: 100% on ${spec.liveService}, verified on every rule.`)
  // Under a cancel `reason` is already the cancel's: traffic is restored by now.
  await recordEnd(deps, cancelled || deps.signal.aborted, 'rolled-back', reason)
  return finish(outcome('rolled-back', 0, reason), true)
}

/** Records how the run ended; a failure is a warning (traffic is already safe). */
async function recordEnd(deps: RolloutDeps, cancelled: boolean, phase: Phase, reason: string) {
  await deps
    .recordPhase(phase, reason, cancelled ? { withinMs: CANCEL_RECORD_MS } : undefined)
    .catch(e => deps.log.warn(`Could not record the ${phase} phase on the rules: ${messageOf(e)}`))
}

function startStage(record: RolloutRecord, plan: Plan, stage: Stage, now: number): StageRecord {
  const stageRecord: StageRecord = {
    index: plan.indexOf(stage),
    tenths: stage.tenths,
    startedAt: now,
    ...(stage.bake.kind === 'bake' ? { bakeMs: stage.bake.ms } : {}),
    status: 'baking',
    detail: ''
  }
  record.stages.push(stageRecord)
  record.timeline.push({ at: now, tenths: stage.tenths })
  return stageRecord
}

function cancelledReason(spec: RolloutSpec): string {
  return `cancelled: traffic restored to ${spec.liveService}`
}

/** The message of anything thrown, Error or not. */
export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message
  return typeof error === 'string' ? error : JSON.stringify(error)
}

export type { GateReading }
