import { join } from 'node:path'
import { describe, expect, it } from '@jest/globals'
import { newAccount } from './support/accounts.js'
import type { TestAccount } from './support/accounts.js'
import { pullRequestEvent } from './support/github-events.js'
import { useE2e } from './support/harness.js'
import { lineTimes, runAction, runPost, startAction } from './support/runner.js'

// The runner stand-in is exercised against a tiny fake action, since dist/ may not exist.
const script = join(import.meta.dirname, 'support', 'fake-action.mjs')
const e2e = useE2e()

async function account(): Promise<{ account: TestAccount }> {
  return { account: await newAccount() }
}

describe('runAction', () => {
  it('passes inputs as INPUT_ variables with hyphens kept and reads outputs back', async () => {
    const result = await runAction(e2e.context(await account()), {
      script,
      inputs: { 'listener-rules': 'arn:one\narn:two' }
    })

    expect(result.code).toBe(0)
    expect(result.outputs).toEqual({ rules: 'arn:one\narn:two', multi: 'line one\nline two' })
    expect(result.state).toEqual({ phase: 'in-progress' })
    expect(result.summary).toContain('<h2>Rollout</h2>')
  })

  it('builds the environment from scratch, pointing AWS at the proxy', async () => {
    const result = await runAction(e2e.context(await account()), {
      script,
      inputs: { 'listener-rules': 'x' }
    })

    const env = JSON.parse(/env: (.*)/.exec(result.stdout)![1]) as {
      keys: string[]
      endpoint: string
    }
    expect(env.keys).toEqual(['CI', 'HOME', 'PATH'])
    expect(env.endpoint).toBe(e2e.proxy.url)
  })

  it('collects annotations as workflow commands', async () => {
    const result = await runAction(e2e.context(await account()), {
      script,
      inputs: { 'listener-rules': 'x' }
    })

    expect(result.commands).toEqual(
      expect.arrayContaining([
        {
          command: 'error',
          properties: { title: 'Rolled back' },
          message: 'rolled back at 10%: alarm web-5xx'
        },
        {
          command: 'warning',
          properties: { title: 'Insufficient data' },
          message: 'alarm web-latency has no data'
        }
      ])
    )
  })

  it('fails a step whose required input is missing', async () => {
    const result = await runAction(e2e.context(await account()), { script })

    expect(result.code).not.toBe(0)
  })

  it('writes a pull_request payload to GITHUB_EVENT_PATH', async () => {
    const result = await runAction(e2e.context(await account()), {
      script,
      inputs: { 'listener-rules': 'x' },
      event: pullRequestEvent({ headSha: 'a'.repeat(40) })
    })

    expect(result.stdout).toContain(`event: pull_request head=${'a'.repeat(40)}`)
  })
})

describe('runPost', () => {
  it('hands the saved state back as STATE_ variables with the same inputs', async () => {
    const context = e2e.context(await account())
    const main = await runAction(context, { script, inputs: { 'listener-rules': 'arn:rule' } })

    const post = await runPost(context, main)

    expect(post.code).toBe(0)
    expect(post.outputs).toEqual({ 'post-saw': 'in-progress' })
    expect(post.stdout).toContain('post: input listener-rules=arn:rule')
  })
})

describe('startAction', () => {
  it('waits for a line, then cancels the way the runner does', async () => {
    const handle = startAction(e2e.context(await account()), {
      script,
      inputs: { 'listener-rules': 'x', mode: 'bake' }
    })

    await handle.waitForOutput(/heartbeat 3/)
    const result = await handle.cancel()

    expect(result.code).toBe(1)
    expect(result.stdout).toContain('cancelled: restoring traffic')
    const beats = lineTimes(result, /heartbeat/)
    expect(beats.length).toBeGreaterThanOrEqual(3)
    expect(beats).toEqual([...beats].sort((a, b) => a - b))
  })
})
