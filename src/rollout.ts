/**
 * The engine: walks the stages, bakes each against the gates, and puts traffic back on the live
 * service the moment anything is wrong. It talks only to the small ports below, so it runs
 * against fakes and a fake clock in milliseconds.
 */
import { formatDuration, percentText, shareOf } from './plan.js'
import type {
  Clock,
  Gate,
  GateReading,
  GroupPair,
  Log,
  Outcome,
  Phase,
  Plan,
  RolloutRecord,
  RuleView,
  Stage,
  StageRecord,
  Tenths
} from './types.js'

/** The traffic side of the engine (implemented by `ElbTraffic`). */
export interface TrafficPort {
  read(): Promise<RuleView[]>
  shift(groups: GroupPair, tenths: Tenths, opts?: { signal?: AbortSignal }): Promise<void>
  restore(groups: GroupPair, opts: { budgetMs: number; signal?: AbortSignal }): Promise<void>
  restoreCommands(groups: GroupPair): string[]
}

/** Told about every step; implementations must not throw (a report never stops a rollout). */
export interface Reporter {
  stageStarted(record: RolloutRecord, stage: StageRecord, stageCount: number): Promise<void>
  /**
   * A baking stage's first gate reading is in (`stage.detail`), whatever it says: the moment
   * a stage can be reported with how its alarms read. Not called for `pause` stages.
   */
  firstReading?(stage: StageRecord, stageCount: number): Promise<void>
  heartbeat(stage: StageRecord, elapsedMs: number, totalMs: number): void
}

/**
 * Records the phase on the rules (tags). `withinMs` bounds the write: under a cancel the
 * runner's kill is only seconds away, and the outputs must be out before it.
 */
export type PhaseRecorder = (
  phase: Phase,
  reason: string,
  opts?: { withinMs?: number }
) => Promise<void>

/** What a record may take under a cancel, after the restore's 6 s, within the runner's 10 s. */
const CANCEL_RECORD_MS = 1_500

export interface RolloutSpec {
  readonly groups: GroupPair
  readonly liveService: string
  readonly idleService: string
  /** The whole plan, for "stage 3/6" numbering. */
  readonly plan: Plan
  /** The idle group's share now (0 for a fresh deploy; the paused share when promoting). */
  readonly fromTenths: Tenths
  readonly pollMs: number
  /** Consecutive failed gate reads that make the run blind, and so roll back. */
  readonly blindPolls: number
  /** How long rollback writes may keep retrying. */
  readonly rollbackBudgetMs: number
  /** Under a signal the runner kills us 10 s after SIGINT: restore within this. */
  readonly cancelBudgetMs: number
}

export interface RolloutDeps {
  readonly traffic: TrafficPort
  readonly gates: readonly Gate[]
  readonly clock: Clock
  readonly log: Log
  readonly reporter: Reporter
  readonly recordPhase: PhaseRecorder
  /** Aborted on SIGINT/SIGTERM. */
  readonly signal: AbortSignal
}

/** What the run ended with. `failed` decides the exit code; `restoreCommands` when unsafe. */
export interface RolloutResult {
  readonly outcome: Outcome
  readonly record: RolloutRecord
  readonly failed: boolean
  /** Set only when traffic could not be verified safe: the commands a human must run. */
  readonly restoreCommands?: string[]
}

/** Weights on the rules are not what this run left there: someone else is acting. */
export class DriftError extends Error {
  override name = 'DriftError'
}

class Cancelled extends Error {
  override name = 'Cancelled'
}

/** A gate said no: roll back with this reason. */
class GateFailure extends Error {
  override name = 'GateFailure'
}

/** A gate could not judge in time: hold traffic where it is. */
class NotEnoughData extends Error {
  override name = 'NotEnoughData'
}

