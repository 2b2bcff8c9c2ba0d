/**
 * The bench's one table: every figure next to its target, then the conditions it was taken in.
 */
import type { BakeCalls } from './baking.js'
import type { HealthSample } from './health.js'
import { crashRows } from './crash.js'
import type { CrashSample } from './crash.js'
import type { CallProfile, OverheadSample } from './overhead.js'
import type { ReactionSample } from './reaction.js'
import type { StartupResult } from './startup.js'
import { median, percentile, seconds } from './stats.js'

/** Account-and-region quotas the action draws on, in requests per second. */
export const QUOTAS = {
  describeAlarms: 9,
  elbDescribes: 10,
  elbWrites: 3,
  /**
   * ECS "service read actions" (DescribeServices) and "cluster resource read actions"
   * (ListTasks, DescribeTasks): sustained 20/s each, bursts of 100, per account and region
   * (Amazon ECS API reference, "Request throttling for the Amazon ECS API",
   * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/request-throttling.html).
   */
  ecsDescribes: 20
}

/** The default bake and poll interval (action.yml), for the side-by-side estimate. */
const DEFAULT_BAKE_S = 300
const DEFAULT_POLL_MS = 5_000

/** Everything the bench measured. */
export interface BenchResults {
  reaction: ReactionSample[]
  health: HealthSample[]
  /** Crash trials (issue 23); none when not measured. */
  crash: CrashSample[]
  overhead: OverheadSample[]
  profiles: Record<1 | 2, CallProfile>
  baking: BakeCalls[]
  startup: StartupResult[]
  conditions: string[]
}

const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(2)} MB`
const ok = (met: boolean): string => (met ? '✅' : '❌ missed')

function callsText(counts: Record<string, number>): string {
  const entries = Object.entries(counts)
    .filter(([, n]) => n > 0.004)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
  if (entries.length === 0) return 'none'
  return entries.map(([op, n]) => `${op} ${Math.round(n * 100) / 100}`).join(', ')
}

function sum(counts: Record<string, number>, pick: (op: string) => boolean): number {
  return Object.entries(counts)
    .filter(([op]) => pick(op))
    .reduce((total, [, n]) => total + n, 0)
}

const isElbDescribe = (op: string): boolean => /^Describe(Rules|Listeners|Tags|Target)/.test(op)
const isEcsDescribe = (op: string): boolean =>
  /^(DescribeServices|DescribeTasks|ListTasks)$/.test(op)
const isElbWrite = (op: string): boolean =>
  /^(ModifyRule|ModifyListener|AddTags|RemoveTags)$/.test(op)

/**
 * How many rollouts of two rules, at the default poll interval and bake, fit in one account
 * before the first quota runs out, at their steady rate (stage work spread over the bake).
 */
export function sideBySide(
  bake: BakeCalls,
  perStage: Record<string, number>
): { count: number; binding: string; rates: Record<string, number> } {
  // While baking (the health gate's reads), plus the stage's own calls spread over the bake.
  const rates = {
    DescribeAlarms: bake.alarmReadsPerMinute / 60,
    'ELBv2 describes':
      sum(perStage, isElbDescribe) / DEFAULT_BAKE_S + sum(bake.otherPerMinute, isElbDescribe) / 60,
    'ELBv2 writes': sum(perStage, isElbWrite) / DEFAULT_BAKE_S,
    'ECS describes': sum(bake.otherPerMinute, isEcsDescribe) / 60
  }
  const limits = {
    DescribeAlarms: QUOTAS.describeAlarms / rates.DescribeAlarms,
    'ELBv2 describes': QUOTAS.elbDescribes / rates['ELBv2 describes'],
    'ELBv2 writes': QUOTAS.elbWrites / rates['ELBv2 writes'],
    'ECS describes': QUOTAS.ecsDescribes / Math.max(rates['ECS describes'], 1e-9)
  }
  const [binding, count] = Object.entries(limits).sort((a, b) => a[1] - b[1])[0]
  return { count: Math.floor(count), binding, rates }
}

/** The row of alarm reaction times at one poll interval. */
export function reactionRow(samples: ReactionSample[], pollMs: number): string {
  const mine = samples.filter(s => s.pollMs === pollMs)
  const ms = mine.map(s => s.ms)
  const p95 = percentile(ms, 95)
  const max = Math.max(...ms)
  const met = p95 <= pollMs + 1_000 && max < 2 * pollMs
  return (
    `| Reaction, poll-interval ${pollMs / 1000}s (${ms.length} trials, ${loadText(mine)}) | p50 ${seconds(percentile(ms, 50))} · ` +
    `p95 ${seconds(p95)} · max ${seconds(max)} | p95 ≤ ${seconds(pollMs + 1_000)}, max < ${seconds(2 * pollMs)} | ${ok(met)} |`
  )
}

/** The row of health-gate reaction times at one poll interval. */
export function healthRow(samples: HealthSample[], pollMs: number): string {
  const mine = samples.filter(s => s.pollMs === pollMs)
  const fromRead = mine.map(s => s.fromSecondReadMs)
  const fromFlip = mine.map(s => s.fromFlipMs)
  const p95 = percentile(fromRead, 95)
  return (
    `| Canary unhealthy → traffic restored, health gate, poll-interval ${pollMs / 1000}s (${mine.length} trials, ${loadText(mine)}) | ` +
    `from the second unhealthy read: p50 ${seconds(percentile(fromRead, 50))} · p95 ${seconds(p95)} · max ${seconds(Math.max(...fromRead))}; ` +
    `from the targets turning unhealthy: p50 ${seconds(percentile(fromFlip, 50))} · p95 ${seconds(percentile(fromFlip, 95))} · max ${seconds(Math.max(...fromFlip))} | ` +
    `p95 ≤ ${seconds(pollMs + 1_000)} from the second read | ${ok(p95 <= pollMs + 1_000)} |`
  )
}

/** The range of the 1-minute load average over the trials: a busy machine slows every figure. */
function loadText(samples: readonly { load: number }[]): string {
  const loads = samples.map(s => s.load)
  return `load average ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}`
}

function overheadRow(samples: OverheadSample[], rules: 1 | 2, targetMs: number): string {
  const mine = samples.filter(s => s.rules === rules)
  const perStage = median(mine.map(s => s.perStageMs))
  const wall = median(mine.map(s => s.wallMs))
  const pre = median(mine.map(s => s.preflightMs))
  return (
    `| Stage overhead, ${rules} rule${rules > 1 ? 's' : ''} (median of ${mine.length}) | ${seconds(perStage)} per stage ` +
    `(run ${seconds(wall)} for 12 s of bakes, of which ${seconds(pre)} before the first shift) | ` +
    `< ${seconds(targetMs)} per stage | ${ok(perStage < targetMs)} |`
  )
}

function startupRows(results: StartupResult[]): string[] {
  const mb = (kb: number | undefined) => (kb === undefined ? '?' : `${(kb / 1024).toFixed(0)} MB`)
  return results.flatMap(r =>
    (['main', 'post'] as const).map(step => {
      const { wallMs, peakRssKb } = r[step]
      return (
        `| Start-up to the first AWS request, ${step} step, Node ${r.node}${r.label ? `, ${r.label}` : ''} (median of ${r.runs}) | ` +
        `${seconds(wallMs)}, peak RSS ${mb(peakRssKb)}; bare \`node -e 0\`: ` +
        `${seconds(r.bare.wallMs)}, ${mb(r.bare.peakRssKb)} | ≤ official ECS deploy action (≈ 0.35 s) | ` +
        `${ok(wallMs <= 350)} |`
      )
    })
  )
}

