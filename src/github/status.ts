/**
 * The commit status: the rollout stage as a check on the commit being deployed. Best effort by
 * design: a token without `statuses: write` (or a fork's read-only token) must never fail a
 * deploy, so every failure here becomes one warning. And reporting never delays safety: `post`
 * returns at once, each request has its own timeout, and only the newest state waits to be sent.
 */
import { getOctokit } from '@actions/github'
import type { Log } from '../engine/types.js'
import { fitDescription, type StatusState } from './status-text.js'

export * from './status-text.js'

/** The one Octokit call this module makes; `getOctokit(token)` satisfies it. */
export interface StatusClient {
  rest: {
    repos: {
      createCommitStatus(params: {
        owner: string
        repo: string
        sha: string
        state: StatusState
        description?: string
        context?: string
        target_url?: string
        /** Octokit passes `signal` to fetch: a timed-out request is really dropped. */
        request?: { signal?: AbortSignal }
      }): Promise<unknown>
    }
  }
}

/**
 * How long one post may take. Undici's own default is 300 s; a stalled API must not hold a
 * status that long, nor keep the process alive after the run ended.
 */
export const POST_TIMEOUT_MS = 5_000

/** What `CommitStatus` needs; `octokit` defaults to `getOctokit(token)` (honours GITHUB_API_URL). */
export interface CommitStatusOptions {
  readonly token: string
  /** The status context name, e.g. from `defaultStatusContext`. */
  readonly context: string
  readonly sha: string
  readonly owner: string
  readonly repo: string
  readonly targetUrl: string
  readonly log: Log
  readonly octokit?: StatusClient
  /** Per-request timeout; `POST_TIMEOUT_MS` unless a test says otherwise. */
  readonly timeoutMs?: number
}

interface Post {
  readonly state: StatusState
  readonly description: string
}

/**
 * Posts commit statuses one at a time, latest state wins: while one request is out, newer posts
 * replace each other and only the newest is sent next, so a late `pending` can never land after
 * the final `success`. Never throws, never blocks its caller, and goes quiet after a permanent
 * refusal.
 */
export class CommitStatus {
  private readonly client?: StatusClient
  private readonly token: boolean
  private refused = false
  private warned = false
  private last = ''
  private sha: string
  private next?: Post
  private sending?: Promise<void>
  /** Aborts every request still out once `flush` has waited long enough. */
  private readonly stop = new AbortController()

  constructor(private readonly options: CommitStatusOptions) {
    const { token, sha, owner, repo, log } = options
    this.sha = sha
    this.token = Boolean(token && owner && repo)
    if (!token) log.debug('No github-token given: commit statuses are off.')
    else if (!this.token) log.debug('No repository known: commit statuses are off.')
    if (this.token) this.client = options.octokit ?? getOctokit(token)
  }

  /** The commit the statuses go to. */
  get target(): string {
    return this.sha
  }

  /**
   * Sends later statuses to `sha` instead: `promote` and `rollback` report on the commit the
   * rollout deployed (recorded in the rules' tags), not on the one the run was started from.
   */
  retarget(sha: string): void {
    if (!sha || sha === this.sha) return
    this.options.log.debug(`Commit statuses go to the deployed commit ${sha}.`)
    this.sha = sha
    this.last = ''
  }

  /** Queues the status and returns at once; a repeat of the last one is skipped. */
  post(state: StatusState, description: string): void {
    const text = fitDescription(description)
    const key = `${this.sha}\n${state}\n${text}`
    if (!this.enabled || key === this.last) return
    this.last = key
    this.next = { state, description: text }
    if (!this.sending) this.sending = this.pump()
  }

