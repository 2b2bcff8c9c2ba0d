/**
 * Crash reaction (issue 23): a canary task that exits with code 1 every 8 s and is replaced in
 * 4 s (EcsTimeline, answered by a health proxy in front of the lane's counting proxy: moto's
 * services run no tasks), from the first stop becoming visible (its STOPPED task, the dip and the
 * "has stopped" event all appear at that instant) to every rule reading back 100% on live. Every
 * alarm stays OK, no metrics exist. Also counts the ECS reads of a healthy bake and of the bake
 * around the crash, per minute, from the lane's proxy.
 */
import { randomInt } from 'node:crypto'
import { readWeights } from '../__tests__/e2e/support/fixture.js'
import { EcsTimeline } from '../__tests__/e2e/support/ecs-standin.js'
import { startHealthProxy, targetHealth } from '../__tests__/e2e/support/health-proxy.js'
import { startAction } from '../__tests__/e2e/support/runner.js'
import { allOnLive, calmAlarms, deployInputs, rulesOf } from './lane.js'
import type { Lane, Mutex } from './lane.js'
import { READ_EVERY_MS } from './reaction.js'
import { percentile, seconds } from './stats.js'

/** One trial. */
export interface CrashSample {
  pollMs: number
  /** First stop visible → the midpoint of the window in which the rules flipped. */
  restoredMs: number
  errorMs: number
  /** ECS requests per operation while the stage baked healthy, and for how long. */
  healthyEcs: Record<string, number>
  healthyMs: number
  /** ECS requests per operation from the first stop to the rollback. */
  crashEcs: Record<string, number>
}

const ECS = new Set(['DescribeServices', 'ListTasks', 'DescribeTasks'])
const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms))

/** Runs `trials` crash trials in `lane`, one after another; `window` serialises the crashes. */
export async function crashTrials(
  lane: Lane,
  pollMs: number,
  trials: number,
  window: Mutex
): Promise<CrashSample[]> {
  const samples: CrashSample[] = []
  const { stack } = lane
  const rules = rulesOf(stack, 2)
  const proxy = await startHealthProxy(lane.proxy.url)
  try {
    for (let i = 0; i < trials; i++) {
      await calmAlarms(stack)
      const before = await readWeights(stack.aws, rules[0])
      const idleGroup = Object.entries(before.weights).find(([, weight]) => weight === 0)?.[0]
      if (!idleGroup) throw new Error('bench: the lane has traffic on both groups')
      const idle = stack.targetGroups.blue.arn === idleGroup ? 'blue' : 'green'
      const timeline = new EcsTimeline({
        clusterArn: stack.clusterArn,
        serviceName: stack.services[idle].name,
        ips: stack.targetGroups[idle].targetIps
      })
      for (const [op, hook] of Object.entries(timeline.hooks())) proxy.on(op, hook)
      proxy.on(
        'DescribeTargetHealth',
        targetHealth(idleGroup, () => timeline.targets())
      )
      lane.proxy.reset()
      const lines: string[] = []
      const run = startAction(
        { ...lane.context, awsEndpoint: proxy.url },
        {
          onLine: line => lines.push(line.text),
          inputs: deployInputs(stack, rules, {
            stages: '1:30m,100:1s',
            'poll-interval': `${pollMs / 1000}s`
          }),
          env: { NODE_NO_WARNINGS: '1' }
        }
      )
      await run.waitForOutput(/^Stage 1\/2: /)
      const bakeFrom = Date.now() + 1_000
      await sleep(randomInt(10_000, 10_000 + 3 * pollMs))
      const queued = Date.now()
      const sample = await window.run(async () => {
        if (Date.now() - queued > 20) await sleep(randomInt(0, pollMs))
        const healthyTo = Date.now()
        timeline.crashEvery(8_000, {
          stopCode: 'EssentialContainerExited',
          stoppedReason: 'Essential container in task exited',
          exitCode: 1,
          replaceMs: 4_000
        })
        const first = timeline.stops[0].at
        let lastMiss = first
        for (;;) {
          const readAt = Date.now()
          if (await allOnLive(stack, rules, idleGroup)) {
            const seen = Date.now()
            const middle = (lastMiss + seen) / 2
            const calls = lane.proxy.calls().filter(c => ECS.has(c.operation))
            return {
              pollMs,
              restoredMs: middle - first,
              errorMs: (seen - lastMiss) / 2,
              healthyEcs: count(calls.filter(c => c.at >= bakeFrom && c.at < healthyTo)),
              healthyMs: healthyTo - bakeFrom,
              crashEcs: count(calls.filter(c => c.at >= first && c.at <= seen))
            }
          }
          lastMiss = readAt
          if (readAt - first > 4 * pollMs + 10_000)
            throw new Error(
              `bench: traffic never came back (poll ${pollMs} ms): ${lines.slice(-3).join(' | ')}`
            )
          await sleep(Math.max(0, READ_EVERY_MS - (Date.now() - readAt)))
        }
      })
      const result = await run.done
      // The strict stand-in's `rule-read-lag` shows the rules as they were for a while after the
      // rollback's writes: the next trial's rollout would read them split (issue 28).
      await lane.proxy.readLagOver()
      timeline.close()
      for (const op of ['DescribeTargetHealth', ...ECS]) proxy.on(op, undefined)
      if (result.outputs.result !== 'rolled-back') {
        throw new Error(
          `bench: expected a rollback, got ${result.outputs.result}: ${result.stdout}`
        )
      }
      if (proxy.violations().length > 0) {
        throw new Error(`bench: the stand-in broke ECS rules: ${proxy.violations().join('; ')}`)
      }
      samples.push(sample)
    }
  } finally {
    await proxy.close()
  }
  return samples
}