/** The markdown: one table, then how it was measured. */
export function renderResults(results: BenchResults): string {
  const bake5 = results.baking.find(b => b.pollMs === DEFAULT_POLL_MS)
  const bake1 = results.baking.find(b => b.pollMs === 1_000)
  const side = bake5 ? sideBySide(bake5, results.profiles[2].perStage) : undefined
  const side1 = bake1 ? sideBySide(bake1, results.profiles[2].perStage) : undefined
  const dist = results.startup[0]
  const rows = [
    '| Measure | Result | Target | |',
    '|---|---|---|---|',
    reactionRow(results.reaction, 1_000),
    reactionRow(results.reaction, 5_000),
    ...(results.health.length > 0
      ? [healthRow(results.health, 1_000), healthRow(results.health, 5_000)]
      : []),
    ...(results.crash.length > 0
      ? [...crashRows(results.crash, 1_000), ...crashRows(results.crash, 5_000)]
      : []),
    overheadRow(results.overhead, 1, 1_000),
    overheadRow(results.overhead, 2, 1_500),
    `| AWS calls before the first shift (once), 2 rules | ${callsText(results.profiles[2].preflight)} | — | |`,
    `| AWS calls per stage, 1 rule | ${callsText(results.profiles[1].perStage)} | — | |`,
    `| AWS calls per stage, 2 rules | ${callsText(results.profiles[2].perStage)} | — | |`,
    ...results.baking.map(
      b =>
        `| AWS calls per minute of baking, poll-interval ${b.pollMs / 1000}s, health gate on | DescribeAlarms ${b.alarmReadsPerMinute.toFixed(1)}; ` +
        `anything else: ${callsText(b.otherPerMinute)} | — | |`
    ),
    `| Quotas drawn on (per account and region) | DescribeAlarms ${QUOTAS.describeAlarms}/s; ELBv2 describes ${QUOTAS.elbDescribes}/s; ELBv2 writes refill ${QUOTAS.elbWrites}/s; ECS DescribeServices ${QUOTAS.ecsDescribes}/s sustained (burst 100), ListTasks/DescribeTasks ${QUOTAS.ecsDescribes}/s (ECS API reference, "Request throttling for the Amazon ECS API") | — | |`,
    side
      ? `| Rollouts side by side in one account, poll-interval 5s (default), 5m bakes, 2 rules | ${side.count}, bound by ${side.binding} ` +
        `(${side.rates.DescribeAlarms.toFixed(3)}/s each; ELBv2 ${side.rates['ELBv2 describes'].toFixed(3)} describes/s, ${side.rates['ELBv2 writes'].toFixed(3)} writes/s; ECS ${side.rates['ECS describes'].toFixed(3)} describes/s; health gate on)` +
        (side1 ? `; at poll-interval 1s: ${side1.count}` : '') +
        ` | ≥ 30 | ${ok(side.count >= 30)} |`
      : '| Rollouts side by side | not measured | ≥ 30 | |',
    ...startupRows(results.startup),
    `| Size of dist/ | ${mib(dist.distBytes)} in ${dist.distFiles} files: index.js ${mib(dist.bundleBytes)} (not minified), licenses.txt, package.json | — | |`
  ]
  return [...rows, '', ...results.conditions.map(line => `- ${line}`), ''].join('\n')
}
