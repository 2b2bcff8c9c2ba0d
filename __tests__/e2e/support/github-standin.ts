import { createServer } from 'node:http'
import type { IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'

/** One request the stand-in received. */
export interface RecordedRequest {
  method: string
  path: string
  headers: IncomingHttpHeaders
  /** Parsed JSON when the body was JSON, else the raw text ('' when empty). */
  body: unknown
  at: number
}

/** A commit status as the action posted it. */
export interface RecordedStatus {
  owner: string
  repo: string
  sha: string
  state: string
  description?: string
  context?: string
  target_url?: string
  at: number
}

/** A local stand-in for the GitHub REST API (give its `url` to the action as GITHUB_API_URL). */
export interface GitHubStandin {
  url: string
  /** Every commit status posted, in order. */
  statuses(): RecordedStatus[]
  /** Every request, statuses included. */
  requests(): RecordedRequest[]
  /**
   * `deny`: answer status posts with 403 "Resource not accessible by integration", as GitHub
   * does for a token without `statuses: write`. `accept` (the default) answers 201.
   */
  setMode(mode: 'accept' | 'deny'): void
  /**
   * What `GET /repos/{owner}/{repo}/actions/runs/{id}/attempts/{n}` answers for a run attempt
   * (as GitHub does: `status` queued/in_progress/completed, `conclusion` once completed).
   * `deny` answers 403 as for a token without `actions: read`. Unknown runs answer 404.
   */
  setRun(runId: string, attempt: number, answer: RunAnswer | 'deny'): void
  /**
   * What "List jobs for a workflow run attempt" (`GET .../runs/{id}/attempts/{n}/jobs`) answers:
   * `{ total_count, jobs }`, each job with `id`, `name`, `status`, `conclusion`, `runner_name`
   * as GitHub reports them. A run attempt without jobs set answers 404.
   */
  setJobs(runId: string, attempt: number, jobs: JobAnswer[]): void
  /**
   * The runner's OIDC endpoint: give `oidcUrl` as ACTIONS_ID_TOKEN_REQUEST_URL (and any bearer
   * as ACTIONS_ID_TOKEN_REQUEST_TOKEN). Each request gets a fresh token for its `audience`.
   */
  oidcUrl: string
  /** The audiences of the OIDC tokens handed out, in order. */
  oidcRequests(): string[]
  reset(): void
  close(): Promise<void>
}

/** A workflow run attempt as the stand-in reports it. */
export interface RunAnswer {
  status: 'queued' | 'in_progress' | 'completed'
  conclusion?: 'success' | 'failure' | 'cancelled' | null
}

const RUN_PATH = /^\/repos\/([^/]+)\/([^/]+)\/actions\/runs\/(\d+)\/attempts\/(\d+)$/
const JOBS_PATH = /^\/repos\/[^/]+\/[^/]+\/actions\/runs\/(\d+)\/attempts\/(\d+)\/jobs$/

/** One job of a run attempt as the stand-in reports it. */
export interface JobAnswer {
  id: number
  name: string
  status: 'queued' | 'in_progress' | 'completed'
  conclusion?: 'success' | 'failure' | 'cancelled' | null
  runner_name?: string
}
const OIDC_PATH = '/_apis/oidc/token'

const STATUS_PATH = /^\/repos\/([^/]+)\/([^/]+)\/statuses\/([0-9a-f]{7,40})$/i

/** Starts the stand-in on a free port of 127.0.0.1. */
export async function startGitHubStandin(): Promise<GitHubStandin> {
  let requests: RecordedRequest[] = []
  let statuses: RecordedStatus[] = []
  let mode: 'accept' | 'deny' = 'accept'
  let nextId = 1
  let runs = new Map<string, RunAnswer | 'deny'>()
  let jobs = new Map<string, JobAnswer[]>()
  let oidc: string[] = []

  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8')
      const body = parse(text)
      const at = Date.now()
      const path = (req.url ?? '/').split('?')[0]
      requests.push({ method: req.method ?? 'GET', path, headers: req.headers, body, at })
      const reply = (status: number, payload: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' })
        res.end(JSON.stringify(payload))
      }
      const run = RUN_PATH.exec(path)
      if (req.method === 'GET' && run) return answerRun(run, reply)
      const listed = JOBS_PATH.exec(path)
      if (req.method === 'GET' && listed) {
        const found = jobs.get(`${listed[1]}/${listed[2]}`)
        if (!found) return reply(404, { message: 'Not Found', status: '404' })
        const shown = found.map(j => ({
          ...j,
          run_id: Number(listed[1]),
          run_attempt: Number(listed[2]),
          conclusion: j.status === 'completed' ? (j.conclusion ?? 'success') : null
        }))
        return reply(200, { total_count: shown.length, jobs: shown })
      }
      if (req.method === 'GET' && path === OIDC_PATH) {
        const audience = new URL(req.url ?? '/', serverUrl).searchParams.get('audience') ?? ''
        oidc.push(audience)
        // An unsigned JWT-shaped token: moto's STS does not verify it, and nothing else reads it.
        const claims = { aud: audience, sub: 'repo:acme/web:ref:refs/heads/main', n: oidc.length }
        const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url')
        return reply(200, { value: `${part({ alg: 'none' })}.${part(claims)}.e2e` })
      }
      const match = STATUS_PATH.exec(path)
      if (req.method !== 'POST' || !match) {
        return reply(404, {
          message: 'Not Found',
          documentation_url: 'https://docs.github.com/rest'
        })
      }
      if (mode === 'deny') {
        return reply(403, {
          message: 'Resource not accessible by integration',
          documentation_url: 'https://docs.github.com/rest/commits/statuses#create-a-commit-status',
          status: '403'
        })
      }
      const [, owner, repo, sha] = match
      const fields = (body ?? {}) as Partial<RecordedStatus>
      statuses.push({ ...fields, owner, repo, sha, state: String(fields.state), at })
      const id = nextId++
      const now = new Date(at).toISOString()
      reply(201, {
        url: `${serverUrl}/repos/${owner}/${repo}/statuses/${sha}`,
        id,
        node_id: `SC_e2e${id}`,
        state: fields.state,
        description: fields.description ?? null,
        target_url: fields.target_url ?? null,
        context: fields.context ?? 'default',
        created_at: now,
        updated_at: now,
        creator: { login: 'github-actions[bot]', id: 41898282, type: 'Bot' }
      })
    })
  })
  function answerRun(
    [, owner, repo, id, attempt]: RegExpExecArray,
    reply: (status: number, payload: unknown) => void
  ): void {
    const answer = runs.get(`${id}/${attempt}`)
    if (answer === 'deny') {
      return reply(403, {
        message: 'Resource not accessible by integration',
        documentation_url:
          'https://docs.github.com/rest/actions/workflow-runs#get-a-workflow-run-attempt',
        status: '403'
      })
    }
    if (!answer) return reply(404, { message: 'Not Found', status: '404' })
    reply(200, {
      id: Number(id),
      run_attempt: Number(attempt),
      name: 'deploy',
      status: answer.status,
      conclusion: answer.status === 'completed' ? (answer.conclusion ?? 'failure') : null,
      html_url: `https://github.com/${owner}/${repo}/actions/runs/${id}/attempts/${attempt}`
    })
  }

  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const serverUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  return {
    url: serverUrl,
    statuses: () => [...statuses],
    requests: () => [...requests],
    setMode(next) {
      mode = next
    },
    setRun(runId, attempt, answer) {
      runs.set(`${runId}/${attempt}`, answer)
    },
    setJobs(runId, attempt, list) {
      jobs.set(`${runId}/${attempt}`, list)
    },
    oidcUrl: `${serverUrl}${OIDC_PATH}?api-version=2.0`,
    oidcRequests: () => [...oidc],
    reset() {
      requests = []
      statuses = []
      mode = 'accept'
      runs = new Map()
      jobs = new Map()
      oidc = []
    },
    async close() {
      server.closeAllConnections()
      await new Promise<void>(resolve => server.close(() => resolve()))
    }
  }
}

function parse(text: string): unknown {
  if (!text) return ''
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}