  /**
   * Waits for the queued statuses, for at most `withinMs`; then gives up on them (a status is
   * never worth holding the job). Never rejects.
   */
  async flush(withinMs: number): Promise<void> {
    if (!this.sending) return
    let timer: NodeJS.Timeout | undefined
    const late = new Promise<'late'>(resolve => {
      timer = setTimeout(() => resolve('late'), withinMs)
    })
    const ended = await Promise.race([this.sending.then(() => 'sent' as const), late])
    clearTimeout(timer)
    if (ended === 'late') {
      this.next = undefined
      this.stop.abort()
      this.options.log.warn(
        `GitHub did not take the commit status within ${Math.round(withinMs / 1000)}s; the run ends without waiting for it.`
      )
    }
  }

  private get enabled(): boolean {
    return this.token && !this.refused && Boolean(this.sha)
  }

  private async pump(): Promise<void> {
    try {
      for (let post = this.next; post && this.enabled; post = this.next) {
        this.next = undefined
        await this.send(post)
      }
    } finally {
      this.sending = undefined
    }
  }

  private async send({ state, description }: Post): Promise<void> {
    if (!this.client || this.stop.signal.aborted) return
    const { context, owner, repo, targetUrl, log } = this.options
    const sha = this.sha
    const timeoutMs = this.options.timeoutMs ?? POST_TIMEOUT_MS
    log.debug(`Commit status ${context} on ${sha}: ${state} "${description}"`)
    const signal = AbortSignal.any([this.stop.signal, AbortSignal.timeout(timeoutMs)])
    let timer: NodeJS.Timeout | undefined
    // Also stop waiting on a client that ignores the signal: the queue must move on.
    const timedOut = new Promise<never>((_, reject) => {
      const fail = () => reject(new Error(`no answer within ${timeoutMs / 1000}s`))
      timer = setTimeout(fail, timeoutMs)
      signal.addEventListener('abort', fail, { once: true })
    })
    try {
      const request = this.client.rest.repos.createCommitStatus({
        owner,
        repo,
        sha,
        state,
        description,
        context,
        target_url: targetUrl,
        request: { signal }
      })
      request.catch(() => undefined)
      await Promise.race([request, timedOut])
    } catch (error) {
      this.handle(error, sha)
    } finally {
      clearTimeout(timer)
    }
  }

  private handle(error: unknown, sha: string): void {
    const { context, owner, repo, log } = this.options
    const status = (error as { status?: unknown })?.status
    const message = error instanceof Error ? error.message : String(error)
    const where = `commit status '${context}' on ${owner}/${repo}@${sha.slice(0, 7)}`
    const rateLimited = /rate limit/i.test(message)
    if ((status === 403 || status === 404) && !rateLimited) {
      // Permanent for this run: asking again would only repeat the warning.
      this.refused = true
      log.warn(
        `Could not set the ${where}: GitHub answered ${status} (${message}). Give the job ` +
          '`permissions: statuses: write`; pull requests from forks get a read-only token and ' +
          'cannot carry statuses. The rollout goes on without commit statuses.'
      )
      return
    }
    if (status === 422 && /maximum number of statuses/i.test(message)) {
      // GitHub keeps at most 1000 statuses per commit and context ("Create a commit status",
      // docs.github.com/rest/commits/statuses); it answers this validation error beyond that.
      this.refused = true
      log.warn(
        `Could not set the ${where}: this commit already carries GitHub's maximum of 1000 ` +
          `statuses for the context '${context}'. Give the input status-context a new name ` +
          '(for example with a suffix) or deploy from a new commit. The rollout goes on ' +
          'without commit statuses.'
      )
      return
    }
    if (status === 401 || status === 422) {
      this.refused = true
      log.warn(
        `Could not set the ${where}: GitHub answered ${status} (${message}). Check that ` +
          'github-token is valid and the commit is in this repository. The rollout goes on ' +
          'without commit statuses.'
      )
      return
    }
    // Transient (5xx, network, rate limit, timeout): say so once, keep trying at later stages.
    if (this.warned) {
      log.debug(`Could not set the ${where}: ${message}`)
      return
    }
    this.warned = true
    log.warn(
      `Could not set the ${where}: ${message}. The rollout goes on; later stages will try again.`
    )
  }
}
