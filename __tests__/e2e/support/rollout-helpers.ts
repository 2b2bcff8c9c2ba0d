import { afterAll, afterEach } from '@jest/globals'
import { readWeights } from './fixture.js'
import type { Color, Stack } from './fixture.js'
import type { ProxyCall } from './fault-proxy.js'

/** The default stage shares with one-second bakes: a whole rollout in about seven seconds. */
export const FAST_STAGES = '1:1s,2:1s,5:1s,10:1s,50:1s,100:1s'

/** The pair's weights on one rule (or listener default action), by colour. */
export type PairWeights = Record<Color, number>

/**
 * The inputs of a deploy of the stack's idle service over the listener's default action and the
 * `/api/*` rule, watching both alarms, with one-second bakes and a quarter-second poll.
 * `overrides` replace or add inputs by their action.yml names.
 */
export function deployInputs(
  stack: Stack,
  overrides: Record<string, string | number | boolean> = {}
): Record<string, string | number | boolean> {
  return {
    cluster: stack.clusterName,
    services: `${stack.services.blue.name} ${stack.services.green.name}`,
    'listener-rules': [stack.listenerArn, stack.rules.api].join('\n'),
    alarms: stack.alarmNames.join(' '),
    stages: FAST_STAGES,
    'poll-interval': '250ms',
    ...overrides
  }
}

/** Reads the pair's weights on a rule straight from moto (a group the rule lacks reads 0). */
export async function pairWeights(stack: Stack, arn: string): Promise<PairWeights> {
  const { weights } = await readWeights(stack.aws, arn)
  return {
    blue: weights[stack.targetGroups.blue.arn] ?? 0,
    green: weights[stack.targetGroups.green.arn] ?? 0
  }
}

/** Whether every rule in `arns` sends all traffic to `color`. */
export async function allOn(stack: Stack, color: Color, arns: string[]): Promise<boolean> {
  const other: Color = color === 'blue' ? 'green' : 'blue'
  const read = await Promise.all(arns.map(arn => pairWeights(stack, arn)))
  return read.every(w => w[color] > 0 && w[other] === 0)
}

/**
 * Polls the rules every `everyMs` until all traffic is on `color` on every one of them, and
 * resolves with the wall-clock time (Date.now()) of the read that first showed it.
 */
export async function waitUntilAllOn(
  stack: Stack,
  color: Color,
  arns: string[],
  { timeoutMs = 30_000, everyMs = 20 } = {}
): Promise<number> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const asked = Date.now()
    if (await allOn(stack, color, arns)) return asked
    if (Date.now() > deadline) throw new Error(`the rules never read back all on ${color}`)
    await new Promise(resolve => setTimeout(resolve, everyMs))
  }
}

/**
 * The first weight write (ModifyRule or ModifyListener) the fault proxy received at or after
 * `since`: in a test whose bake fails, the action's restore. A reaction test counts the gate's
 * reads before it (caught at the first read that could see the fault, no extra poll), which no
 * load can change; how fast that is, in seconds, is the bench's to measure (bench/results.md).
 */
export function firstWeightWrite(calls: ProxyCall[], since: number): ProxyCall {
  const write = calls.find(
    c => c.at >= since && (c.operation === 'ModifyRule' || c.operation === 'ModifyListener')
  )
  if (!write) throw new Error('the proxy saw no ModifyRule or ModifyListener after the fault')
  return write
}

/** A background reader of the rules' weights while the action runs. */
export interface WeightWatch {
  /** Stops polling; per ARN, the weights seen, consecutive repeats collapsed. */
  stop(): Promise<Record<string, PairWeights[]>>
}

/**
 * Reads the rules every `everyMs` until stopped, to see every stage the action sets. A one-second
 * bake read every 100 ms cannot slip between two reads.
 */
export function watchWeights(stack: Stack, arns: string[], everyMs = 100): WeightWatch {
  const seen: Record<string, PairWeights[]> = Object.fromEntries(arns.map(arn => [arn, []]))
  let running = true
  const loop = (async () => {
    while (running) {
      for (const arn of arns) {
        const now = await pairWeights(stack, arn)
        const last = seen[arn].at(-1)
        if (!last || last.blue !== now.blue || last.green !== now.green) seen[arn].push(now)
      }
      await new Promise(resolve => setTimeout(resolve, everyMs))
    }
  })()
  return {
    async stop() {
      running = false
      await loop
      return seen
    }
  }
}

/**
 * Prints, when the file is done, how many tests it ran and its wall time (from module load),
 * for the suite's figures.
 */
export function reportFileTiming(file: string): void {
  const started = Date.now()
  let tests = 0
  afterEach(() => {
    tests += 1
  })
  afterAll(() => {
    console.log(`${file}: ${tests} tests, ${((Date.now() - started) / 1000).toFixed(1)} s wall`)
  })
}

/**
 * Waits out ELB's read lag: DescribeRules may show a write's previous weights for up to 1 s (the
 * strict stand-in's `rule-read-lag`). A person starts the next run later than that; a test that
 * starts one at once would see the lag, and the action rightly refuses what it cannot trust.
 */
export async function waitOutReadLag(): Promise<void> {
  await new Promise(resolve => setTimeout(resolve, 1_500))
}
