/**
 * The commit status: the rollout stage as a check on the commit being deployed. Best effort by
 * design: a token without `statuses: write` (or a fork's read-only token) must never fail a
 * deploy, so every failure here becomes one warning.
 */
import { getOctokit } from '@actions/github'
import type { context as githubContext } from '@actions/github'
import { parseArn } from '../arn.js'
import { percentText } from '../plan.js'
import type { Log, Outcome, Result, Tenths } from '../types.js'

/** The states GitHub accepts for a commit status. */
export type StatusState = 'pending' | 'success' | 'failure' | 'error'

/** The parts of `@actions/github`'s `context` this module reads (a fake will do in tests). */
export type RunContext = Pick<typeof githubContext, 'eventName' | 'sha' | 'payload'>

/** GitHub refuses longer descriptions with a 422. */
export const DESCRIPTION_LIMIT = 140

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
      }): Promise<unknown>
    }
  }
}

// On these events GITHUB_SHA is the merge commit GitHub made for the pull request (or the base
// branch's head, for pull_request_target): a status there is invisible on the pull request.
const PULL_REQUEST_EVENTS = new Set([
  'pull_request',
  'pull_request_target',
  'pull_request_review',
  'pull_request_review_comment'
])

/** The commit to report on: the pull request's head for pull request events, else GITHUB_SHA. */
export function statusTarget(ctx: RunContext): string {
  const head: unknown = ctx.payload?.pull_request?.head?.sha
  if (PULL_REQUEST_EVENTS.has(ctx.eventName) && typeof head === 'string' && head) return head
  return ctx.sha ?? ''
}

/** The last segment of an ARN (`arn:aws:ecs:…:cluster/prod` → `prod`), or the name as given. */
function nameOf(nameOrArn: string): string {
  const text = nameOrArn.trim()
  return parseArn(text)?.name ?? text.split('/').pop() ?? text
}

/**
 * `ecs-canary/<cluster>/<first>-<second>`. The services keep their input order rather than
 * live/idle, so the check keeps one name across deploys while the roles ping-pong.
 */
export function defaultStatusContext(cluster: string, services: readonly string[]): string {
  return `ecs-canary/${nameOf(cluster)}/${services.map(nameOf).join('-')}`
}

/** The link from the status to this workflow run. */
export function runUrl(serverUrl: string, owner: string, repo: string, runId: number): string {
  return `${serverUrl}/${owner}/${repo}/actions/runs/${runId}`
}

/** Cuts `text` to GitHub's 140 characters, ending in an ellipsis when something was cut. */
export function fitDescription(text: string): string {
  const chars = Array.from(text.replace(/\s+/g, ' ').trim())
  if (chars.length <= DESCRIPTION_LIMIT) return chars.join('')
  return `${chars.slice(0, DESCRIPTION_LIMIT - 1).join('')}…`
}

/**
 * Shortens a gate detail line for the description: `alarms OK` when every entry reads OK,
 * otherwise only the entries that do not (`web-5xx INSUFFICIENT_DATA`).
 */
export function gatesText(detail: string): string {
  const parts = detail
    .split(/\s*[,;·]\s*/)
    .map(p => p.trim())
    .filter(Boolean)
  if (parts.length === 0) return ''
  const notOk = parts.filter(p => !/\sOK$/.test(p))
  return notOk.length === 0 ? 'alarms OK' : notOk.join(', ')
}

/** `stage 3/6 · 5% on web-green · alarms OK`; `stageIndex` is 0-based, as in `StageRecord`. */
export function pendingText(
  stageIndex: number,
  stageCount: number,
  tenths: Tenths,
  service: string,
  gatesDetail: string
): string {
  const gates = gatesText(gatesDetail)
  const base = `stage ${stageIndex + 1}/${stageCount} · ${percentText(tenths)} on ${service}`
  return gates ? `${base} · ${gates}` : base
}

/**
 * The final description. `reached` is the share the new revision had when a rollback began
 * (the outcome's own share is 0 by then); without it the text leaves the share out.
 */
