/**
 * What a commit status says and where it goes: pure text and target helpers, shared by the
 * queue in `status.ts` and by anyone who reports an ending (reconcile included).
 */
import type { context as githubContext } from '@actions/github'
import { parseArn } from '../arn.js'
import { percentText } from '../engine/plan.js'
import type { Outcome, Result, Tenths } from '../engine/types.js'

/** The states GitHub accepts for a commit status. */
export type StatusState = 'pending' | 'success' | 'failure' | 'error'

/** The parts of `@actions/github`'s `context` this module reads (a fake will do in tests). */
export type RunContext = Pick<typeof githubContext, 'eventName' | 'sha' | 'payload'>

/** GitHub refuses longer descriptions with a 422. */
export const DESCRIPTION_LIMIT = 140

// On these events GITHUB_SHA is the merge commit GitHub made for the pull request (or the base
// branch's head, for pull_request_target): a status there is invisible on the pull request.
const PULL_REQUEST_EVENTS = new Set([
  'pull_request',
  'pull_request_target',
  'pull_request_review',
  'pull_request_review_comment'
])

/** A full commit sha, the only form worth recording (a short one may stop being unique). */
export const COMMIT_SHA = /^[0-9a-f]{40}$/

/**
 * The commit this run is about: the pull request's head for pull request events, the triggering
 * run's head for `workflow_run` (GITHUB_SHA is the default branch's head there), else GITHUB_SHA.
 */
export function statusTarget(ctx: RunContext): string {
  const payload = ctx.payload ?? {}
  const prHead: unknown = payload.pull_request?.head?.sha
  if (PULL_REQUEST_EVENTS.has(ctx.eventName) && typeof prHead === 'string' && prHead) return prHead
  const runHead: unknown = payload.workflow_run?.head_sha
  if (ctx.eventName === 'workflow_run' && typeof runHead === 'string' && runHead) return runHead
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
    case 'restore-failed':
      return `traffic NOT restored: ${percentText(outcome.tenths)} still on ${outcome.idleService}; run the commands in the job log`
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

/** The state that goes with a result: a rollback, or a restore that failed, is a failure. */
export function outcomeState(result: Result): StatusState {
  return result === 'rolled-back' || result === 'restore-failed' ? 'failure' : 'success'
}
