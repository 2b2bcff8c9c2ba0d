import type { FaultSpec } from './fault-proxy.js'

/**
 * The fault matrix's cases: every AWS operation the rollout makes × every fault × once or for
 * good × every phase where that operation occurs. Phases before the first stage are placed by
 * call count (the nth call of the operation since the run started), counted on a clean baseline
 * run so that a change in how often the action reads does not silently move a fault to another
 * phase; phases inside a rollback are placed by injecting once stage 1 has started.
 */

/** The faults the proxy injects. */
export const FAULTS: readonly FaultSpec['fault'][] = ['throttle', 'error500', 'stall', 'denied']

/** Once: one call fails (the SDK or the action may retry). Always: every call from then on. */
export type Persistence = 'once' | 'always'

/**
 * What the run does around its fault. `promote` walks 50% then 100%; `pause` stops at 50% by
 * plan; `alarm` and `cancel` start a rollback during stage 1 (an alarm goes off, or the runner
 * cancels the job) with the fault armed for the restore; `killed` kills main during stage 1
 * (SIGKILL: runner lost, timeout) and arms the fault for the post step; `reconcile` kills main
 * during stage 1 with no post step (the runner is lost) and arms the fault for the watchdog.
 */
export type Scenario = 'promote' | 'pause' | 'alarm' | 'cancel' | 'killed' | 'reconcile'

/** Stages per scenario: second-scale bakes; stage 1 of a rollback bakes long enough to be hit. */
export const STAGES: Record<Scenario, string> = {
  promote: '50:1s,100:1s',
  pause: '50:pause,100:1s',
  alarm: '50:5s,100:1s',
  cancel: '50:5s,100:1s',
  killed: '50:60s,100:1s',
  reconcile: '50:60s,100:1s'
}

/** Where a fault goes. */
export interface Placement {
  readonly phase: string
  readonly operation: string
  readonly scenario: Scenario
  /** The nth call of `operation`: since the start, or since stage `afterStage` began. */
  readonly nth: number
  readonly afterStage?: number
}

/** One cell of the matrix. */
export interface MatrixCase extends Placement {
  readonly fault: FaultSpec['fault']
  readonly times: Persistence
  /** e.g. `first shift: ModifyRule denied always`. */
  readonly name: string
}

/** The operations of a clean run in the order the proxy saw them. */
export type Sequence = readonly string[]

const WRITES = ['ModifyRule', 'ModifyListener']
const RULE_READS = ['DescribeRules', 'DescribeListeners']
const PREFLIGHT = ['DescribeServices', ...RULE_READS, 'DescribeTags', 'DescribeAlarms']
/** What a restore does: read the rules, write them, read back, record. */
const RESTORE = [...RULE_READS, ...WRITES, 'AddTags']

/**
 * Every placement, from the clean sequences of a `promote` and a `pause` run. Throws when a
 * phase the matrix relies on is missing from the sequence (the action's calls changed shape).
 */
