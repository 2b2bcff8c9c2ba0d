/** Fakes for the engine's ports: a clock that jumps, rules in memory, gates on a script. */
import { weightsFor } from '../../src/engine/plan.js'
import type { Reporter, RolloutDeps, RolloutSpec, TrafficPort } from '../../src/engine/rollout.js'
import type {
  Clock,
  Gate,
  GateReading,
  GroupPair,
  Log,
  Phase,
  Plan,
  RuleView
} from '../../src/engine/types.js'

/** Time moves only when someone sleeps. */
export class FakeClock implements Clock {
  constructor(public t = Date.UTC(2026, 10, 28, 12, 0, 0)) {}
  now() {
    return this.t
  }
  async sleep(ms: number, signal?: AbortSignal) {
    if (signal?.aborted) return
    this.t += ms
    this.onSleep?.(this.t)
  }
  onSleep?: (now: number) => void
}

export const GROUPS: GroupPair = { live: 'tg-blue', idle: 'tg-green' }

/** Rules held in memory; records every write. */
export class FakeTraffic implements TrafficPort {
  writes: { kind: 'shift' | 'restore'; tenths: number }[] = []
  rules: { arn: string; live: number; idle: number }[]
  failShiftAt?: number
  failRestore = false
  constructor(arns = ['rule-1', 'rule-2']) {
    this.rules = arns.map(arn => ({ arn, live: 100, idle: 0 }))
  }
  async read(): Promise<RuleView[]> {
    return this.rules.map(r => ({
      arn: r.arn,
      kind: 'rule',
      forwardActions: 1,
      targets: [
        { arn: GROUPS.live, weight: r.live },
        { arn: GROUPS.idle, weight: r.idle }
      ],
      tags: {}
    }))
  }
  async shift(_groups: GroupPair, tenths: number) {
    this.writes.push({ kind: 'shift', tenths })
    if (this.failShiftAt === tenths) throw new Error(`ModifyRule failed on rule-2 at ${tenths}`)
    const w = weightsFor(tenths)
    for (const r of this.rules) Object.assign(r, w)
  }
  async restore() {
    this.writes.push({ kind: 'restore', tenths: 0 })
    if (this.failRestore) throw new Error('ModifyRule: Throttling, budget spent')
    for (const r of this.rules) Object.assign(r, weightsFor(0))
  }
  restoreCommands() {
    return this.rules.map(r => `aws elbv2 modify-rule --rule-arn ${r.arn} ...`)
  }
  /** Idle share on the first rule, in tenths. */
  get tenths() {
    const r = this.rules[0]
    return Math.round((r.idle * 1000) / (r.idle + r.live))
  }
}

/** A gate whose readings come from a function of time. */
export class ScriptedGate implements Gate {
  reads = 0
  constructor(
    readonly name: string,
    private readonly script: (now: number, read: number) => GateReading | Error
  ) {}
  async read({ now }: { stageStartedAt: number; now: number }) {
    const r = this.script(now, this.reads++)
    if (r instanceof Error) throw r
    return r
  }
}

export const pass: GateReading = { verdict: 'pass', reason: '', detail: 'web-5xx OK' }

export class MemoryLog implements Log {
  lines: string[] = []
  info = (l: string) => void this.lines.push(l)
  warn = (l: string) => void this.lines.push(`warning: ${l}`)
  debug = () => undefined
}

export function deps(over: Partial<RolloutDeps> & { traffic: TrafficPort; clock: Clock }) {
  const phases: { phase: Phase; reason: string }[] = []
  const started: number[] = []
  const reporter: Reporter = {
    stageStarted: async (_r, s) => void started.push(s.tenths),
    heartbeat: () => undefined
  }
  const controller = new AbortController()
  const d: RolloutDeps = {
    gates: [],
    log: new MemoryLog(),
    reporter,
    recordPhase: async (phase, reason) => void phases.push({ phase, reason }),
    signal: controller.signal,
    ...over
  }
  return { deps: d, phases, started, controller }
}

export function spec(over: Partial<RolloutSpec> = {}): RolloutSpec {
  return {
    groups: GROUPS,
    liveService: 'web-blue',
    idleService: 'web-green',
    plan: [],
    fromTenths: 0,
    pollMs: 5000,
    blindPolls: 3,
    rollbackBudgetMs: 60_000,
    cancelBudgetMs: 7_000,
    ...over
  }
}

/**
 * A plan of `bake`-kind stages built without src/engine/plan.ts, for fixtures made when a test file
 * loads: code that runs at load time covers its mutants outside any test, and mutation testing
 * must then run every test for each of them (see stryker.config.mjs).
 */
export function stagesOf(percents: number[], bakeMs: number): Plan {
  return percents.map(p => ({ tenths: Math.round(p * 10), bake: { kind: 'bake', ms: bakeMs } }))
}
