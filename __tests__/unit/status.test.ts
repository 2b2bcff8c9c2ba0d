import { afterAll, describe, expect, it } from '@jest/globals'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Log, Outcome } from '../../src/engine/types.js'
import type { StatusClient } from '../../src/github/status.js'

// A stand-in for the GitHub API on 127.0.0.1. @actions/github reads GITHUB_API_URL when it is
// first imported, so the module under test is imported only after the variable is set.
const received: { method?: string; url?: string; auth?: string; body: string }[] = []
const server = createServer((req, res) => {
  let body = ''
  req.on('data', chunk => (body += chunk))
  req.on('end', () => {
    received.push({ method: req.method, url: req.url, auth: req.headers.authorization, body })
    res.writeHead(201, { 'content-type': 'application/json' })
    res.end('{"id":1}')
  })
})
await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
const savedApiUrl = process.env.GITHUB_API_URL
process.env.GITHUB_API_URL = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
const {
  CommitStatus,
  defaultStatusContext,
  outcomeState,
  outcomeText,
  pendingText,
  runUrl,
  statusTarget
} = await import('../../src/github/status.js')

afterAll(async () => {
  if (savedApiUrl === undefined) delete process.env.GITHUB_API_URL
  else process.env.GITHUB_API_URL = savedApiUrl
  await new Promise(resolve => server.close(resolve))
})

type Params = Parameters<StatusClient['rest']['repos']['createCommitStatus']>[0]

function fakeLog() {
  const lines = { info: [] as string[], warn: [] as string[], debug: [] as string[] }
  const log: Log = {
    info: line => lines.info.push(line),
    warn: line => lines.warn.push(line),
    debug: line => lines.debug.push(line)
  }
  return { log, lines }
}

/** An Octokit stand-in that records each request and answers from `respond`. */
function fakeOctokit(respond: (params: Params) => Promise<unknown> = async () => ({})) {
  const calls: Params[] = []
  const octokit: StatusClient = {
    rest: {
      repos: {
        createCommitStatus: params => {
          const sent = { ...params }
          delete sent.request
          calls.push(sent)
          return respond(params)
        }
      }
    }
  }
  return { octokit, calls }
}

function httpError(status: number, message: string): Error {
  return Object.assign(new Error(message), { status })
}

const RUN_URL = 'https://github.com/acme/shop/actions/runs/42'

function commitStatus(octokit: StatusClient, log: Log, token = 'ghs_secret', timeoutMs?: number) {
  return new CommitStatus({
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
    token,
    context: 'ecs-canary/prod/web-blue-web-green',
    sha: 'abc1234def',
    owner: 'acme',
    repo: 'shop',
    targetUrl: RUN_URL,
    log,
    octokit
  })
}

const pushContext = { eventName: 'push', sha: 'merge000', payload: {} }
const pullRequestPayload = { pull_request: { number: 7, head: { sha: 'head777' } } }

describe('statusTarget', () => {
  it('reports on GITHUB_SHA for a push', () => {
    expect(statusTarget(pushContext)).toBe('merge000')
  })

  it('reports on the pull request head for pull_request events', () => {
    const ctx = { eventName: 'pull_request', sha: 'merge000', payload: pullRequestPayload }
    expect(statusTarget(ctx)).toBe('head777')
  })

  it('reports on the pull request head for pull_request_target events', () => {
    const ctx = { eventName: 'pull_request_target', sha: 'base000', payload: pullRequestPayload }
    expect(statusTarget(ctx)).toBe('head777')
  })

  it('ignores a pull request in the payload of other events', () => {
    const ctx = { eventName: 'workflow_dispatch', sha: 'main000', payload: pullRequestPayload }
    expect(statusTarget(ctx)).toBe('main000')
  })
})

describe('defaultStatusContext', () => {
  it('names the cluster and both services in input order', () => {
    expect(defaultStatusContext('prod', ['web-blue', 'web-green'])).toBe(
      'ecs-canary/prod/web-blue-web-green'
    )
  })

  it('uses the cluster name when given an ARN', () => {
    const arn = 'arn:aws:ecs:eu-west-1:123456789012:cluster/prod'
    expect(defaultStatusContext(arn, ['a', 'b'])).toBe('ecs-canary/prod/a-b')
  })
})

describe('runUrl', () => {
  it('links to the workflow run', () => {
    expect(runUrl('https://github.com', 'acme', 'shop', 42)).toBe(RUN_URL)
  })
})

