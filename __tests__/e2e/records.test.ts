import { describe, expect, it } from '@jest/globals'
import { DeleteAlarmsCommand } from '@aws-sdk/client-cloudwatch'
import { DescribeServicesCommand, RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs'
import { provisionStack, readTags, setAlarm, writeTags } from './support/fixture.js'
import type { Stack } from './support/fixture.js'
import { DEFAULT_SHA, workflowDispatchEvent } from './support/github-events.js'
import { useE2e } from './support/harness.js'
import { deployInputs, pairWeights, reportFileTiming } from './support/rollout-helpers.js'
import { runAction, runPost, startAction } from './support/runner.js'
import type { RunContext } from './support/runner.js'

// Issue 25: records and statuses that stay true through ELB's tag rules and every ending. Every
// test runs with the strict stand-in on (its `tag-syntax` rule refuses what ELB refuses).
const e2e = useE2e()
reportFileTiming('records.test.ts')

/** The deploy's run (runner-env's GITHUB_RUN_ID, RUNNER_NAME and GITHUB_JOB). */
const DEPLOY_RUN = '4242424242'
const WATCHDOG_SHA = '1111111111111111111111111111111111111111'

function reconcile(context: RunContext, s: Stack, inputs: Record<string, string> = {}) {
  return runAction(context, {
    inputs: {
      cluster: s.clusterName,
      services: `${s.services.blue.name} ${s.services.green.name}`,
      'listener-rules': [s.listenerArn, s.rules.api].join('\n'),
      mode: 'reconcile',
      ...inputs
    },
    sha: WATCHDOG_SHA,
    event: workflowDispatchEvent(),
    env: { GITHUB_RUN_ID: '5151515151', GITHUB_WORKFLOW: 'watchdog' }
  })
}

async function ageHeartbeat(s: Stack, ms: number): Promise<void> {
  const then = new Date(Date.now() - ms).toISOString().replace(/\.\d+Z$/, 'Z')
  for (const arn of [s.listenerArn, s.rules.api]) {
    await writeTags(s.aws, arn, { 'ecs-canary:heartbeat': then })
  }
}

async function waitFor(condition: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise(resolve => setTimeout(resolve, 20))
  }
}

describe('an alarm name with spaces and brackets', () => {
  it('is recorded at a pause and read back exactly: reconcile without `alarms` rolls back on it', async () => {
    const name = 'web 5xx (prod) [p99]'
    const s = await provisionStack({ alarms: [{ name }] })
    const context = e2e.context(s)
    // One name a line (a YAML block scalar keeps the last newline).
    const paused = await runAction(context, {
      inputs: deployInputs(s, { alarms: `${name}\n`, stages: '1:1s,5:pause,100:1s' })
    })
    expect(paused.outputs.result).toBe('paused')
    await setAlarm(s.aws, name, 'ALARM', 'Threshold Crossed: 1 datapoint [12.0] > 5.0')
    e2e.github.reset()

    const result = await reconcile(context, s)

    expect(result.code).toBe(1)
    expect(await pairWeights(s, s.listenerArn)).toEqual({ blue: 100, green: 0 })
    expect(await pairWeights(s, s.rules.api)).toEqual({ blue: 100, green: 0 })
    expect(result.outputs.result).toBe('rolled-back')
    expect(result.outputs.reason).toContain(
      `${name} ALARM (Threshold Crossed: 1 datapoint [12.0] > 5.0)`
    )
    expect(e2e.github.statuses()).toEqual([
      expect.objectContaining({ sha: DEFAULT_SHA, state: 'failure' })
    ])
    // The summary and the output name what the record holds.
    expect(result.outputs['task-definition-arn']).toMatch(/task-definition\/web:1$/)
    expect(result.summary).toContain(DEFAULT_SHA.slice(0, 7))
    expect(result.summary).not.toMatch(/Revision not known|commit not known/)
  })

  it('on one line, is refused with the fix when the whole line names an alarm', async () => {
    const name = 'web 5xx (prod) [p99]'
    const s = await provisionStack({ alarms: [{ name }] })

    const result = await runAction(e2e.context(s), { inputs: deployInputs(s, { alarms: name }) })

    expect(result.code).toBe(1)
    expect(e2e.proxy.writes()).toBe(0)
    const refusal = result.commands.find(c => c.command === 'error')?.message ?? ''
    expect(refusal).toContain(`an alarm named '${name}' does`)
    expect(refusal).toContain(`alarms: |\n  ${name}`)
    expect(refusal).not.toMatch(/alarm '\(prod\)' does not exist/)
  })
})

