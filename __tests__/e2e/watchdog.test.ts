import { randomInt } from 'node:crypto'
import { describe, expect, it } from '@jest/globals'
import { startFaultProxy } from './support/fault-proxy.js'
import { provisionStack, readTags, setAlarm, writeTags } from './support/fixture.js'
import type { Stack } from './support/fixture.js'
import { DEFAULT_SHA, workflowDispatchEvent } from './support/github-events.js'
import { useE2e } from './support/harness.js'
import { deployInputs, pairWeights, reportFileTiming } from './support/rollout-helpers.js'
import { runAction, startAction } from './support/runner.js'
import type { RunContext } from './support/runner.js'

const e2e = useE2e()
reportFileTiming('watchdog.test.ts')

/** The deploy's run (runner-env's GITHUB_RUN_ID) and where its record points. */
const DEPLOY_RUN = '4242424242'
const DEPLOY_URL = `https://github.com/acme/web/actions/runs/${DEPLOY_RUN}/attempts/1`
/** The watchdog runs on the default branch's head, not on the deployed commit. */
const WATCHDOG_SHA = '1111111111111111111111111111111111111111'

/** A reconcile run as the scheduled watchdog workflow makes it: its own run, its own commit. */
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

/** Time passing without a heartbeat: the record's last sign of life moved `ms` into the past. */
async function ageHeartbeat(s: Stack, ms: number): Promise<string> {
  const then = new Date(Date.now() - ms).toISOString().replace(/\.\d+Z$/, 'Z')
  for (const arn of [s.listenerArn, s.rules.api]) {
    await writeTags(s.aws, arn, { 'ecs-canary:heartbeat': then })
  }
  return then
}

describe('a runner lost mid-bake', () => {
  it('is restored by the next reconcile: every rule 100% live, the reason recorded, a failure status on the deployed commit', async () => {
    const s = await provisionStack()
    const context = e2e.context(s)
    const deploy = startAction(context, {
      inputs: deployInputs(s, { stages: '1:1s,2:30s,5:1s,10:1s,50:1s,100:1s' })
    })
    await deploy.waitForOutput(/^Stage 2\/6/)
    // A random moment of the bake; SIGKILL, and no post step (the machine is gone).
    await new Promise(resolve => setTimeout(resolve, randomInt(0, 3_000)))
    deploy.kill('SIGKILL')
    expect((await deploy.done).signal).toBe('SIGKILL')
    expect(await pairWeights(s, s.rules.api)).toEqual({ blue: 98, green: 2 })
    e2e.github.setRun(DEPLOY_RUN, 1, { status: 'completed', conclusion: 'cancelled' })
    const last = await ageHeartbeat(s, 5 * 60_000)
    e2e.github.reset()
    e2e.github.setRun(DEPLOY_RUN, 1, { status: 'completed', conclusion: 'cancelled' })

    const result = await reconcile(context, s)

    expect(result.code).toBe(1)
    expect(await pairWeights(s, s.listenerArn)).toEqual({ blue: 100, green: 0 })
    expect(await pairWeights(s, s.rules.api)).toEqual({ blue: 100, green: 0 })
    const reason = `runner lost: ${DEPLOY_URL} last heartbeat ${last}`
    expect(result.outputs).toMatchObject({ result: 'rolled-back', reason })
    for (const arn of [s.listenerArn, s.rules.api]) {
      expect(await readTags(s.aws, arn)).toMatchObject({
        'ecs-canary:phase': 'rolled-back',
        'ecs-canary:reason': reason
      })
    }
    const statuses = e2e.github.statuses()
    expect(statuses).toEqual([
      expect.objectContaining({
        sha: DEFAULT_SHA,
        state: 'failure',
        description: expect.stringContaining('runner lost')
      })
    ])
    expect(e2e.github.requests().map(r => r.path)).toContain(
      `/repos/acme/web/actions/runs/${DEPLOY_RUN}/attempts/1`
    )
    expect(result.summary).toContain('runner lost')
    // No job list for that run: judged by the run, and the log says so.
    expect(result.stdout).toMatch(
      /the owner's job 'deploy' could not be found \(listing the run's jobs failed \(HTTP 404\)\): judged by its whole run attempt instead/
    )
  })

  it('without GitHub, waits for three times stale-after before acting', async () => {
    const s = await provisionStack({ weights: { blue: 90, green: 10 } })
    const context = e2e.context(s)
    for (const arn of [s.listenerArn, s.rules.api]) {
      await writeTags(s.aws, arn, {
        'ecs-canary:live': 'web-blue',
        'ecs-canary:idle': 'web-green',
        'ecs-canary:phase': 'in-progress',
        'ecs-canary:plan': '10:5m,100:5m',
        'ecs-canary:owner': `acme/web/runs/${DEPLOY_RUN}/1`,
        'ecs-canary:updated': '2026-01-01T00:00:00Z'
      })
    }
    e2e.github.setRun(DEPLOY_RUN, 1, 'deny')
    await ageHeartbeat(s, 5 * 60_000)
    e2e.proxy.reset()

    const early = await reconcile(context, s)

    expect(early.code).toBe(0)
    expect(e2e.proxy.writes()).toBe(0)
    expect(early.stdout).toMatch(/ecs-canary reconcile: in progress, heartbeat 5m.*actions: read/)

    await ageHeartbeat(s, 10 * 60_000)
    const late = await reconcile(context, s)

    expect(late.code).toBe(1)
    expect(await pairWeights(s, s.rules.api)).toEqual({ blue: 100, green: 0 })
    expect(late.outputs.reason).toMatch(/^runner lost: /)
  })
})

