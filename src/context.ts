/**
 * Everything a mode needs, built once from the settings: the adapters, the clock, the log, the
 * commit status. The only place that wires concrete adapters together.
 */
import { context as githubContext } from '@actions/github'
import { makeClients, type Clients } from './aws/clients.js'
import { EcsServices } from './aws/ecs.js'
import { ServiceScaling } from './aws/scaling.js'
import { ElbTraffic } from './aws/traffic.js'
import { systemClock } from './clock.js'
import { coreLog, StageGroup } from './log.js'
import { CommitStatus, defaultStatusContext, runUrl, statusTarget } from './github/status.js'
import type { Settings } from './inputs.js'
import { runOwner } from './state.js'
import type { Clock, Log } from './types.js'

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
  /** Aborted on SIGINT/SIGTERM. */
  readonly signal: AbortSignal
  /** The log group of the stage being reported (opened by the reporter, closed by `publish`). */
  readonly stageGroup: StageGroup
}

/** Builds the context; constructing adapters makes no AWS call. */
export function makeContext(settings: Settings, signal: AbortSignal): Context {
  const clients = makeClients(settings.region)
  const clock = systemClock
  const log = coreLog
  return {
    settings,
    clients,
    traffic: new ElbTraffic(clients.elb, settings.listenerRules, {
      clock,
      log,
      region: settings.region
    }),
    ecs: new EcsServices(clients.ecs, settings.cluster, { clock, log }),
    scaling: new ServiceScaling(clients.autoscaling, settings.cluster, log),
    clock,
    log,
    status: makeStatus(settings, log),
    owner: runOwner(),
    signal,
    stageGroup: new StageGroup()
  }
}

/**
 * The token for commit statuses, or '' for none: a dry run and `mode: status` write nothing
 * anywhere, GitHub included (a status run would overwrite the rollout's own commit status).
 */
export function statusToken(settings: Pick<Settings, 'dryRun' | 'mode' | 'githubToken'>): string {
  return settings.dryRun || settings.mode === 'status' ? '' : settings.githubToken
}

function makeStatus(settings: Settings, log: Log): CommitStatus {
  const { owner, repo } = repository()
  return new CommitStatus({
    token: statusToken(settings),
    context: settings.statusContext ?? defaultStatusContext(settings.cluster, settings.services),
    sha: safeTarget(),
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

function safeTarget(): string {
  try {
    return statusTarget(githubContext)
  } catch {
    return ''
  }
}
