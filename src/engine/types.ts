/**
 * Shared vocabulary of the engine and its adapters. Nothing here does I/O.
 *
 * Shares are integers in tenths of a percent (1 = 0.1 %, 1000 = 100 %): the plan grammar allows
 * one decimal, and integers keep "exactly 5 %" exact all the way to the weights on the rule.
 */

/** A traffic share in tenths of a percent, 0..1000. */
export type Tenths = number

/** How a stage ends: bake for a while, or hold the traffic and end the job (`pause`). */
export type Bake = { readonly kind: 'bake'; readonly ms: number } | { readonly kind: 'pause' }

/** One rung of the ladder: the new revision's share and how it bakes there. */
export interface Stage {
  readonly tenths: Tenths
  readonly bake: Bake
}

/** The whole ladder, strictly increasing, ending at 1000. */
export type Plan = readonly Stage[]

/** Recorded on the listener rules: where a rollout of this pair stands. */
export type Phase = 'in-progress' | 'paused' | 'promoted' | 'rolled-back'

/**
 * The `result` output. `rolled-back` means traffic is verified back on the live service;
 * `restore-failed` that it could not be put back (the log holds the commands that do it).
 */
export type Result = 'promoted' | 'rolled-back' | 'paused' | 'unchanged' | 'restore-failed'

/** The `mode` input. */
export type Mode = 'deploy' | 'promote' | 'rollback' | 'status' | 'reconcile'

/** The two target groups a rule splits traffic between, by ARN. */
export interface GroupPair {
  readonly live: string
  readonly idle: string
}

/** Weights as sent to ELB (0..999 each). */
export interface Weights {
  readonly live: number
  readonly idle: number
}

/** One forward target of a listener rule as read from ELB. */
export interface ForwardTarget {
  readonly arn: string
  readonly weight: number
}

/** What the traffic adapter reads from one listener rule or listener default action. */
export interface RuleView {
  readonly arn: string
  readonly kind: 'rule' | 'listener'
  /** Number of `forward` actions in the action list (a usable rule has exactly one). */
  readonly forwardActions: number
  /** Target groups of the forward action, in order, with their weights. */
  readonly targets: readonly ForwardTarget[]
  /** Target-group stickiness of the forward, when enabled: sticky clients ignore weights. */
  readonly stickySeconds?: number
  /** The rule's tags (the recorded rollout state lives here). */
  readonly tags: Readonly<Record<string, string>>
  /**
   * A test rule (`test-listener-rules`): all on the canary while a rollout runs, whatever the
   * production share, all on live otherwise.
   */
  readonly test?: boolean
}

/** A CloudWatch alarm as the gate sees it. */
export interface AlarmView {
  readonly name: string
  readonly type: 'metric' | 'composite'
  readonly state: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA'
  readonly reason: string
  /** Period × evaluation periods, for metric alarms: how long it needs to notice anything. */
  readonly windowMs?: number
  /** When the state last changed (StateTransitionedTimestamp), epoch ms. */
  readonly changedAt?: number
}

/** One side of an analysis: what its target group served over the stage so far. */
export interface SideNumbers {
  readonly requests: number
  /** Target 5xx answers. */
  readonly errors: number
  /** Mean target response time in ms; unset without responses. */
  readonly latencyMs?: number
}

/** A task of the canary that stopped, as DescribeTasks told it. */
export interface StoppedEvidence {
  readonly id: string
  readonly stoppedReason: string
  readonly stopCode?: string
  readonly containers: readonly {
    readonly name: string
    readonly exitCode?: number
    readonly reason?: string
  }[]
}

/**
 * What a gate saw when it failed, for the summary's "why" section: every part is optional, and
 * each gate fills what it already read (nothing is read for it).
 */
export interface Evidence {
  /** The gate that failed: `alarms`, `analysis`, `health`. */
  readonly gate: string
  /** The alarms that failed the stage, with CloudWatch's reason. */
  readonly alarms?: readonly AlarmView[]
  /** The canary and live side by side over the stage. */
  readonly comparison?: { readonly canary: SideNumbers; readonly live: SideNumbers }
  readonly stoppedTasks?: readonly StoppedEvidence[]
  /** The canary service's ECS events since the stage began, newest first. */
  readonly events?: readonly { readonly at: string; readonly message: string }[]
}

/** A gate's opinion of the canary right now. `wait`: not enough data to judge yet. */
export interface GateReading {
  readonly verdict: 'pass' | 'fail' | 'wait'
  /** Why it failed or waits, for the job's `reason` output; empty on pass. */
  readonly reason: string
  /** One short line for heartbeats and the summary, e.g. `web-5xx OK, web-latency OK`. */
  readonly detail: string
  /**
   * On a `wait`: the data is on its way (ALB metrics arrive 1-2 minutes late), not missing for
   * lack of traffic. Past the bake's end the engine waits for it, up to a bound, rather than
   * extending the bake.
   */
  readonly late?: boolean
  /** On a `fail`: what the gate saw, for the summary. */
  readonly evidence?: Evidence
}

/** Something the engine consults while a stage bakes (alarms, per-target-group analysis). */
export interface Gate {
  readonly name: string
  /**
   * Reads the gate once; times are epoch ms, `endsAt` when the stage's bake is due to end.
   * Throws when it cannot be read.
   */
  read(window: {
    readonly stageStartedAt: number
    readonly now: number
    readonly endsAt?: number
  }): Promise<GateReading>
}

/** Time, replaceable in tests. `sleep` resolves early (without throwing) when `signal` aborts. */
export interface Clock {
  now(): number
  sleep(ms: number, signal?: AbortSignal): Promise<void>
}

/** A line printer, replaceable in tests. */
export interface Log {
  info(line: string): void
  warn(line: string): void
  debug(line: string): void
}

/** What happened at one stage, for the job summary and the commit status. */
export interface StageRecord {
  /** Position in the plan being run, 0-based. */
  readonly index: number
  readonly tenths: Tenths
  /** Epoch ms when the weights were verified on every rule. */
  readonly startedAt: number
  /** Epoch ms when the stage ended (baked, paused, or rolled back); unset while it bakes. */
  endedAt?: number
  /** Planned bake; unset for a `pause` stage. */
  readonly bakeMs?: number
  status: 'baking' | 'baked' | 'paused' | 'rolled-back'
  /** The last gate reading's detail line (alarm states, canary vs live numbers). */
  detail: string
}

/** How a run ended: the outputs, and what the status and summary say. */
export interface Outcome {
  readonly result: Result
  /** The new revision's share at the end. */
  readonly tenths: Tenths
  /** Why it ended this way; empty on a plain promotion. */
  readonly reason: string
  /** Roles after the run: swapped on promotion. */
  readonly liveService: string
  readonly idleService: string
}

/** What a task definition revision is made of, for the "what changed" list. No values of env. */
export interface RevisionFacts {
  readonly arn: string
  readonly cpu?: string
  readonly memory?: string
  readonly containers: readonly {
    readonly name: string
    readonly image: string
    /** Environment variable and secret names only: their values are never kept. */
    readonly environment: readonly string[]
    /** `8080/tcp` per port mapping. */
    readonly ports: readonly string[]
  }[]
}

/** The story of one run, told by the engine to the reporters. */
export interface RolloutRecord {
  readonly startedAt: number
  readonly stages: StageRecord[]
  /** Every change of the new revision's share, for the chart. */
  readonly timeline: { at: number; tenths: Tenths }[]
  outcome?: Outcome
  /** What the failing gate saw, when a gate ended the run. */
  evidence?: Evidence
}