describe('the heartbeat', () => {
  it('is refreshed on every rule while a stage bakes, one AddTags per rule', async () => {
    const s = await provisionStack()
    const deploy = startAction(e2e.context(s), {
      inputs: deployInputs(s, { stages: '1:1s,2:40s,100:1s' })
    })
    await deploy.waitForOutput(/^Stage 2\/3/)
    const before = (await readTags(s.aws, s.rules.api))['ecs-canary:heartbeat']
    const from = Date.now()
    await new Promise(resolve => setTimeout(resolve, 36_000))
    const after = await Promise.all([s.listenerArn, s.rules.api].map(arn => readTags(s.aws, arn)))
    const until = Date.now()
    deploy.kill('SIGINT')
    await deploy.done

    expect(before).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)
    for (const tags of after) {
      expect(Date.parse(tags['ecs-canary:heartbeat'])).toBeGreaterThan(Date.parse(before))
    }
    // Nothing but the heartbeat tags the rules mid-bake: one call per rule (AWS tags one
    // resource per AddTags call), about every 30 s.
    const beats = e2e.proxy
      .calls()
      .filter(c => c.operation === 'AddTags' && c.at >= from && c.at < until)
    expect(beats.length).toBe(2)
  })
})

describe('reconcile during a healthy rollout', () => {
  it('writes nothing, and the rollout promotes', async () => {
    const s = await provisionStack()
    const context = e2e.context(s)
    const deploy = startAction(context, {
      inputs: deployInputs(s, { stages: '1:1s,2:8s,5:1s,10:1s,50:1s,100:1s' })
    })
    await deploy.waitForOutput(/^Stage 2\/6/)
    e2e.github.setRun(DEPLOY_RUN, 1, { status: 'in_progress' })
    // Its own proxy, so only the watchdog's calls are counted.
    const watchdogProxy = await startFaultProxy()
    try {
      const result = await reconcile({ ...context, awsEndpoint: watchdogProxy.url }, s)

      expect(result.code).toBe(0)
      expect(watchdogProxy.writes()).toBe(0)
      expect(result.stdout).toMatch(/ecs-canary reconcile: in progress, heartbeat .* is alive/)
    } finally {
      await watchdogProxy.close()
    }
    const done = await deploy.done
    expect(done.code).toBe(0)
    expect(done.outputs.result).toBe('promoted')
    expect(e2e.github.statuses().filter(st => st.sha === WATCHDOG_SHA)).toEqual([])
  })
})

