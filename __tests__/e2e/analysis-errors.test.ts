import { afterEach, describe, expect, it } from '@jest/globals'
import { pushTargetGroupTraffic } from './support/alb-metrics.js'
import type { TargetGroupTraffic } from './support/alb-metrics.js'
import { provisionStack } from './support/fixture.js'
import type { Stack } from './support/fixture.js'
import { useE2e } from './support/harness.js'
import { pairWeights } from './support/rollout-helpers.js'
import { startAction } from './support/runner.js'
import type { ActionHandle } from './support/runner.js'

// Issue 13: analysis sees the errors the load balancer answers for a canary that crashes or
// resets connections (no TargetGroup dimension on HTTPCode_ELB_5XX_Count, so read through the
// group's connection errors and its requests no target answered), and a hopeless canary fails
// before min-requests.
const e2e = useE2e()
const stacks: Stack[] = []

afterEach(() => {
  stacks.splice(0).forEach(s => s.aws.destroy())
})

const LIVE: TargetGroupTraffic = { requests: 4000, errors: 20 } // 0.5% 5xx

async function stack(): Promise<Stack> {
  const s = await provisionStack()
  // These push "now" and judge within seconds: the strict ALB metric delay (support/README.md,
  // `metric-delay`) would hide the data, as CloudWatch does for a minute or two.
  e2e.proxy.strict({ off: ['metric-delay'] })
  stacks.push(s)
  return s
}

function start(s: Stack): ActionHandle {
  return startAction(e2e.context(s), {
    inputs: {
      cluster: s.clusterName,
      services: 'web-blue web-green',
      'listener-rules': `${s.listenerArn}\n${s.rules.api}`,
      stages: '1:20s,100:1s',
      'poll-interval': '250ms'
    }
  })
}

async function traffic(s: Stack, canary: TargetGroupTraffic) {
  const { loadBalancerArn, targetGroups } = s
  // Live first: a poll between the two pushes must not judge the canary against no live data.
  await pushTargetGroupTraffic(s.aws, loadBalancerArn, targetGroups[s.live].arn, LIVE)
  await pushTargetGroupTraffic(s.aws, loadBalancerArn, targetGroups[s.idle].arn, canary)
}

describe('canary analysis of what the load balancer answered', () => {
  it('rolls back a canary with connection errors and not one 5xx from its targets', async () => {
    const s = await stack()
    const run = start(s)
    await run.waitForOutput(/^Stage 1\/2: 1% on web-green, baking/)
    await traffic(s, { requests: 200, errors: 0, unanswered: 40, connectionErrors: 40 })
    const result = await run.done

    expect(result.outputs.result).toBe('rolled-back')
    expect(result.outputs.reason).toContain(
      'canary 5xx 20.0% (40/200, 40 without a target response) vs live 0.5% (20/4000)'
    )
    expect(await pairWeights(s, s.rules.api)).toEqual({ blue: 100, green: 0 })
    expect(await pairWeights(s, s.listenerArn)).toEqual({ blue: 100, green: 0 })
  })

  it('fails a canary that failed 30 of 30 requests without waiting for min-requests', async () => {
    const s = await stack()
    const run = start(s)
    await run.waitForOutput(/^Stage 1\/2: 1% on web-green, baking/)
    const pushedAt = Date.now()
    await traffic(s, { requests: 30, errors: 0, unanswered: 30, connectionErrors: 30 })
    const result = await run.done

    expect(result.outputs.result).toBe('rolled-back')
    expect(result.outputs.reason).toContain(
      'canary 5xx (30/30, 30 without a target response) before min-requests: even if the 20 request(s) still missing to reach 50 all succeed'
    )
    const rolledBack = result.lines.find(l => /Rolling back/.test(l.text))
    expect(rolledBack).toBeDefined()
    // Well inside the 20 s bake: the stage did not have to end (nor be extended) first.
    expect(result.stdout).not.toContain('Extending the bake')
    expect(Date.now() - pushedAt).toBeLessThan(15_000)
    expect(await pairWeights(s, s.rules.api)).toEqual({ blue: 100, green: 0 })
  })
})