describe('CommitStatus', () => {
  it('sends the state, description, context and run link for the commit', async () => {
    const { octokit, calls } = fakeOctokit()
    const { log } = fakeLog()
    const status = commitStatus(octokit, log)
    status.post('pending', 'stage 1/6 · 1% on web-green · alarms OK')
    await status.flush(1000)
    expect(calls).toEqual([
      {
        owner: 'acme',
        repo: 'shop',
        sha: 'abc1234def',
        state: 'pending',
        description: 'stage 1/6 · 1% on web-green · alarms OK',
        context: 'ecs-canary/prod/web-blue-web-green',
        target_url: RUN_URL
      }
    ])
  })

  it('warns once naming statuses: write after a 403 and sends nothing more', async () => {
    const { octokit, calls } = fakeOctokit(async () => {
      throw httpError(403, 'Resource not accessible by integration')
    })
    const { log, lines } = fakeLog()
    const status = commitStatus(octokit, log)
    status.post('pending', 'stage 1/6')
    await status.flush(1000)
    status.post('pending', 'stage 2/6')
    await status.flush(1000)
    status.post('success', 'promoted web-green to 100%')
    await status.flush(1000)
    expect(calls).toHaveLength(1)
    expect(lines.warn).toHaveLength(1)
    expect(lines.warn[0]).toContain('statuses: write')
    expect(lines.warn[0]).toContain('403')
  })

  it('treats a 404 (token cannot see the repository) like a 403', async () => {
    const { octokit, calls } = fakeOctokit(async () => {
      throw httpError(404, 'Not Found')
    })
    const { log, lines } = fakeLog()
    const status = commitStatus(octokit, log)
    status.post('pending', 'stage 1/6')
    await status.flush(1000)
    status.post('pending', 'stage 2/6')
    await status.flush(1000)
    expect(calls).toHaveLength(1)
    expect(lines.warn).toHaveLength(1)
    expect(lines.warn[0]).toContain('statuses: write')
  })

  it('warns once about a server error but keeps posting later stages', async () => {
    const { octokit, calls } = fakeOctokit(async () => {
      throw httpError(502, 'Bad Gateway')
    })
    const { log, lines } = fakeLog()
    const status = commitStatus(octokit, log)
    status.post('pending', 'stage 1/6')
    await status.flush(1000)
    status.post('pending', 'stage 2/6')
    await status.flush(1000)
    status.post('pending', 'stage 3/6')
    await status.flush(1000)
    expect(calls).toHaveLength(3)
    expect(lines.warn).toHaveLength(1)
  })

  it('never rejects, whatever the client throws', async () => {
    const { octokit } = fakeOctokit(async () => {
      throw 'not an Error'
    })
    const { log, lines } = fakeLog()
    const status = commitStatus(octokit, log)
    expect(() => status.post('error', 'x')).not.toThrow()
    await expect(status.flush(1000)).resolves.toBeUndefined()
    expect(lines.warn[0]).toContain('not an Error')
  })

  it('cuts a description to 140 characters ending in an ellipsis', async () => {
    const { octokit, calls } = fakeOctokit()
    const { log } = fakeLog()
    const status = commitStatus(octokit, log)
    status.post('failure', `rolled back at 10%: ${'x'.repeat(200)}`)
    await status.flush(1000)
    const sent = calls[0].description ?? ''
    expect(Array.from(sent)).toHaveLength(140)
    expect(sent.endsWith('…')).toBe(true)
    expect(sent.startsWith('rolled back at 10%: xxx')).toBe(true)
  })

  it('is off without a token, with one debug line and no request', async () => {
    const { octokit, calls } = fakeOctokit()
    const { log, lines } = fakeLog()
    const status = commitStatus(octokit, log, '')
    status.post('pending', 'stage 1/6')
    await status.flush(1000)
    status.post('success', 'done')
    await status.flush(1000)
    expect(calls).toHaveLength(0)
    expect(lines.warn).toHaveLength(0)
    expect(lines.debug).toHaveLength(1)
  })

  it('sends posts in the order they were made even when an earlier one is slow', async () => {
    const sent: string[] = []
    const { octokit } = fakeOctokit(async params => {
      if (params.state === 'pending') await new Promise(resolve => setTimeout(resolve, 20))
      sent.push(params.state)
    })
    const { log } = fakeLog()
    const status = commitStatus(octokit, log)
    status.post('pending', 'stage 6/6')
    status.post('success', 'promoted web-green to 100%')
    await status.flush(1000)
    expect(sent).toEqual(['pending', 'success'])
  })

  it('skips a post identical to the previous one', async () => {
    const { octokit, calls } = fakeOctokit()
    const { log } = fakeLog()
    const status = commitStatus(octokit, log)
    status.post('pending', 'stage 2/6 · 2% on web-green · alarms OK')
    await status.flush(1000)
    status.post('pending', 'stage 2/6 · 2% on web-green · alarms OK')
    await status.flush(1000)
    status.post('pending', 'stage 3/6 · 5% on web-green · alarms OK')
    await status.flush(1000)
    expect(calls.map(c => c.description)).toEqual([
      'stage 2/6 · 2% on web-green · alarms OK',
      'stage 3/6 · 5% on web-green · alarms OK'
    ])
  })

  it('posts through getOctokit to the API at GITHUB_API_URL, never logging the token', async () => {
    received.length = 0
    const { log, lines } = fakeLog()
    const status = new CommitStatus({
      token: 'ghs_secret',
      context: 'ecs-canary/prod/a-b',
      sha: 'abc1234',
      owner: 'acme',
      repo: 'shop',
      targetUrl: RUN_URL,
      log
    })
    status.post('pending', 'stage 1/6')
    await status.flush(1000)
    expect(received).toHaveLength(1)
    expect(received[0].method).toBe('POST')
    expect(received[0].url).toBe('/repos/acme/shop/statuses/abc1234')
    expect(received[0].auth).toBe('token ghs_secret')
    expect(JSON.parse(received[0].body)).toEqual({
      state: 'pending',
      description: 'stage 1/6',
      context: 'ecs-canary/prod/a-b',
      target_url: RUN_URL
    })
    const logged = [...lines.info, ...lines.warn, ...lines.debug].join('\n')
    expect(logged).not.toContain('ghs_secret')
  })
})

