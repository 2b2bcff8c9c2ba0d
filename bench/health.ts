/**
 * Health-gate reaction: from the moment the canary's targets turn unhealthy (a proxy in front
 * of the lane's counting proxy rewrites DescribeTargetHealth, since moto's targets are always
 * healthy) to the moment every rule reads back 100% on the live service. Measured both from the
 * flip and from the second unhealthy read the action got (the gate's rule: two in a row).
 */
import { randomInt } from 'node:crypto'
import { loadavg } from 'node:os'
import { readWeights } from '../__tests__/e2e/support/fixture.js'
import { startHealthProxy, targetHealth } from '../__tests__/e2e/support/health-proxy.js'
import { startAction } from '../__tests__/e2e/support/runner.js'
import { allOnLive, calmAlarms, deployInputs, rulesOf, stageStarted } from './lane.js'
import type { Lane, Mutex } from './lane.js'
import { READ_EVERY_MS } from './reaction.js'

/** One trial. */
export interface HealthSample {
  pollMs: number
  /** Targets flipped to unhealthy → the midpoint of the window in which the rules flipped. */
  fromFlipMs: number
  /** The second unhealthy DescribeTargetHealth answer sent → the same midpoint. */
  fromSecondReadMs: number
  errorMs: number
  /** The machine's 1-minute load average at the flip. */
  load: number
}

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms))

/** Runs `trials` health trials in `lane`, one after another; `window` serialises the flips. */
export async function healthTrials(
  lane: Lane,
  pollMs: number,
  trials: number,
  window: Mutex
): Promise<HealthSample[]> {
  const samples: HealthSample[] = []
  const { stack } = lane
  const rules = rulesOf(stack, 2)
  const proxy = await startHealthProxy(lane.proxy.url)
  try {
    for (let i = 0, refused = 0; i < trials; i++) {
      // As in reaction.ts: the previous rollout's writes must have stopped lagging.
      await lane.proxy.readLagOver()
      await calmAlarms(stack)
      const before = await readWeights(stack.aws, rules[0])
      const idleGroup = Object.entries(before.weights).find(([, weight]) => weight === 0)?.[0]
      if (!idleGroup) throw new Error('bench: the lane has traffic on both groups')
      let sick = false
      proxy.on(
        'DescribeTargetHealth',
        targetHealth(idleGroup, () =>
          sick
            ? ['10.0.12.10', '10.0.12.11'].map(id => ({
                id,
                port: 8080,
                state: 'unhealthy' as const,
                reason: 'Target.Timeout',
                description: 'Request timed out'
              }))
            : ['10.0.12.10', '10.0.12.11'].map(id => ({
                id,
                port: 8080,
                state: 'healthy' as const
              }))
        )
      )
      const run = startAction(
        { ...lane.context, awsEndpoint: proxy.url },
        {
          inputs: deployInputs(stack, rules, {
            stages: '1:30m,100:1s',
            'poll-interval': `${pollMs / 1000}s`
          }),
          env: { NODE_NO_WARNINGS: '1' }
        }
      )
      if (!(await stageStarted(run, refused++))) {
        proxy.on('DescribeTargetHealth', undefined)
        i--
        continue
      }
      refused = 0
      await sleep(randomInt(200, 200 + 3 * pollMs))
      const queued = Date.now()
      const sample = await window.run(async () => {
        if (Date.now() - queued > 20) await sleep(randomInt(0, pollMs))
        const seenBefore = proxy.rewritten().length
        const sent = Date.now()
        sick = true
        let lastMiss = sent
        for (;;) {
          const readAt = Date.now()
          if (await allOnLive(stack, rules, idleGroup)) {
            const seen = Date.now()
            const middle = (lastMiss + seen) / 2
            const unhealthy = proxy
              .rewritten()
              .slice(seenBefore)
              .filter(r => r.operation === 'DescribeTargetHealth' && r.body.includes('unhealthy'))
            const second = unhealthy[1]?.at ?? NaN
            return {
              pollMs,
              fromFlipMs: middle - sent,
              fromSecondReadMs: middle - second,
              errorMs: (seen - lastMiss) / 2,
              load: loadavg()[0]
            }
          }
          lastMiss = readAt
          if (readAt - sent > 4 * pollMs + 60_000) throw new Error('bench: traffic never came back')
          await sleep(Math.max(0, READ_EVERY_MS - (Date.now() - readAt)))
        }
      })
      const result = await run.done
      proxy.on('DescribeTargetHealth', undefined)
      if (result.outputs.result !== 'rolled-back') {
        throw new Error(
          `bench: expected a rollback, got ${result.outputs.result}: ${result.stdout}`
        )
      }
      samples.push(sample)
    }
  } finally {
    await proxy.close()
  }
  return samples
}