/** Runs the stages of `spec.plan` above `spec.fromTenths`. Never throws. */
export async function runRollout(spec: RolloutSpec, deps: RolloutDeps): Promise<RolloutResult> {
  const { clock, log, traffic } = deps
  const record: RolloutRecord = { startedAt: clock.now(), stages: [], timeline: [] }
  record.timeline.push({ at: clock.now(), tenths: spec.fromTenths })
  let current = spec.fromTenths
  let wrote = false
  const finish = (outcome: Outcome, failed: boolean, restoreCommands?: string[]): RolloutResult => {
    record.outcome = outcome
    const last = record.stages.at(-1)
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
    await expectShare(traffic, spec.groups, current)
    for (const stage of spec.plan) {
      if (stage.tenths <= spec.fromTenths) continue
      throwIfCancelled(deps.signal)
      wrote = true
      await traffic.shift(spec.groups, stage.tenths, { signal: deps.signal })
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
      await expectShare(traffic, spec.groups, current)
    }
    await deps.recordPhase('promoted', '')
    return finish(outcome('promoted', current, ''), false)
  } catch (error) {
    // A cancel can also surface as an ordinary error, from a write or read-back it cut short:
    // that is still a cancel. The engine's own verdicts (drift, a gate) keep their reasons.
    const verdict =
      error instanceof DriftError || error instanceof GateFailure || error instanceof NotEnoughData
    const cancelled = error instanceof Cancelled || (deps.signal.aborted && !verdict)
    const reason = cancelled ? cancelledReason(spec) : reasonOf(error, spec)
    const stageRecord = record.stages.at(-1)
    // Nothing of this run reached the weights: free the rules it claimed for the next rollout.
    const release = async () => {
      await recordEnd(deps, cancelled, 'rolled-back', reason)
      return finish(outcome('unchanged', current, reason), true)
    }
    if (error instanceof DriftError) {
      // Never fight another actor: report what was found and write nothing to the weights.
      log.warn(reason)
      if (!wrote) return release()
      await deps.recordPhase('paused', reason).catch(() => undefined)
      return finish(outcome('paused', current, reason), true)
    }
    if (error instanceof NotEnoughData) {
      if (stageRecord) {
        stageRecord.status = 'paused'
        stageRecord.endedAt = clock.now()
      }
      await deps.recordPhase('paused', reason).catch(() => undefined)
      return finish(outcome('paused', current, reason), true)
    }
    if (!wrote) return release()
    if (stageRecord) {
      stageRecord.status = 'rolled-back'
      stageRecord.endedAt = clock.now()
    }
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
  try {
    // No abort signal here: the run's own is already aborted under a cancel, and the restore
    // must still go out. The budget bounds it instead.
    await traffic.restore(spec.groups, { budgetMs })
  } catch (error) {
    const commands = traffic.restoreCommands(spec.groups)
    const why = `${cause}; and traffic could NOT be restored to ${spec.liveService}: ${messageOf(error)}`
    return finish(outcome('rolled-back', current, why), true, commands)
  }
  record.timeline.push({ at: clock.now(), tenths: 0 })
  log.info(`Traffic restored: 100% on ${spec.liveService}, verified on every rule.`)
  const final = cancelled ? `cancelled: traffic restored to ${spec.liveService}` : reason
  await recordEnd(deps, cancelled || deps.signal.aborted, 'rolled-back', final)
  return finish(outcome('rolled-back', 0, final), true)
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

/** Bakes one stage: polls every gate each `pollMs` until the bake time has passed. */
async function bake(spec: RolloutSpec, deps: RolloutDeps, stage: StageRecord, bakeMs: number) {
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
async function readGates(
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
    const reads = Promise.allSettled(gates.map(g => g.read({ stageStartedAt, now }))).then(
      results => {
        const failed = gates.filter((_, i) => results[i].status === 'rejected')
        if (failed.length > 0) {
          const why = results.flatMap((r, i) =>
            r.status === 'rejected' ? [`${gates[i].name}: ${messageOf(r.reason)}`] : []
          )
          throw new GateReadError(
            failed.map(g => g.name),
            why.join('; ')
          )
        }
        return results.map(r => (r as PromiseFulfilledResult<GateReading>).value)
      }
    )
    return await Promise.race([reads, cancelled])
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

/** Reads the rules and throws `DriftError` unless every one carries exactly `tenths` on idle. */
export async function expectShare(traffic: TrafficPort, groups: GroupPair, tenths: Tenths) {
  const views = await traffic.read()
  const wrong = views
    .map(view => ({ view, found: describeShare(view, groups) }))
    .filter(({ found }) => found.tenths !== tenths || !found.ours)
  if (wrong.length === 0) return
  throw new DriftError(
    `the weights changed under this run: expected ${percentText(tenths)} on the new revision, found ` +
      wrong.map(({ view, found }) => `${found.text} on ${view.arn}`).join('; ') +
      '. Someone else is acting on these rules (a manual change or another tool); this run stops without writing. Use mode: promote or mode: rollback once you know why.'
  )
}

/** The idle share on one rule, and whether the rule still forwards to exactly our two groups. */
export function describeShare(view: RuleView, groups: GroupPair) {
  const weight = (arn: string) => view.targets.find(t => t.arn === arn)?.weight ?? 0
  const others = view.targets.filter(t => t.arn !== groups.live && t.arn !== groups.idle)
  const share = shareOf({ live: weight(groups.live), idle: weight(groups.idle) })
  const ours = others.length === 0 && view.forwardActions === 1
  const tenths = share?.tenths ?? -1
  const text = !ours
    ? `a forward to other target groups (${view.targets.map(t => `${t.arn}=${t.weight}`).join(', ')})`
    : share
      ? `${percentText(share.tenths)} (weights ${weight(groups.idle)}/${weight(groups.live)})`
      : 'no traffic at all'
  return { tenths, ours, text }
}

function throwIfCancelled(signal: AbortSignal) {
  if (signal.aborted) throw new Cancelled('the job was cancelled')
}

function cancelledReason(spec: RolloutSpec): string {
  return `cancelled: traffic restored to ${spec.liveService}`
}

function reasonOf(error: unknown, spec: RolloutSpec): string {
  if (error instanceof Cancelled) return cancelledReason(spec)
  if (error instanceof GateFailure || error instanceof DriftError || error instanceof NotEnoughData)
    return error.message
  return messageOf(error)
}

/** The message of anything thrown, Error or not. */
export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message
  return typeof error === 'string' ? error : JSON.stringify(error)
}

export type { GateReading }