describe('CommitStatus never holds anyone up', () => {
  /** A GitHub API that answers nothing until the request is aborted. */
  function stalled() {
    const aborted: string[] = []
    const fake = fakeOctokit(
      params =>
        new Promise((_, reject) => {
          params.request?.signal?.addEventListener('abort', () => {
            aborted.push(params.description ?? '')
            reject(Object.assign(new Error('This operation was aborted'), { name: 'AbortError' }))
          })
        })
    )
    return { ...fake, aborted }
  }

  it('returns from post at once while GitHub stalls', () => {
    const { octokit, calls } = stalled()
    const { log } = fakeLog()
    const status = commitStatus(octokit, log, 'ghs_secret', 30_000)
    const started = performance.now()
    status.post('pending', 'stage 1/6')
    status.post('failure', 'rolled back at 1%')
    expect(performance.now() - started).toBeLessThan(20)
    expect(calls.map(c => c.description)).toEqual(['stage 1/6'])
    return status.flush(10)
  })

  it('sends only the newest state once the one in flight is done', async () => {
    let release = () => undefined as void
    const { octokit, calls } = fakeOctokit(params =>
      params.description === 'stage 1/6'
        ? new Promise<void>(resolve => (release = resolve))
        : Promise.resolve()
    )
    const { log } = fakeLog()
    const status = commitStatus(octokit, log)
    status.post('pending', 'stage 1/6')
    status.post('pending', 'stage 2/6')
    status.post('pending', 'stage 3/6')
    status.post('success', 'promoted web-green to 100%')
    release()
    await status.flush(1000)
    expect(calls.map(c => c.description)).toEqual(['stage 1/6', 'promoted web-green to 100%'])
  })

  it('gives each post its own timeout, aborts it, and sends the next', async () => {
    const { octokit, calls, aborted } = stalled()
    const { log, lines } = fakeLog()
    const status = commitStatus(octokit, log, 'ghs_secret', 50)
    status.post('pending', 'stage 1/6')
    status.post('success', 'promoted web-green to 100%')
    const started = performance.now()
    await status.flush(5_000)
    expect(performance.now() - started).toBeLessThan(1_000)
    expect(calls.map(c => c.description)).toEqual(['stage 1/6', 'promoted web-green to 100%'])
    expect(aborted).toEqual(['stage 1/6', 'promoted web-green to 100%'])
    expect(lines.warn).toHaveLength(1)
  })

  it('flushes within its bound and drops what GitHub did not take', async () => {
    const { octokit, aborted } = stalled()
    const { log, lines } = fakeLog()
    const status = commitStatus(octokit, log, 'ghs_secret', 30_000)
    status.post('failure', 'rolled back at 1%')
    const started = performance.now()
    await status.flush(100)
    expect(performance.now() - started).toBeLessThan(500)
    expect(aborted).toEqual(['rolled back at 1%'])
    expect(lines.warn.join('\n')).toContain('did not take the commit status within')
  })
})

