/**
 * What the engine is given and what it gives back: the small ports it talks through (traffic,
 * reporter, phase recorder) and the spec of one run. Types only, so fakes can implement them.
 */
import type { HeartbeatPort } from './heartbeat.js'
import type {
  Clock,
  Gate,
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
  read(opts?: { signal?: AbortSignal }): Promise<RuleView[]>
  shift(groups: GroupPair, tenths: Tenths, opts?: { signal?: AbortSignal }): Promise<void>
  /**
   * Points every test rule 100 % at the idle group, verified; before any production weight
   * moves. Absent, or a no-op, when there are no test rules. `restore` puts them back on live.
   */
  routeTests?(groups: GroupPair, opts?: { signal?: AbortSignal }): Promise<void>
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

export interface RolloutSpec {
  readonly groups: GroupPair
  readonly liveService: string
  readonly idleService: string
  /** The whole plan, for "stage 3/6" numbering. */
  readonly plan: Plan
  /** The idle group's share now (0 for a fresh deploy; the paused share when promoting). */
  readonly fromTenths: Tenths
  /**
   * Where the test rules stand: 0 (on live, a fresh deploy) or 1000 (already on the canary, a
   * promote). Unset: 0.
   */
  readonly testTenths?: Tenths
  readonly pollMs: number
  /** Consecutive failed gate reads that make the run blind, and so roll back. */
  readonly blindPolls: number
  /** How long rollback writes may keep retrying. */
  readonly rollbackBudgetMs: number
  /** Under a signal the runner kills us 10 s after SIGINT: restore within this. */
  readonly cancelBudgetMs: number
  /**
   * How long a stage may wait past its bake for data a gate says is on its way (`late`), before
   * it passes on what was seen. Unset: no wait.
   */
  readonly lateDataMs?: number
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
  /**
   * Readies what a stage needs before its weight moves (`canary-capacity: follow` scales the
   * canary up and waits until it is stable and healthy). A throw rolls back like any error
   * after the first write, with the stage named in the reason. `signal` aborts when the run is
   * cancelled or a gate fails meanwhile: stop waiting then.
   */
  readonly beforeShift?: (stage: Stage, signal: AbortSignal) => Promise<void>
  /** Refreshes the run's heartbeat on the rules; called often, it writes when due. */
  readonly heartbeat?: HeartbeatPort
}

/** What the run ended with. `failed` decides the exit code; `restoreCommands` when unsafe. */
export interface RolloutResult {
  readonly outcome: Outcome
  readonly record: RolloutRecord
  readonly failed: boolean
  /** Set only when traffic could not be verified safe: the commands a human must run. */
  readonly restoreCommands?: string[]
}