describe('a recorded alarm that cannot be found', () => {
  it('is never counted OK: reconcile of the paused canary writes nothing and fails, naming it', async () => {
    const s = await provisionStack()
    const context = e2e.context(s)
    const paused = await runAction(context, {
      inputs: deployInputs(s, { stages: '1:1s,5:pause,100:1s' })
    })
    expect(paused.outputs.result).toBe('paused')
    await s.aws.cloudwatch.send(new DeleteAlarmsCommand({ AlarmNames: [s.alarmNames[0]] }))
    e2e.proxy.reset()

    const result = await reconcile(context, s)

    expect(result.code).toBe(1)
    expect(e2e.proxy.writes()).toBe(0)
    expect(result.stdout).toContain(`the alarm '${s.alarmNames[0]}' was not found`)
    expect(result.stdout).not.toMatch(/alarms OK/)
  })
})

describe('a reason with %, (, > and letters beyond ASCII', () => {
  it('reads back exactly in mode: status', async () => {
    const s = await provisionStack()
    const context = e2e.context(s)
    const stateReason = 'Schwellenwert überschritten (p99 3,2 s > 1 s) bei 50% — réessayer'
    const deploy = startAction(context, {
      inputs: deployInputs(s, { stages: '1:1s,2:60s,100:1s' })
    })
    await deploy.waitForOutput(/^Stage 2\/3/)
    await setAlarm(s.aws, s.alarmNames[0], 'ALARM', stateReason)
    const rolled = await deploy.done
    expect(rolled.outputs.result).toBe('rolled-back')
    expect(rolled.outputs.reason).toContain(stateReason)
    await new Promise(resolve => setTimeout(resolve, 1_500)) // the rules' read lag

    const status = await runAction(context, { inputs: deployInputs(s, { mode: 'status' }) })

    expect(status.stdout).toContain(`Reason: ${rolled.outputs.reason}`)
    for (const tags of [s.listenerArn, s.rules.api].map(arn => readTags(s.aws, arn))) {
      for (const value of Object.values(await tags)) {
        expect(value.length).toBeLessThanOrEqual(255)
      }
    }
  })
})

describe('the owner is a job; the ending "reconcile restored traffic"', () => {
  it('a deploy job that completed while another job of its run still runs is restored: traffic verified, record, summary, failure status', async () => {
    const s = await provisionStack()
    const context = e2e.context(s)
    e2e.github.setJobs(DEPLOY_RUN, 1, [
      { id: 501, name: 'deploy', status: 'in_progress', runner_name: 'e2e-runner' },
      { id: 502, name: 'integration', status: 'in_progress', runner_name: 'other-runner' }
    ])
    const deploy = startAction(context, {
      inputs: deployInputs(s, { stages: '1:1s,2:60s,100:1s' })
    })
    await deploy.waitForOutput(/^Stage 2\/3/)
    expect(await readTags(s.aws, s.rules.api)).toMatchObject({
      'ecs-canary:job': 'deploy',
      'ecs-canary:job-id': '501'
    })
    deploy.kill('SIGKILL')
    await deploy.done
    // The run goes on (another job runs); the deploy job is over.
    e2e.github.reset()
    e2e.github.setRun(DEPLOY_RUN, 1, { status: 'in_progress' })
    e2e.github.setJobs(DEPLOY_RUN, 1, [
      { id: 501, name: 'deploy', status: 'completed', conclusion: 'failure' },
      { id: 502, name: 'integration', status: 'in_progress', runner_name: 'other-runner' }
    ])
    await ageHeartbeat(s, 5 * 60_000)

    const result = await reconcile(context, s)

    expect(result.code).toBe(1)
    expect(result.outputs.reason).toMatch(/^runner lost: /)
    expect(await pairWeights(s, s.listenerArn)).toEqual({ blue: 100, green: 0 })
    expect(await pairWeights(s, s.rules.api)).toEqual({ blue: 100, green: 0 })
    expect(e2e.github.requests().map(r => r.path)).toContain(
      `/repos/acme/web/actions/runs/${DEPLOY_RUN}/attempts/1/jobs`
    )
    expect(result.stdout).toMatch(/verified on every rule/)
    expect(await readTags(s.aws, s.rules.api)).toMatchObject({ 'ecs-canary:phase': 'rolled-back' })
    expect(result.summary).toContain('**Rolled back**')
    expect(e2e.github.statuses()).toEqual([
      expect.objectContaining({ sha: DEFAULT_SHA, state: 'failure' })
    ])
  })
})

