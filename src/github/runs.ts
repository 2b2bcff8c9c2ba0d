/**
 * Is the run that owns a rollout still running? Asked of GitHub (`GET /repos/{owner}/{repo}/
 * actions/runs/{run_id}/attempts/{attempt_number}`, which needs `actions: read`). The watchdog
 * never fights a live owner, so "cannot tell" is an answer of its own, not "gone".
 */
import { getOctokit } from '@actions/github'

/** What GitHub says of the owner's run. */
export type OwnerRun =
  | { readonly state: 'running'; readonly status: string }
  | { readonly state: 'completed'; readonly conclusion: string }
  | { readonly state: 'unknown'; readonly why: string }

/** The one Octokit call used here; `getOctokit(token)` satisfies it. */
export interface RunsClient {
  rest: {
    actions: {
      getWorkflowRunAttempt(params: {
        owner: string
        repo: string
        run_id: number
        attempt_number: number
        request?: { signal?: AbortSignal }
      }): Promise<{ data: { status?: string | null; conclusion?: string | null } }>
    }
  }
}

/** `acme/web/runs/42/1` → its parts, or undefined for any other shape. */
export function parseOwner(owner: string) {
  const m = /^([^/\s]+)\/([^/\s]+)\/runs\/(\d+)\/(\d+)$/.exec(owner)
  if (!m) return undefined
  return { owner: m[1], repo: m[2], runId: Number(m[3]), attempt: Number(m[4]) }
}

/** How long GitHub gets to answer: the watchdog must not hang on it. */
const ASK_MS = 10_000

/** Asks GitHub about the owner's run attempt; never throws. */
export async function ownerRun(
  owner: string,
  token: string,
  client?: RunsClient
): Promise<OwnerRun> {
  const parts = parseOwner(owner)
  if (!parts) return { state: 'unknown', why: `the owner '${owner}' names no workflow run` }
  if (!token && !client) return { state: 'unknown', why: 'no github-token was given' }
  try {
    const octokit = client ?? (getOctokit(token) as unknown as RunsClient)
    const { data } = await octokit.rest.actions.getWorkflowRunAttempt({
      owner: parts.owner,
      repo: parts.repo,
      run_id: parts.runId,
      attempt_number: parts.attempt,
      request: { signal: AbortSignal.timeout(ASK_MS) }
    })
    if (data.status === 'completed') {
      return { state: 'completed', conclusion: data.conclusion ?? 'unknown' }
    }
    return { state: 'running', status: data.status ?? 'unknown' }
  } catch (error) {
    const status = (error as { status?: unknown })?.status
    const message = error instanceof Error ? error.message : String(error)
    const hint =
      status === 403 || status === 404
        ? ' (give the job `permissions: actions: read`; a run of another repository needs a token that can read it)'
        : ''
    return {
      state: 'unknown',
      why: `GitHub could not be asked about the run${status ? ` (HTTP ${String(status)})` : ''}: ${message}${hint}`
    }
  }
}