export function outcomeText(outcome: Outcome, reached?: Tenths): string {
  const reason = outcome.reason.split('\n')[0].trim()
  switch (outcome.result) {
    case 'promoted':
      // Roles have swapped by now: the new revision is the live service.
      return `promoted ${outcome.liveService} to ${percentText(outcome.tenths)}`
    case 'rolled-back': {
      // A manual rollback's reason tells the whole story already ("rolled back by hand from…").
      if (reached === undefined && /^rolled back\b/.test(reason)) return reason
      const at = reached === undefined ? 'rolled back' : `rolled back at ${percentText(reached)}`
      return reason ? `${at}: ${reason}` : at
    }
    case 'paused':
      return `paused at ${percentText(outcome.tenths)} on ${outcome.idleService}`
    case 'unchanged': {
      const where =
        outcome.tenths > 0
          ? `${percentText(outcome.tenths)} on ${outcome.idleService}`
          : `all traffic on ${outcome.liveService}`
      return `unchanged: ${reason || where}`
    }
  }
}

/** The state that goes with a result: only a rollback is a failure. */
export function outcomeState(result: Result): StatusState {
  return result === 'rolled-back' ? 'failure' : 'success'
}

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
}

/** Posts commit statuses in order, never throws, and goes quiet after a permanent refusal. */
export class CommitStatus {
  private readonly client?: StatusClient
  private enabled: boolean
  private warned = false
  private last = ''
  private queue: Promise<void> = Promise.resolve()

  constructor(private readonly options: CommitStatusOptions) {
    const { token, sha, owner, repo, log } = options
    this.enabled = Boolean(token && sha && owner && repo)
    if (!token) log.debug('No github-token given: commit statuses are off.')
    else if (!this.enabled) log.debug('No commit or repository known: commit statuses are off.')
    if (this.enabled) this.client = options.octokit ?? getOctokit(token)
  }

  /**
   * Sets the status; resolves once it is sent (or given up on). Posts are chained so a late
   * `pending` can never land after the final `success`; a repeat of the last one is skipped.
   */
  post(state: StatusState, description: string): Promise<void> {
    const text = fitDescription(description)
    const key = `${state}\n${text}`
    if (!this.enabled || key === this.last) return this.queue
    this.last = key
    this.queue = this.queue.then(() => this.send(state, text))
    return this.queue
  }

  private async send(state: StatusState, description: string): Promise<void> {
    if (!this.enabled || !this.client) return
    const { context, sha, owner, repo, targetUrl, log } = this.options
    log.debug(`Commit status ${context} on ${sha}: ${state} "${description}"`)
    try {
      await this.client.rest.repos.createCommitStatus({
        owner,
        repo,
        sha,
        state,
        description,
        context,
        target_url: targetUrl
      })
    } catch (error) {
      this.handle(error)
    }
  }

  private handle(error: unknown): void {
    const { context, sha, owner, repo, log } = this.options
    const status = (error as { status?: unknown })?.status
    const message = error instanceof Error ? error.message : String(error)
    const where = `commit status '${context}' on ${owner}/${repo}@${sha.slice(0, 7)}`
    const rateLimited = /rate limit/i.test(message)
    if ((status === 403 || status === 404) && !rateLimited) {
      // Permanent for this run: asking again would only repeat the warning.
      this.enabled = false
      log.warn(
        `Could not set the ${where}: GitHub answered ${status} (${message}). Give the job ` +
          '`permissions: statuses: write`; pull requests from forks get a read-only token and ' +
          'cannot carry statuses. The rollout goes on without commit statuses.'
      )
      return
    }
    if (status === 401 || status === 422) {
      this.enabled = false
      log.warn(
        `Could not set the ${where}: GitHub answered ${status} (${message}). Check that ` +
          'github-token is valid and the commit is in this repository. The rollout goes on ' +
          'without commit statuses.'
      )
      return
    }
    // Transient (5xx, network, rate limit): say so once, keep trying at later stages.
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