describe('the ending "post step restored traffic"', () => {
  it('restores after main is killed mid-bake: traffic verified, record, summary with the next step, failure on the deployed commit', async () => {
    const s = await provisionStack()
    const context = e2e.context(s)
    const main = startAction(context, { inputs: deployInputs(s, { stages: '1:1s,10:60s,100:1s' }) })
    await main.waitForOutput(/^Stage 2\/3/)
    main.kill('SIGKILL')
    const killed = await main.done
    expect(await pairWeights(s, s.rules.api)).toEqual({ blue: 90, green: 10 })
    e2e.github.reset()

    const post = await runPost(context, killed)

    expect(post.code).toBe(0)
    expect(await pairWeights(s, s.listenerArn)).toEqual({ blue: 100, green: 0 })
    expect(await pairWeights(s, s.rules.api)).toEqual({ blue: 100, green: 0 })
    expect(e2e.github.statuses()).toEqual([
      expect.objectContaining({
        sha: DEFAULT_SHA,
        state: 'failure',
        description: expect.stringMatching(/^rolled back at 10%: the job ended mid-rollout/)
      })
    ])
    expect(await readTags(s.aws, s.rules.api)).toMatchObject({ 'ecs-canary:phase': 'rolled-back' })
    expect(post.summary).toContain('**Rolled back** by the post step')
    expect(post.summary).toContain('Next: web-green keeps the new revision at 0%')
  })
})

describe('a cancel while the idle service is prepared', () => {
  it('names the revision the idle service really runs, in the output and the record', async () => {
    const s = await provisionStack()
    const context = e2e.context(s)
    const { taskDefinition } = await s.aws.ecs.send(
      new RegisterTaskDefinitionCommand({
        family: s.taskDefinitionFamily,
        requiresCompatibilities: ['FARGATE'],
        networkMode: 'awsvpc',
        cpu: '256',
        memory: '512',
        containerDefinitions: [
          { name: s.containerName, image: 'public.ecr.aws/nginx/nginx:1.28', essential: true }
        ]
      })
    )
    const arn = taskDefinition!.taskDefinitionArn!
    const action = startAction(context, {
      inputs: deployInputs(s, { 'task-definition': arn, 'service-timeout': '2m' })
    })
    await waitFor(() => e2e.proxy.calls().some(c => c.operation === 'UpdateService'))
    action.kill('SIGINT')
    const result = await action.done

    const { services } = await s.aws.ecs.send(
      new DescribeServicesCommand({ cluster: s.clusterName, services: ['web-green'] })
    )
    const running = services?.[0]?.taskDefinition
    expect(running).toBe(arn)
    expect(result.outputs.result).toBe('unchanged')
    expect(result.outputs['task-definition-arn']).toBe(running)
    for (const arnOfRule of [s.listenerArn, s.rules.api]) {
      expect((await readTags(s.aws, arnOfRule))['ecs-canary:revision']).toBe(running)
    }
    expect(await pairWeights(s, s.rules.api)).toEqual({ blue: 100, green: 0 })
  })
})