describe('a paused rollout', () => {
  async function paused(): Promise<Stack> {
    const s = await provisionStack()
    const result = await runAction(e2e.context(s), {
      inputs: deployInputs(s, { stages: '1:1s,5:pause,100:1s' })
    })
    expect(result.outputs).toMatchObject({ result: 'paused', reason: 'paused at 5% as planned' })
    // One name a line, encoded (`=0A`), ending in a newline that marks the format.
    expect((await readTags(s.aws, s.rules.api))['ecs-canary:alarms']).toBe(
      s.alarmNames.map(n => `${n}=0A`).join('')
    )
    return s
  }

  it('is rolled back by the next reconcile when a recorded alarm goes to ALARM', async () => {
    const s = await paused()
    await setAlarm(s.aws, s.alarmNames[0], 'ALARM', 'Threshold Crossed: 12 errors')
    e2e.github.reset()

    // No `alarms` input: the watchdog reads the ones recorded at the pause.
    const result = await reconcile(e2e.context(s), s)

    expect(result.code).toBe(1)
    expect(await pairWeights(s, s.listenerArn)).toEqual({ blue: 100, green: 0 })
    expect(await pairWeights(s, s.rules.api)).toEqual({ blue: 100, green: 0 })
    expect(result.outputs.reason).toMatch(
      new RegExp(`alarm while paused at 5%: ${s.alarmNames[0]} ALARM \\(Threshold Crossed`)
    )
    expect(await readTags(s.aws, s.rules.api)).toMatchObject({ 'ecs-canary:phase': 'rolled-back' })
    expect(e2e.github.statuses()).toEqual([
      expect.objectContaining({ sha: DEFAULT_SHA, state: 'failure' })
    ])
  })

  it('is left alone within max-pause with its alarms OK, and rolled back once older', async () => {
    const s = await paused()
    e2e.proxy.reset()

    const within = await reconcile(e2e.context(s), s, { 'max-pause': '24h' })

    expect(within.code).toBe(0)
    expect(e2e.proxy.writes()).toBe(0)
    expect(within.stdout).toMatch(/ecs-canary reconcile: paused at 5% since .*alarms OK \(2\)/)
    expect(await pairWeights(s, s.rules.api)).toEqual({ blue: 95, green: 5 })

    await new Promise(resolve => setTimeout(resolve, 1_500))
    const over = await reconcile(e2e.context(s), s, { 'max-pause': '1s' })

    expect(over.code).toBe(1)
    expect(over.outputs.reason).toMatch(/longer than max-pause \(1s\)/)
    expect(await pairWeights(s, s.rules.api)).toEqual({ blue: 100, green: 0 })
  })
})

describe('two reconcile runs at once', () => {
  it("restore once: the second sees the first one's claim and writes nothing more", async () => {
    const s = await provisionStack({ weights: { blue: 95, green: 5 } })
    for (const arn of [s.listenerArn, s.rules.api]) {
      await writeTags(s.aws, arn, {
        'ecs-canary:live': 'web-blue',
        'ecs-canary:idle': 'web-green',
        'ecs-canary:phase': 'in-progress',
        'ecs-canary:plan': '5:5m,100:5m',
        'ecs-canary:commit': DEFAULT_SHA,
        'ecs-canary:owner': `acme/web/runs/${DEPLOY_RUN}/1`,
        'ecs-canary:updated': '2026-01-01T00:00:00Z'
      })
    }
    await ageHeartbeat(s, 5 * 60_000)
    e2e.github.setRun(DEPLOY_RUN, 1, { status: 'completed', conclusion: 'failure' })
    const context = e2e.context(s)
    const other = (id: string) =>
      runAction(context, {
        inputs: {
          cluster: s.clusterName,
          services: `${s.services.blue.name} ${s.services.green.name}`,
          'listener-rules': [s.listenerArn, s.rules.api].join('\n'),
          mode: 'reconcile'
        },
        sha: WATCHDOG_SHA,
        env: { GITHUB_RUN_ID: id }
      })
    e2e.proxy.reset()

    const [a, b] = await Promise.all([other('6000000001'), other('6000000002')])

    expect(await pairWeights(s, s.rules.api)).toEqual({ blue: 100, green: 0 })
    const restored = [a, b].filter(r => r.outputs.result === 'rolled-back')
    expect(restored).toHaveLength(1)
    expect(e2e.github.statuses().filter(st => st.state === 'failure')).toHaveLength(1)
    // One restore: each rule written once.
    expect(e2e.proxy.counts()).toMatchObject({ ModifyListener: 1, ModifyRule: 1 })
  })
})