export function placements(promote: Sequence, pause: Sequence): Placement[] {
  const out: Placement[] = []
  const at = (phase: string, operation: string, seq: Sequence, index: number, s: Scenario) => {
    if (index < 0)
      throw new Error(`fault matrix: no ${operation} in phase '${phase}' of ${seq.join(' ')}`)
    out.push({
      phase,
      operation,
      scenario: s,
      nth: countUpTo(seq, operation, index)
    })
  }
  const claim = promote.indexOf('AddTags')
  // The writes of a shift go out together, in either order.
  const firstWrite = Math.min(...WRITES.map(op => nthAfter(promote, op, -1, 1)))
  const secondWrite = Math.min(...WRITES.map(op => nthAfter(promote, op, -1, 2)))
  for (const op of PREFLIGHT) {
    const index = promote.indexOf(op)
    if (index > claim) throw new Error(`fault matrix: ${op} is first called after the claim`)
    at('pre-flight', op, promote, index, 'promote')
  }
  at('claim', 'AddTags', promote, claim, 'promote')
  for (const op of ['UpdateService', 'DescribeServices', 'DescribeTargetHealth']) {
    at('prepare', op, promote, promote.indexOf(op, claim), 'promote')
  }
  // A read of the rules between the claim and the first write is the check before shifting.
  for (const op of [...RULE_READS, 'DescribeTags']) {
    const index = lastBetween(promote, op, claim, firstWrite)
    if (index >= 0) at('first shift: check', op, promote, index, 'promote')
  }
  for (const op of WRITES)
    at('first shift: write', op, promote, nthAfter(promote, op, -1, 1), 'promote')
  for (const op of RULE_READS) {
    at('first shift: read back', op, promote, promote.indexOf(op, firstWrite), 'promote')
  }
  // The runner cancels while a shift's write or read-back is failing or hanging.
  for (const op of WRITES) {
    at('cancel during a shift', op, promote, nthAfter(promote, op, -1, 1), 'cancel')
  }
  for (const op of RULE_READS) {
    at('cancel during a shift', op, promote, promote.indexOf(op, firstWrite), 'cancel')
  }
  at(
    'mid-bake',
    'DescribeAlarms',
    promote,
    nthAfter(promote, 'DescribeAlarms', firstWrite, 2),
    'promote'
  )
  // The weights are read again between the stages: the last reads before the second write.
  const lastPoll = promote.lastIndexOf('DescribeAlarms', secondWrite)
  for (const op of [...RULE_READS, 'DescribeTags']) {
    at('between stages', op, promote, lastBetween(promote, op, lastPoll, secondWrite), 'promote')
  }
  for (const op of WRITES)
    at('final stage: write', op, promote, nthAfter(promote, op, -1, 2), 'promote')
  for (const op of RULE_READS) {
    at('final stage: read back', op, promote, promote.indexOf(op, secondWrite), 'promote')
  }
  // How many polls a bake makes depends on timing: count this one from the stage's start.
  out.push({
    phase: 'final stage: bake',
    operation: 'DescribeAlarms',
    scenario: 'promote',
    nth: 2,
    afterStage: 2
  })
  at('promotion record', 'AddTags', promote, promote.lastIndexOf('AddTags'), 'promote')
  at('pause record', 'AddTags', pause, pause.lastIndexOf('AddTags'), 'pause')
  for (const scenario of ['alarm', 'cancel'] as const) {
    const phase = scenario === 'alarm' ? 'rollback on alarm' : 'rollback on cancel'
    for (const operation of RESTORE) {
      out.push({ phase, operation, scenario, nth: 1, afterStage: 1 })
    }
    // A cancel must not wait for a bake's read that hangs.
    if (scenario === 'cancel') {
      out.push({ phase, operation: 'DescribeAlarms', scenario, nth: 1, afterStage: 1 })
    }
  }
  // The post step reads the rules and their tags, restores, and records.
  for (const operation of [...RESTORE, 'DescribeTags']) {
    out.push({ phase: 'post step', operation, scenario: 'killed', nth: 1, afterStage: 1 })
  }
  // The watchdog reads the pair, claims the rules (AddTags), restores, and records.
  for (const operation of [...RESTORE, 'DescribeTags', 'DescribeServices']) {
    out.push({ phase: 'reconcile', operation, scenario: 'reconcile', nth: 1, afterStage: 1 })
  }
  return out
}

/** Every case: each placement × each fault × once and always. */
export function matrixCases(all: readonly Placement[]): MatrixCase[] {
  return all.flatMap(p =>
    FAULTS.flatMap(fault =>
      (['once', 'always'] as const).map(times => ({
        ...p,
        fault,
        times,
        name: `${p.phase}: ${p.operation} ${fault} ${times}`
      }))
    )
  )
}

/** How many calls of `operation` there are in `seq` up to and including `index`. */
function countUpTo(seq: Sequence, operation: string, index: number): number {
  return seq.slice(0, index + 1).filter(op => op === operation).length
}

function lastBetween(seq: Sequence, operation: string, after: number, before: number): number {
  const index = seq.lastIndexOf(operation, before)
  return index > after ? index : -1
}

function nthAfter(seq: Sequence, operation: string, after: number, n: number): number {
  let index = after
  for (let i = 0; i < n; i++) index = seq.indexOf(operation, index + 1)
  return index
}
