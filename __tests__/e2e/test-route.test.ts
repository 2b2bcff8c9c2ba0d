/**
 * Issue 27, test traffic before production traffic: a rule matching `X-Canary: 1`
 * (`test-listener-rules`) reaches the revision under test before any production weight moves,
 * follows it to promotion or back to live, and is restored like every other rule. Run as the
 * runner runs the bundle, through the strict stand-in.
 */
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { CreateRuleCommand } from '@aws-sdk/client-elastic-load-balancing-v2'
import { describe, expect, it } from '@jest/globals'
import { parse } from 'yaml'
import { forward } from './support/fixture-elb.js'
import { provisionStack, readTags, setAlarm, type Stack } from './support/fixture.js'
import { useE2e } from './support/harness.js'
import { deployInputs, pairWeights } from './support/rollout-helpers.js'
import { runAction, runPost, startAction } from './support/runner.js'

const e2e = useE2e()

/** The test route: a rule on the listener for requests carrying `X-Canary: 1`, all on live. */
async function testRule(s: Stack, groups?: Record<string, number>): Promise<string> {
  const weights = groups ?? {
    [s.targetGroups.blue.arn]: 100,
    [s.targetGroups.green.arn]: 0
  }
  const { Rules } = await s.aws.elbv2.send(
    new CreateRuleCommand({
      ListenerArn: s.listenerArn,
      Priority: 5,
      Conditions: [
        { Field: 'http-header', HttpHeaderConfig: { HttpHeaderName: 'X-Canary', Values: ['1'] } }
      ],
      Actions: [forward(weights)]
    })
  )
  return Rules![0].RuleArn!
}

/**
 * Where a request carrying `X-Canary: 1` goes: modelled by reading the test rule's forward (the
 * emulator routes no HTTP), the target group holding all its weight.
 */
async function testRequestReaches(s: Stack, rule: string): Promise<string> {
  const w = await pairWeights(s, rule)
  if (w.green === 100 && w.blue === 0) return s.targetGroups.green.arn
  if (w.blue === 100 && w.green === 0) return s.targetGroups.blue.arn
  return `split ${JSON.stringify(w)}`
}

/** The rule a weight write (ModifyRule / ModifyListener) went to, from its request body. */
function writesInOrder(): string[] {
  return e2e.proxy
    .calls()
    .filter(c => c.operation === 'ModifyRule' || c.operation === 'ModifyListener')
    .map(c => {
      const params = new URLSearchParams(c.body)
      return params.get('RuleArn') ?? params.get('ListenerArn') ?? '?'
    })
}

const production = (s: Stack) => [s.listenerArn, s.rules.api]

async function expectProductionOn(s: Stack, blue: number) {
  for (const arn of production(s)) {
    expect(await pairWeights(s, arn)).toEqual({ blue, green: 100 - blue })
  }
}

/** The steps of docs/examples/smoke-test.yml's deploy job, by name (or `canary` for the deploy). */
interface ExampleStep {
  name?: string
  id?: string
  uses?: string
  run?: string
  if?: string
  with?: Record<string, string>
}

function exampleSteps(): ExampleStep[] {
  const file = join(dirname(fileURLToPath(import.meta.url)), '../../docs/examples/smoke-test.yml')
  const workflow = parse(readFileSync(file, 'utf8')) as {
    jobs: { deploy: { steps: ExampleStep[] } }
  }
  return workflow.jobs.deploy.steps
}

/**
 * An ecs-canary step's inputs against the stack: `${{ env.X }}` filled in with the stack's
 * cluster, pair, rules and alarms, bakes shortened to a second (the plan's shape kept), and
 * the task definition file left out (the stack's services already run revision 1).
 */
function stepInputs(step: ExampleStep, s: Stack, testRule: string): Record<string, string> {
  const env: Record<string, string> = {
    CLUSTER: s.clusterName,
    SERVICES: `${s.services.blue.name} ${s.services.green.name}`,
    LISTENER_RULES: `${s.listenerArn}\n${s.rules.api}`,
    TEST_RULES: testRule,
    ALARMS: s.alarmNames.join(' ')
  }
  const inputs = Object.fromEntries(
    Object.entries(step.with ?? {})
      .filter(([name]) => name !== 'task-definition')
      .map(([name, value]) => [
        name,
        String(value).replace(/\$\{\{ env\.(\w+) \}\}/g, (_, key: string) => env[key])
      ])
  )
  if (inputs.stages) inputs.stages = inputs.stages.replace(/:\d+[smh]/g, ':1s')
  return { ...inputs, 'poll-interval': '250ms' }
}

function step(steps: ExampleStep[], match: (step: ExampleStep) => boolean): ExampleStep {
  const found = steps.find(match)
  if (!found) throw new Error('docs/examples/smoke-test.yml lost a step this test runs')
  return found
}

