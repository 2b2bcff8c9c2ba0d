/**
 * Is the job that owns a rollout still running? Asked of GitHub's "List jobs for a workflow run
 * attempt" (`GET /repos/{owner}/{repo}/actions/runs/{run_id}/attempts/{attempt_number}/jobs`:
 * "Lists jobs for a specific workflow run attempt", with `actions: read`): a lost deploy job in a
 * run whose other jobs still run is over. Only when the job cannot be found is the run attempt
 * asked (`GET .../attempts/{attempt_number}`). The watchdog never fights a live owner, so
 * "cannot tell" is an answer of its own, not "gone".
 */
import { getOctokit } from '@actions/github'

/** What GitHub says of the owner's job (or, failing that, its run); `note`: how it was asked. */
export type OwnerRun = (
  | { readonly state: 'running'; readonly status: string }
  | { readonly state: 'completed'; readonly conclusion: string }
  | { readonly state: 'unknown'; readonly why: string }
) & { readonly note?: string }

/** One job as "List jobs for a workflow run attempt" answers it (the fields used here). */
export interface JobAnswer {
  readonly id: number
  readonly name: string
  readonly status: string
  readonly conclusion?: string | null
  readonly runner_name?: string | null
}

/** The owning job as recorded: its name in the workflow and, where known, its id. */
export interface OwnerJob {
  readonly name?: string
  readonly id?: number
}

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
      listJobsForWorkflowRunAttempt(params: {
        owner: string
        repo: string
        run_id: number
        attempt_number: number
        per_page?: number
        request?: { signal?: AbortSignal }
      }): Promise<{ data: { jobs: readonly JobAnswer[] } }>
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
  client?: RunsClient,
  job: OwnerJob = {}
): Promise<OwnerRun> {
  const parts = parseOwner(owner)
  if (!parts) return { state: 'unknown', why: `the owner '${owner}' names no workflow run` }
  if (!token && !client) return { state: 'unknown', why: 'no github-token was given' }
  try {
    const octokit = client ?? (getOctokit(token) as unknown as RunsClient)
    const found = await findJob(octokit, parts, job)
    if (found.job) {
      const { status, conclusion } = found.job
      return status === 'completed'
        ? { state: 'completed', conclusion: conclusion ?? 'unknown' }
        : { state: 'running', status }
    }
    const note = `the owner's job ${jobText(job)} could not be found (${found.why ?? 'unknown'}): judged by its whole run attempt instead`
    const { data } = await octokit.rest.actions.getWorkflowRunAttempt({
      owner: parts.owner,
      repo: parts.repo,
      run_id: parts.runId,
      attempt_number: parts.attempt,
      request: { signal: AbortSignal.timeout(ASK_MS) }
    })
    if (data.status === 'completed') {
      return { state: 'completed', conclusion: data.conclusion ?? 'unknown', note }
    }
    return { state: 'running', status: data.status ?? 'unknown', note }
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

function jobText(job: OwnerJob): string {
  if (job.id) return `'${job.name ?? ''}' (id ${String(job.id)})`
  return job.name ? `'${job.name}'` : '(none recorded)'
}

/** At most this many jobs are listed (one page: GitHub's `per_page` maximum). */
const JOBS_PER_PAGE = 100

/**
 * The owner's job in its run attempt: by id when recorded, else the one job of that name.
 * Throws what GitHub throws (the caller words it).
 */
async function findJob(
  octokit: RunsClient,
  parts: NonNullable<ReturnType<typeof parseOwner>>,
  job: OwnerJob
): Promise<{ job?: JobAnswer; why?: string }> {
  if (!job.id && !job.name) return { why: 'the record names no job' }
  let jobs: readonly JobAnswer[]
  try {
    const { data } = await octokit.rest.actions.listJobsForWorkflowRunAttempt({
      owner: parts.owner,
      repo: parts.repo,
      run_id: parts.runId,
      attempt_number: parts.attempt,
      per_page: JOBS_PER_PAGE,
      request: { signal: AbortSignal.timeout(ASK_MS) }
    })
    jobs = data.jobs
  } catch (error) {
    const status = (error as { status?: unknown })?.status
    return { why: `listing the run's jobs failed${status ? ` (HTTP ${String(status)})` : ''}` }
  }
  const byId = job.id ? jobs.find(j => j.id === job.id) : undefined
  if (byId) return { job: byId }
  // GitHub names a job by its `name:` (or its key); a matrix adds ` (values)`: one match only.
  const named = jobs.filter(j => j.name === job.name)
  if (named.length === 1) return { job: named[0] }
  return {
    why: named.length > 1 ? `${named.length} jobs share that name` : 'no job of that name'
  }
}

/**
 * This job's id, looked up by the runner it runs on (`RUNNER_NAME`: one runner runs one job at
 * a time), bounded; `undefined` when GitHub cannot say (no token, no `actions: read`). Never
 * throws.
 */
export async function lookUpJobId(
  token: string,
  log: { debug(line: string): void },
  env: NodeJS.ProcessEnv = process.env,
  client?: RunsClient
): Promise<number | undefined> {
  const parts = parseOwner(
    `${env.GITHUB_REPOSITORY ?? ''}/runs/${env.GITHUB_RUN_ID ?? ''}/${env.GITHUB_RUN_ATTEMPT || '1'}`
  )
  if (!parts || !env.RUNNER_NAME || (!token && !client)) return undefined
  try {
    const octokit = client ?? (getOctokit(token) as unknown as RunsClient)
    const { data } = await octokit.rest.actions.listJobsForWorkflowRunAttempt({
      owner: parts.owner,
      repo: parts.repo,
      run_id: parts.runId,
      attempt_number: parts.attempt,
      per_page: JOBS_PER_PAGE,
      request: { signal: AbortSignal.timeout(LOOKUP_MS) }
    })
    const mine = data.jobs.filter(
      j => j.runner_name === env.RUNNER_NAME && j.status === 'in_progress'
    )
    return mine.length === 1 ? mine[0].id : undefined
  } catch (error) {
    log.debug(
      `This job's id could not be looked up (${error instanceof Error ? error.message : String(error)}): the record names the job by name only.`
    )
    return undefined
  }
}

/** How long the job id lookup may take: it comes before the first write. */
const LOOKUP_MS = 3_000