function count(calls: readonly { operation: string }[]): Record<string, number> {
  const out: Record<string, number> = {}
  for (const c of calls) out[c.operation] = (out[c.operation] ?? 0) + 1
  return out
}

/** ECS's per-account limits (requests/s): service reads and cluster resource reads. */
const SERVICE_READS_PER_S = 20
const CLUSTER_READS_PER_S = 20

/** The result rows for one poll interval. */
export function crashRows(samples: CrashSample[], pollMs: number): string[] {
  const mine = samples.filter(s => s.pollMs === pollMs)
  const ms = mine.map(s => s.restoredMs)
  const p95 = percentile(ms, 95)
  const minutes = mine.reduce((a, s) => a + s.healthyMs, 0) / 60_000
  const per = (op: string) => mine.reduce((a, s) => a + (s.healthyEcs[op] ?? 0), 0) / minutes
  const services = per('DescribeServices')
  const cluster = per('ListTasks') + per('DescribeTasks')
  const byService = Math.floor(SERVICE_READS_PER_S / (services / 60))
  const byCluster = cluster > 0 ? Math.floor(CLUSTER_READS_PER_S / (cluster / 60)) : Infinity
  const crashReads = (op: string) =>
    (mine.reduce((a, s) => a + (s.crashEcs[op] ?? 0), 0) / mine.length).toFixed(1)
  const poll = `poll-interval ${pollMs / 1000}s`
  return [
    `| Canary task crashes → traffic restored, health gate, ${poll} (${mine.length} trials; exit code 1 every 8 s, replaced in 4 s, alarms OK, no metrics) | ` +
      `from the first stop becoming visible: p50 ${seconds(percentile(ms, 50))} · p95 ${seconds(p95)} · max ${seconds(Math.max(...ms))} | ` +
      `p95 ≤ ${seconds(pollMs + 2_000)} (one poll + 2 s) | ${p95 <= pollMs + 2_000 ? '✅' : '❌ missed'} |`,
    `| ECS reads per minute of baking, ${poll}, health gate on (${minutes.toFixed(1)} min of healthy bakes; from the first stop to the rollback, per trial: DescribeServices ${crashReads('DescribeServices')}, ListTasks ${crashReads('ListTasks')}, DescribeTasks ${crashReads('DescribeTasks')}) | ` +
      `DescribeServices ${services.toFixed(1)}, ListTasks ${per('ListTasks').toFixed(1)}, DescribeTasks ${per('DescribeTasks').toFixed(1)}: ECS alone allows ${byService} rollouts side by side (service reads, 20/s) and ${byCluster === Infinity ? 'no limit' : byCluster} by cluster reads (20/s) | ` +
      `≥ 30 rollouts side by side | ${Math.min(byService, byCluster) >= 30 ? '✅' : pollMs < 5_000 ? 'ELBv2 binds first (see above)' : '❌ missed'} |`
  ]
}