describe('docs/examples/smoke-test.yml, run as a sequence against the emulator', () => {
  const steps = exampleSteps()
  const deployStep = step(steps, st => st.id === 'canary')
  const smoke = step(steps, st => /curl/.test(st.run ?? ''))
  const promoteStep = step(steps, st => st.with?.mode === 'promote')
  const rollbackStep = step(steps, st => st.with?.mode === 'rollback')

  it('deploy: the test route on the canary, production 100/0; the request reaches the canary; promote', async () => {
    const s = await provisionStack()
    const rule = await testRule(s)
    expect(deployStep.with?.stages).toMatch(/^0:pause /)

    const deploy = await runAction(e2e.context(s), { inputs: stepInputs(deployStep, s, rule) })

    expect(deploy.code).toBe(0)
    expect(deploy.outputs).toMatchObject({
      result: 'paused',
      percent: '0',
      'idle-service': 'web-green',
      'test-service': 'web-green'
    })
    // The only weight write of the deploy is the test rule's: production never moved.
    expect(writesInOrder()).toEqual([rule])
    await expectProductionOn(s, 100)
    // The smoke step runs on a paused deploy and sends the header the test rule matches.
    expect(smoke.if).toContain("steps.canary.outputs.result == 'paused'")
    expect(smoke.run).toContain("-H 'X-Canary: 1'")
    // Its request, modelled by reading the rule's forward: it reaches the canary's target group.
    expect(await testRequestReaches(s, rule)).toBe(s.targetGroups.green.arn)
    // Claimed and recorded like the production rules.
    expect(await readTags(s.aws, rule)).toMatchObject({
      'ecs-canary:phase': 'paused',
      'ecs-canary:plan': '0:pause 1:1s 10:1s 50:1s 100:1s'
    })

    e2e.proxy.reset()
    const promote = await runAction(e2e.context(s), { inputs: stepInputs(promoteStep, s, rule) })

    expect(promote.code).toBe(0)
    expect(promote.outputs).toMatchObject({
      result: 'promoted',
      'live-service': 'web-green',
      'test-service': 'web-green'
    })
    // The promote moved production only: the test rule was already on the canary.
    expect(writesInOrder()).not.toContain(rule)
    await expectProductionOn(s, 0)
    // After the promotion the test rule points at the new live service.
    expect(await testRequestReaches(s, rule)).toBe(s.targetGroups.green.arn)
    expect(await readTags(s.aws, rule)).toMatchObject({ 'ecs-canary:phase': 'promoted' })
  })

  it('a failing smoke test runs the rollback step: the test rule back on live', async () => {
    const s = await provisionStack()
    const rule = await testRule(s)
    expect(rollbackStep.if).toContain('failure()')
    const deploy = await runAction(e2e.context(s), { inputs: stepInputs(deployStep, s, rule) })
    expect(deploy.outputs.result).toBe('paused')
    expect(await testRequestReaches(s, rule)).toBe(s.targetGroups.green.arn)

    const rollback = await runAction(e2e.context(s), { inputs: stepInputs(rollbackStep, s, rule) })

    expect(rollback.code).toBe(0)
    expect(rollback.outputs).toMatchObject({ result: 'rolled-back', 'test-service': 'web-blue' })
    expect(await testRequestReaches(s, rule)).toBe(s.targetGroups.blue.arn)
    await expectProductionOn(s, 100)
    expect(await readTags(s.aws, rule)).toMatchObject({ 'ecs-canary:phase': 'rolled-back' })
  })
})

describe('order on the wire', () => {
  it('writes the test rule, verified on the canary, before the first production write', async () => {
    const s = await provisionStack()
    const rule = await testRule(s)
    const inputs = deployInputs(s, { stages: '0:1s,10:1s,100:1s', 'test-listener-rules': rule })

    const result = await runAction(e2e.context(s), { inputs })

    expect(result.code).toBe(0)
    expect(result.outputs.result).toBe('promoted')
    const writes = writesInOrder()
    const firstProduction = writes.findIndex(arn => production(s).includes(arn))
    expect(writes[0]).toBe(rule)
    expect(firstProduction).toBeGreaterThan(0)
    expect(writes.filter(arn => arn === rule)).toHaveLength(1)
    // The test rule was read back on the canary before the first production write.
    const calls = e2e.proxy.calls()
    const isWrite = (c: (typeof calls)[number]) =>
      c.operation === 'ModifyRule' || c.operation === 'ModifyListener'
    const mentions = (c: (typeof calls)[number]) => c.body.includes(encodeURIComponent(rule))
    const testWrite = calls.findIndex(c => isWrite(c) && mentions(c))
    const readBack = calls.findIndex(
      (c, i) => i > testWrite && c.operation === 'DescribeRules' && mentions(c)
    )
    const productionAt = calls.findIndex(c => isWrite(c) && !mentions(c))
    expect(testWrite).toBeGreaterThanOrEqual(0)
    expect(readBack).toBeGreaterThan(testWrite)
    expect(productionAt).toBeGreaterThan(readBack)
    // The 0% stage baked with its gates read, as any other stage.
    expect(result.stdout).toMatch(/Stage 1\/3: 0% on web-green, baking 1s/)
    expect(result.stdout).toMatch(
      /0% on web-green · 1s\/1s · web-5xx OK · web-latency OK · health OK/
    )
    expect(await testRequestReaches(s, rule)).toBe(s.targetGroups.green.arn)
    await expectProductionOn(s, 0)
  })
})

