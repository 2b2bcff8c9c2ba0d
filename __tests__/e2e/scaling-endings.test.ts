import { describe, expect, it } from '@jest/globals'
import {
  ApplicationAutoScalingClient,
  RegisterScalableTargetCommand
} from '@aws-sdk/client-application-auto-scaling'
import { DescribeServicesCommand } from '@aws-sdk/client-ecs'
import { REGION } from './support/accounts.js'
import { registerScalable, scaleInSuspended } from './support/capacity-helpers.js'
import { provisionStack, readTags, writeTags } from './support/fixture.js'
import type { Color, Stack } from './support/fixture.js'
import { workflowDispatchEvent } from './support/github-events.js'
import { useE2e } from './support/harness.js'
import { motoUrl } from './support/moto-url.js'
import { deployInputs, pairWeights, reportFileTiming } from './support/rollout-helpers.js'
import { runAction, runPost, startAction } from './support/runner.js'
import type { RunContext } from './support/runner.js'

// Issue 24: auto scaling and credentials as AWS applies them. The strict stand-in's
// `aas-capacity` rule moves a service's desired count inside its range on every
// RegisterScalableTarget, as AWS does (support/README.md).
const e2e = useE2e()
reportFileTiming('scaling-endings.test.ts')

const SCALE_IN_TAG = 'ecs-canary:scale-in-suspended'
const DEPLOY_RUN = '4242424242'

/** Both services auto scale: blue (live) in 1..20, green (idle) in 0..20 unless said. */
async function scalableStack(green = { min: 0, max: 20 }, blue = { min: 1, max: 20 }) {
  const s = await provisionStack()
  await registerScalable(s, 'blue', blue)
  await registerScalable(s, 'green', green)
  return s
}

/** `role-to-assume` with the runner's OIDC token, and no AWS credential variables at all. */
function roleOnly(s: Stack) {
  return {
    inputs: { 'role-to-assume': `arn:aws:iam::${s.account.accountId}:role/ecs-canary-deployer` },
    env: {
      ACTIONS_ID_TOKEN_REQUEST_URL: e2e.github.oidcUrl,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'e2e-oidc-request-token',
      AWS_ACCESS_KEY_ID: '',
      AWS_SECRET_ACCESS_KEY: '',
      AWS_SESSION_TOKEN: ''
    }
  }
}

async function desiredCount(s: Stack, color: Color): Promise<number | undefined> {
  const { services } = await s.aws.ecs.send(
    new DescribeServicesCommand({ cluster: s.clusterName, services: [s.services[color].name] })
  )
  return services?.[0]?.desiredCount
}

/** A deploy killed (SIGKILL) while its second stage bakes, scale-in suspended on both. */
async function killedMidRollout(s: Stack, context: RunContext) {
  const role = roleOnly(s)
  const deploy = startAction(context, {
    inputs: deployInputs(s, { stages: '1:1s,2:60s,100:1s', ...role.inputs }),
    env: role.env
  })
  await deploy.waitForOutput(/^Stage 2\/3/)
  deploy.kill('SIGKILL')
  const main = await deploy.done
  expect(await scaleInSuspended(s, 'blue')).toBe(true)
  expect(await scaleInSuspended(s, 'green')).toBe(true)
  return main
}

describe('every ending resumes the scale-in, with the run’s own credentials', () => {
  it('the post step after a killed main step, with role-to-assume and no AWS_* credentials', async () => {
    const s = await scalableStack()
    const context = e2e.context(s)
    const main = await killedMidRollout(s, context)

    const post = await runPost(context, main)

    expect(post.code).toBe(0)
    expect(await pairWeights(s, s.rules.api)).toEqual({ blue: 100, green: 0 })
    expect(await scaleInSuspended(s, 'blue')).toBe(false)
    expect(await scaleInSuspended(s, 'green')).toBe(false)
    expect(await readTags(s.aws, s.rules.api)).toMatchObject({ [SCALE_IN_TAG]: 'none' })
    expect(post.stdout).not.toMatch(/could not be resumed/)
  })

  it('mode: reconcile after a lost runner (no post step), with role-to-assume', async () => {
    const s = await scalableStack()
    const context = e2e.context(s)
    await killedMidRollout(s, context)
    e2e.github.setRun(DEPLOY_RUN, 1, { status: 'completed', conclusion: 'cancelled' })
    const then = new Date(Date.now() - 5 * 60_000).toISOString().replace(/\.\d+Z$/, 'Z')
    for (const arn of [s.listenerArn, s.rules.api]) {
      await writeTags(s.aws, arn, { 'ecs-canary:heartbeat': then })
    }
    const role = roleOnly(s)

    const result = await runAction(context, {
      inputs: {
        ...deployInputs(s, { mode: 'reconcile', ...role.inputs }),
        stages: ''
      },
      event: workflowDispatchEvent(),
      env: { ...role.env, GITHUB_RUN_ID: '5151515151', GITHUB_WORKFLOW: 'watchdog' }
    })

    expect(result.outputs.result).toBe('rolled-back')
    expect(await pairWeights(s, s.rules.api)).toEqual({ blue: 100, green: 0 })
    expect(await scaleInSuspended(s, 'blue')).toBe(false)
    expect(await scaleInSuspended(s, 'green')).toBe(false)
    expect(await readTags(s.aws, s.rules.api)).toMatchObject({ [SCALE_IN_TAG]: 'none' })
  })

  it('a resume that cannot be made warns with the service and the command that mends it', async () => {
    const s = await scalableStack()
    const context = e2e.context(s)
    const main = await killedMidRollout(s, context)
    e2e.proxy.inject({ operation: 'RegisterScalableTarget', fault: 'denied', times: 'always' })

    const post = await runPost(context, main)

    expect(post.code).toBe(0)
    expect(await pairWeights(s, s.rules.api)).toEqual({ blue: 100, green: 0 })
    for (const service of ['web-blue', 'web-green']) {
      expect(post.stdout).toContain(
        `aws application-autoscaling register-scalable-target --region ${REGION} ` +
          `--service-namespace ecs --scalable-dimension ecs:service:DesiredCount ` +
          `--resource-id service/${s.clusterName}/${service} --suspended-state ` +
          `DynamicScalingInSuspended=false,DynamicScalingOutSuspended=false,ScheduledScalingSuspended=false`
      )
    }
    expect(post.stdout).toMatch(
      /::warning::.*scale-in of web-blue and web-green could not be resumed/
    )
    expect(await readTags(s.aws, s.rules.api)).toMatchObject({
      [SCALE_IN_TAG]: 'web-blue web-green'
    })
  })
})