describe('CommitStatus targets', () => {
  it('posts on the deployed commit once retargeted', async () => {
    const { octokit, calls } = fakeOctokit()
    const { log } = fakeLog()
    const status = commitStatus(octokit, log)
    status.retarget('d'.repeat(40))
    status.post('success', 'promoted web-green to 100%')
    await status.flush(1000)
    expect(calls.map(c => c.sha)).toEqual(['d'.repeat(40)])
    expect(status.target).toBe('d'.repeat(40))
  })

  it('names the 1000-statuses limit and how to go on, and stops asking', async () => {
    const { octokit, calls } = fakeOctokit(async () => {
      throw httpError(
        422,
        'Validation Failed: {"resource":"Status","code":"custom","message":"This SHA and context has reached the maximum number of statuses."}'
      )
    })
    const { log, lines } = fakeLog()
    const status = commitStatus(octokit, log)
    status.post('pending', 'stage 1/6')
    await status.flush(1000)
    status.post('pending', 'stage 2/6')
    await status.flush(1000)
    expect(calls).toHaveLength(1)
    expect(lines.warn).toHaveLength(1)
    expect(lines.warn[0]).toContain('maximum of 1000')
    expect(lines.warn[0]).toContain('status-context')
    expect(lines.warn[0]).not.toContain('github-token is valid')
  })

  it('reports on workflow_run.head_sha for workflow_run events', () => {
    const payload = { workflow_run: { head_sha: 'f'.repeat(40) } }
    expect(statusTarget({ eventName: 'workflow_run', sha: 'main000', payload })).toBe(
      'f'.repeat(40)
    )
    expect(statusTarget({ eventName: 'push', sha: 'main000', payload })).toBe('main000')
  })
})

describe('pendingText', () => {
  it('reads stage, share, service and alarms OK', () => {
    expect(pendingText(2, 6, 50, 'web-green', 'web-5xx OK, web-latency OK')).toBe(
      'stage 3/6 · 5% on web-green · alarms OK'
    )
  })

  it('names only the alarms that are not OK', () => {
    expect(pendingText(0, 6, 10, 'web-green', 'web-5xx INSUFFICIENT_DATA, web-latency OK')).toBe(
      'stage 1/6 · 1% on web-green · web-5xx INSUFFICIENT_DATA'
    )
  })

  it('leaves the gates out when there are none', () => {
    expect(pendingText(0, 2, 5, 'web-green', '')).toBe('stage 1/2 · 0.5% on web-green')
  })
})

describe('outcomeText and outcomeState', () => {
  const base = { reason: '', liveService: 'web-blue', idleService: 'web-green' }

  it('names the promoted service, now live, as a success', () => {
    const outcome = {
      ...base,
      result: 'promoted',
      tenths: 1000,
      liveService: 'web-green',
      idleService: 'web-blue'
    } satisfies Outcome
    expect(outcomeText(outcome)).toBe('promoted web-green to 100%')
    expect(outcomeState(outcome.result)).toBe('success')
  })

  it('gives the share reached and the reason for a rollback, as a failure', () => {
    const outcome = {
      ...base,
      result: 'rolled-back',
      tenths: 0,
      reason: 'alarm web-5xx\nThreshold Crossed: 1 datapoint'
    } satisfies Outcome
    expect(outcomeText(outcome, 100)).toBe('rolled back at 10%: alarm web-5xx')
    expect(outcomeState(outcome.result)).toBe('failure')
  })

  it('does not repeat itself for a manual rollback, still a failure', () => {
    const outcome = {
      ...base,
      result: 'rolled-back',
      tenths: 0,
      reason: 'rolled back by hand from 10% (https://github.com/acme/web/actions/runs/7/attempts/1)'
    } satisfies Outcome
    expect(outcomeText(outcome)).toBe(outcome.reason)
    expect(outcomeState(outcome.result)).toBe('failure')
  })

  it('says where traffic is held on a pause, as a success', () => {
    const outcome = { ...base, result: 'paused', tenths: 100 } satisfies Outcome
    expect(outcomeText(outcome)).toBe('paused at 10% on web-green')
    expect(outcomeState(outcome.result)).toBe('success')
  })

  it('explains an unchanged run, as a success', () => {
    const outcome = {
      ...base,
      result: 'unchanged',
      tenths: 0,
      reason: 'dry run'
    } satisfies Outcome
    expect(outcomeText(outcome)).toBe('unchanged: dry run')
    expect(outcomeText({ ...outcome, reason: '' })).toBe('unchanged: all traffic on web-blue')
    expect(outcomeState(outcome.result)).toBe('success')
  })
})
