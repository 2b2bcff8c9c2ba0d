/**
 * Issue 15, items 2 and 6: statuses land on the deployed commit, and every ending writes a job
 * summary that names the revision and the commit, with charts Mermaid's own parser accepts.
 */
import { describe, expect, it } from '@jest/globals'
import { RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs'
import { provisionStack, setWeights, type Stack } from './support/fixture.js'
import { DEFAULT_SHA, workflowDispatchEvent } from './support/github-events.js'
import { useE2e } from './support/harness.js'
import { mermaidBlocks, parseMermaid } from './support/mermaid.js'
import { canaryTags, idleShares, pairInputs, useStacks } from './support/people.js'
import { waitOutReadLag } from './support/rollout-helpers.js'
import { runAction, runPost, startAction, type RunResult } from './support/runner.js'

const e2e = useE2e()
const stack = useStacks()

/** The commit a person started `promote` from by hand: not the one deployed. */
const DISPATCH_SHA = 'fedcba9876543210fedcba9876543210fedcba98'

/** Every summary names a revision and a commit, and Mermaid accepts every chart in it. */
async function expectTrueSummary(result: RunResult, commit: string | RegExp): Promise<void> {
  const { summary } = result
  expect(summary).toMatch(/^### ecs-canary: /m)
  expect(summary).toMatch(/Revision `[^`]+` · commit `[^`]+`/)
  const shown = /commit `([^`]+)`/.exec(summary)?.[1] ?? ''
  if (typeof commit === 'string') expect(shown).toBe(commit)
  else expect(shown).toMatch(commit)
  expect(summary).not.toContain('&lt;')
  const charts = mermaidBlocks(summary)
  if (charts.length > 0) expect(await parseMermaid(charts)).toEqual(charts.map(() => null))
}

async function registerRevision(s: Stack): Promise<string> {
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
  return taskDefinition!.taskDefinitionArn!
}

describe('statuses on the deployed commit', () => {
  it('promote from a workflow_dispatch on another commit posts on the deployed commit', async () => {
    const s = await stack()
    const deploy = await runAction(e2e.context(s), {
      inputs: pairInputs(s, { stages: '10:pause,100:1s' })
    })
    expect(deploy.outputs.result).toBe('paused')
    for (const tags of await canaryTags(s)) expect(tags['ecs-canary:commit']).toBe(DEFAULT_SHA)
    e2e.github.reset()

    const promote = await runAction(e2e.context(s), {
      inputs: pairInputs(s, { mode: 'promote' }),
      event: workflowDispatchEvent(),
      sha: DISPATCH_SHA,
      env: { GITHUB_RUN_ID: '5151515151' }
    })

    expect(promote.outputs.result).toBe('promoted')
    const statuses = e2e.github.statuses()
    expect(statuses.length).toBeGreaterThan(0)
    expect(new Set(statuses.map(st => st.sha))).toEqual(new Set([DEFAULT_SHA]))
    expect(statuses.at(-1)?.description).toBe('promoted web-green to 100%')
    // The record keeps the deployed commit through the promotion.
    for (const tags of await canaryTags(s)) expect(tags['ecs-canary:commit']).toBe(DEFAULT_SHA)
    await expectTrueSummary(promote, DEFAULT_SHA)
  })
})

describe('weights moved by someone else mid-run', () => {
  it('gives the share actually found in the outputs, the summary and the record', async () => {
    const s = await stack()
    const main = startAction(e2e.context(s), {
      inputs: pairInputs(s, { stages: '10:3s,100:1s' })
    })
    await main.waitForOutput(/^Stage 1\/2/)
    // A person puts half the traffic on the canary from the console while it bakes at 10%.
    const halves = { [s.targetGroups.blue.arn]: 50, [s.targetGroups.green.arn]: 50 }
    for (const arn of [s.listenerArn, s.rules.api]) await setWeights(s.aws, arn, halves)
    const result = await main.done

    expect(result.code).toBe(1)
    expect(result.outputs.result).toBe('paused')
    expect(result.outputs.percent).toBe('50')
    expect(result.outputs.reason).toContain(
      'expected 10% on web-green, found 50% (weights web-green=50/web-blue=50)'
    )
    expect(result.summary).toContain('**Paused** at 50% on web-green')
    // The chart ends on the share found, not the one this run set.
    expect(/x-axis \[(.*)\]/.exec(result.summary)?.[1]).toBe('"10%", "50% found"')
    for (const tags of await canaryTags(s)) {
      expect(tags['ecs-canary:phase']).toBe('paused')
      expect(tags['ecs-canary:reason']).toContain('found 50')
    }
    await expectTrueSummary(result, DEFAULT_SHA)
  })
})

describe('a job summary for every ending', () => {
  it('refusal, pause, status, promote, rollback, and the post step restore', async () => {
    const s = await stack()
    const context = e2e.context(s)

    // A refusal before any write: an alarm name that does not exist.
    const refused = await runAction(context, {
      inputs: pairInputs(s, { alarms: 'no-such-alarm', stages: '10:1s,100:1s' })
    })
    expect(refused.code).toBe(1)
    expect(refused.summary).toContain('**Refused** (`mode: deploy`): nothing was changed.')
    expect(refused.summary).toContain('no-such-alarm')
    await expectTrueSummary(refused, DEFAULT_SHA)

    const paused = await runAction(context, {
      inputs: pairInputs(s, { stages: '10:pause,100:1s' })
    })
    expect(paused.summary).toContain('**Paused** at 10% on web-green, as the plan says.')
    expect(mermaidBlocks(paused.summary)).toHaveLength(1)
    await expectTrueSummary(paused, DEFAULT_SHA)
    await waitOutReadLag()

    const status = await runAction(context, { inputs: pairInputs(s, { mode: 'status' }) })
    expect(status.outputs.reason).toBe('paused: web-green takes 10%, web-blue 90%')
    expect(status.summary).toContain('**Status** (nothing was changed)')
    expect(status.summary).toContain('| Rule | web-blue weight | web-green weight | Note |')
    await expectTrueSummary(status, DEFAULT_SHA)

    const promoted = await runAction(context, { inputs: pairInputs(s, { mode: 'promote' }) })
    expect(promoted.outputs.result).toBe('promoted')
    await expectTrueSummary(promoted, DEFAULT_SHA)

    const after = await runAction(context, { inputs: pairInputs(s, { mode: 'status' }) })
    expect(after.outputs.reason).toBe('promoted: web-green takes 100%')
    expect(after.outputs['task-definition-arn']).toMatch(/task-definition\//)

    const rolledBack = await runAction(context, { inputs: pairInputs(s, { mode: 'rollback' }) })
    expect(rolledBack.outputs.result).toBe('rolled-back')
    expect(await idleShares(s)).toEqual([0, 0])
    await expectTrueSummary(rolledBack, DEFAULT_SHA)
    await waitOutReadLag()

    // The post step's restore: main killed outright mid-bake.
    const main = startAction(context, { inputs: pairInputs(s, { stages: '1:30s,100:1s' }) })
    await main.waitForOutput(/^Stage 1\/2/)
    main.kill('SIGKILL')
    const killed = await main.done
    const post = await runPost(context, killed)
    expect(post.summary).toContain('**Rolled back** by the post step')
    await expectTrueSummary(post, DEFAULT_SHA)
  })

  it('a failed preparation names the revision really on the idle service', async () => {
    // desiredCount 3 is more than moto runs: the deployment never completes.
    const s = await provisionStack({ services: { green: { desiredCount: 3 } } })
    try {
      const arn = await registerRevision(s)
      const result = await runAction(e2e.context(s), {
        inputs: pairInputs(s, {
          'task-definition': arn,
          'canary-capacity': 'keep',
          'service-timeout': '2s',
          stages: '10:1s,100:1s'
        })
      })
      expect(result.outputs.result).toBe('unchanged')
      expect(result.outputs['task-definition-arn']).toBe(arn)
      expect(result.summary).toContain('is not ready for traffic, so none was moved')
      expect(result.summary).toContain(`Revision \`${arn}\``)
      for (const tags of await canaryTags(s)) expect(tags['ecs-canary:revision']).toBe(arn)
      await expectTrueSummary(result, DEFAULT_SHA)
    } finally {
      s.aws.destroy()
    }
  })
})