describe('no call leaves a service where the action did not mean it to be', () => {
  it('refuses after-promotion: scale-down with the live MinCapacity 1, before any write, naming the fix', async () => {
    const s = await scalableStack()
    e2e.proxy.reset()

    const result = await runAction(e2e.context(s), {
      inputs: deployInputs(s, { 'after-promotion': 'scale-down' })
    })

    expect(result.code).toBe(1)
    expect(result.outputs.result).toBe('unchanged')
    expect(e2e.proxy.writes()).toBe(0)
    expect(result.stdout).toMatch(
      /after-promotion: scale-down would set web-blue to 0 tasks, but its auto scaling MinCapacity is 1.*--resource-id service\/[^ ]+\/web-blue --min-capacity 0.*after-promotion: keep/
    )
    expect(await desiredCount(s, 'blue')).toBe(2)
  })

  it('with MinCapacity raised to 1 mid-rollout, keeps the old service running and says why, never "down to 0"', async () => {
    const s = await scalableStack(undefined, { min: 0, max: 20 })
    const deploy = startAction(e2e.context(s), {
      inputs: deployInputs(s, { stages: '1:3s,100:1s', 'after-promotion': 'scale-down' })
    })
    await deploy.waitForOutput(/^Stage 1\/2/)
    // Someone (Terraform) raises MinCapacity while the stage bakes: only MinCapacity is named.
    const aas = new ApplicationAutoScalingClient({
      region: REGION,
      endpoint: motoUrl(),
      credentials: s.account.credentials
    })
    await aas.send(
      new RegisterScalableTargetCommand({
        ServiceNamespace: 'ecs',
        ScalableDimension: 'ecs:service:DesiredCount',
        ResourceId: `service/${s.clusterName}/web-blue`,
        MinCapacity: 1,
        MaxCapacity: 20,
        SuspendedState: { DynamicScalingInSuspended: true }
      })
    )
    aas.destroy()
    const result = await deploy.done

    expect(result.outputs.result).toBe('promoted')
    expect(result.stdout).not.toMatch(/Scaled web-blue down to 0/)
    expect(result.stdout).toMatch(
      /Promoted, but web-blue was not scaled down: its auto scaling MinCapacity is now 1/
    )
    expect(await desiredCount(s, 'blue')).toBe(2)
    expect(await scaleInSuspended(s, 'blue')).toBe(false)
  })

  it('refuses a follow rollout whose live service runs above the idle MaxCapacity, with zero writes, naming the limit', async () => {
    const s = await scalableStack({ min: 0, max: 1 })
    e2e.proxy.reset()

    const result = await runAction(e2e.context(s), {
      inputs: deployInputs(s, { 'canary-capacity': 'follow' })
    })

    expect(result.code).toBe(1)
    expect(e2e.proxy.writes()).toBe(0)
    expect(result.stdout).toMatch(
      /web-green must run 2 tasks at 100%(25)? \(canary-capacity: follow, web-blue runs 2\), but its auto scaling MaxCapacity is 1\. Raise it .*--resource-id service\/[^ ]+\/web-green --max-capacity 2/
    )
  })

  it('refuses a live service someone scaled outside its range: the suspend would resize it', async () => {
    const s = await scalableStack(undefined, { min: 3, max: 20 })
    e2e.proxy.reset()

    const result = await runAction(e2e.context(s), { inputs: deployInputs(s) })

    expect(result.code).toBe(1)
    expect(e2e.proxy.writes()).toBe(0)
    expect(result.stdout).toMatch(
      /web-blue runs 2 task\(s\), outside its auto scaling range 3\.\.20: suspending its scale-in .*would make Application Auto Scaling set it to 3/
    )
    expect(await desiredCount(s, 'blue')).toBe(2)
  })
})