describe('back to live', () => {
  it('a cancel (SIGINT) while a stage bakes puts the test rule back on live', async () => {
    const s = await provisionStack()
    const rule = await testRule(s)
    const action = startAction(e2e.context(s), {
      inputs: deployInputs(s, { stages: '0:1s,10:30s,100:1s', 'test-listener-rules': rule })
    })
    await action.waitForOutput(/^Stage 2\/3/)
    expect(await testRequestReaches(s, rule)).toBe(s.targetGroups.green.arn)

    action.kill('SIGINT')
    const result = await action.done

    expect(result.code).toBe(1)
    expect(result.outputs).toMatchObject({ result: 'rolled-back', 'test-service': 'web-blue' })
    expect(await testRequestReaches(s, rule)).toBe(s.targetGroups.blue.arn)
    await expectProductionOn(s, 100)
  })

  it('after SIGKILL, the post step puts the test rule back on live', async () => {
    const s = await provisionStack()
    const rule = await testRule(s)
    const context = e2e.context(s)
    const action = startAction(context, {
      inputs: deployInputs(s, { stages: '0:30s,100:1s', 'test-listener-rules': rule })
    })
    await action.waitForOutput(/^Stage 1\/2/)
    action.kill('SIGKILL')
    const main = await action.done
    expect(main.signal).toBe('SIGKILL')
    // Killed outright during the 0% bake: the test route still reaches the canary.
    expect(await testRequestReaches(s, rule)).toBe(s.targetGroups.green.arn)

    const post = await runPost(context, main)

    expect(post.code).toBe(0)
    expect(await testRequestReaches(s, rule)).toBe(s.targetGroups.blue.arn)
    await expectProductionOn(s, 100)
    expect(await readTags(s.aws, rule)).toMatchObject({ 'ecs-canary:phase': 'rolled-back' })
  })
})

describe('reconcile', () => {
  it('rolls back a 0:pause whose alarm fires: the test rule back on live', async () => {
    const s = await provisionStack()
    const rule = await testRule(s)
    const deploy = await runAction(e2e.context(s), {
      inputs: deployInputs(s, { stages: '0:pause,100:1s', 'test-listener-rules': rule })
    })
    expect(deploy.outputs.result).toBe('paused')
    await setAlarm(s.aws, s.alarmNames[0], 'ALARM', 'Threshold Crossed: 12 errors')

    const watchdog = await runAction(e2e.context(s), {
      inputs: {
        cluster: s.clusterName,
        services: `${s.services.blue.name} ${s.services.green.name}`,
        'listener-rules': production(s).join('\n'),
        'test-listener-rules': rule,
        mode: 'reconcile'
      },
      env: { GITHUB_RUN_ID: '5151515151', GITHUB_WORKFLOW: 'watchdog' }
    })

    expect(watchdog.code).toBe(1)
    expect(watchdog.outputs.reason).toMatch(/alarm while paused at 0%/)
    expect(await testRequestReaches(s, rule)).toBe(s.targetGroups.blue.arn)
    await expectProductionOn(s, 100)
    expect(await readTags(s.aws, rule)).toMatchObject({ 'ecs-canary:phase': 'rolled-back' })
  })
})

describe('refusals, with zero writes', () => {
  it('refuses a test rule that is also a production rule', async () => {
    const s = await provisionStack()
    const result = await runAction(e2e.context(s), {
      inputs: deployInputs(s, { stages: '0:pause,100', 'test-listener-rules': s.rules.api })
    })

    expect(result.code).toBe(1)
    expect(result.outputs.result).toBe('unchanged')
    expect(result.outputs.reason).toContain(
      `${s.rules.api} is in both 'listener-rules' and 'test-listener-rules'`
    )
    expect(e2e.proxy.writes()).toBe(0)
    await expectProductionOn(s, 100)
  })

  it('refuses a test rule that does not forward to the pair', async () => {
    const s = await provisionStack({ thirdGroupRule: true })
    const third = s.targetGroups.third!.arn
    const rule = await testRule(s, { [third]: 1 })
    const result = await runAction(e2e.context(s), {
      inputs: deployInputs(s, { stages: '0:pause,100', 'test-listener-rules': rule })
    })

    expect(result.code).toBe(1)
    expect(result.outputs.result).toBe('unchanged')
    expect(result.outputs.reason).toContain(
      `test rule ${rule} ('test-listener-rules') forwards to ${third}`
    )
    expect(e2e.proxy.writes()).toBe(0)
    await expectProductionOn(s, 100)
    expect(await readTags(s.aws, rule)).toEqual({})
  })
})
