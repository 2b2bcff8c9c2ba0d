/**
 * Everything a mode needs, built once from the settings: the adapters, the clock, the log, the
 * commit status. The only place that wires concrete adapters together.
 */
import * as core from '@actions/core'
import { context as githubContext } from '@actions/github'
import { makeClients, type Clients } from '../aws/clients.js'
import { webIdentityCredentials } from '../aws/credentials.js'
import { EcsServices } from '../aws/ecs/ecs.js'
import { ServiceScaling } from '../aws/autoscaling/scaling.js'
import { ElbTraffic } from '../aws/elb/traffic.js'
import { systemClock } from '../clock.js'
import { coreLog, StageGroup } from '../github/log.js'
import { CommitStatus, defaultStatusContext, runUrl, statusTarget } from '../github/status.js'
import type { Settings } from '../inputs/inputs.js'
import { runOwner } from '../engine/state.js'
import type { Clock, Log } from '../engine/types.js'

export { coreLog }

/** What every mode works with. */
export interface Context {
  readonly settings: Settings
  readonly clients: Clients
  readonly traffic: ElbTraffic
  readonly ecs: EcsServices
  /** The pair's auto scaling (Application Auto Scaling scalable targets). */
  readonly scaling: ServiceScaling
  readonly clock: Clock
  readonly log: Log
  readonly status: CommitStatus
  /** This run's identity, recorded as the owner of a rollout it starts. */
  readonly owner: string
  /**
   * This job, recorded with the owner: its name (`GITHUB_JOB`), and its id once looked up (0:
   * GitHub could not say). The watchdog asks whether this job, not the whole run, is over.
   */
  readonly job: { readonly name: string; id?: number }
  /** Aborted on SIGINT/SIGTERM. */
  readonly signal: AbortSignal
  /** The log group of the stage being reported (opened by the reporter, closed by `publish`). */
  readonly stageGroup: StageGroup
  /** The commit this run reports on (the PR head for pull requests); '' when unknown. */
  readonly commit: string
}

/** Builds the context; constructing adapters makes no AWS call. */
export function makeContext(settings: Settings, signal: AbortSignal): Context {
  const credentials = settings.roleToAssume
    ? webIdentityCredentials(
        settings.roleToAssume,
        settings.region,
        audience => core.getIDToken(audience),
        process.env,
        settings.audience
      )
    : undefined
  const clients = makeClients(settings.region, credentials)
  const clock = systemClock
  const log = coreLog
  return {
    settings,
    clients,
    traffic: new ElbTraffic(
      clients.elb,
      settings.listenerRules,
      { clock, log, region: settings.region },
      settings.testListenerRules
    ),
    ecs: new EcsServices(clients.ecs, settings.cluster, {
      clock,
      log,
      registerClient: clients.ecsRegister
    }),
    scaling: new ServiceScaling(clients.autoscaling, settings.cluster, log, settings.region),
    clock,
    log,
    status: makeStatus(settings, log),
    owner: runOwner(),
    job: { name: process.env.GITHUB_JOB ?? '' },
    signal,
    stageGroup: new StageGroup(),
    commit: safeTarget()
  }
}

/**
 * The token for commit statuses, or '' for none: a dry run and `mode: status` write nothing
 * anywhere, GitHub included (a status run would overwrite the rollout's own commit status).
 */
export function statusToken(settings: Pick<Settings, 'dryRun' | 'mode' | 'githubToken'>): string {
  // Reconcile runs every few minutes on the default branch: it posts only on the rollout's own
  // recorded commit (`commitStatus`), never a routine status on its own.
  return settings.dryRun || settings.mode === 'status' || settings.mode === 'reconcile'
    ? ''
    : settings.githubToken
}

/** The commit status for `sha` (the recorded commit of a rollout), in the rollout's context. */
export function commitStatus(settings: Settings, log: Log, sha: string): CommitStatus {
  return makeStatus(settings, log, sha, settings.dryRun ? '' : settings.githubToken)
}

function makeStatus(
  settings: Settings,
  log: Log,
  sha = safeTarget(),
  token = statusToken(settings)
): CommitStatus {
  const { owner, repo } = repository()
  return new CommitStatus({
    token,
    context: settings.statusContext ?? defaultStatusContext(settings.cluster, settings.services),
    sha,
    owner,
    repo,
    targetUrl: runUrl(githubContext.serverUrl, owner, repo, githubContext.runId),
    log
  })
}

function repository(): { owner: string; repo: string } {
  const [owner = '', repo = ''] = (process.env.GITHUB_REPOSITORY ?? '').split('/')
  return { owner, repo }
}

/** The commit this run is about, or '' when the runner's context cannot be read. */
export function safeTarget(): string {
  try {
    return statusTarget(githubContext)
  } catch {
    return ''
  }
}
