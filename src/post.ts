/**
 * The post step: if main ended without settling (killed, crashed, timed out), put traffic back
 * on the live service — but only where the rules still carry this run's ownership. Errors that
 * leave traffic safe are warnings; only traffic left unsafe fails the step.
 */
import * as core from '@actions/core'
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2'
import { clientConfig } from './aws/config.js'
import { canClearByItself } from './aws/retryable.js'
import { ElbTraffic } from './aws/elb/traffic.js'
import { systemClock } from './clock.js'
import { coreLog } from './github/log.js'
import { State, Tag } from './names.js'
import { formatDuration } from './engine/plan.js'
import { describeShare, messageOf } from './engine/rollout.js'
import { restoreSummary } from './github/endings.js'
import { postFailure } from './github/post-status.js'
import { outcomeText } from './github/status-text.js'
import { writeSummary } from './github/summary.js'
import { recordedScaleIn, restoreScaling } from './modes/scale-in.js'
import {
  ownerUrl,
  reasonTags,
  recordedState,
  type Guard,
  type RecordedState
} from './engine/state.js'
import type { Clock, RuleView } from './engine/types.js'

/** Runs the post step. Never throws. */
export async function runPost(): Promise<void> {
  const saved = core.getState(State.guard)
  if (!saved || core.getState(State.settled) === 'true') {
    core.info('ecs-canary post: nothing to undo.')
    return
  }
  let traffic: ElbTraffic | undefined
  let guard: Guard | undefined
  const found: Found = {}
  try {
    guard = JSON.parse(saved) as Guard
    // One provider for every client of the post step, as in main (src/modes/context.ts).
    const credentials = await roleCredentials(guard)
    traffic = new ElbTraffic(
      new ElasticLoadBalancingV2Client({ ...clientConfig(guard.region), ...credentials }),
      guard.rules,
      {
        clock: systemClock,
        log: coreLog,
        region: guard.region
      },
      guard.testRules ?? []
    )
    await restoreIfOurs(traffic, guard, found, credentials)
  } catch (error) {
    const commands = traffic && guard ? traffic.restoreCommands(guard) : []
    const reason = `the main step ended mid-rollout and traffic could not be restored: ${messageOf(error)}`
    if (guard) await writeSummary(postSummary(guard, found, false, reason, commands))
    core.setFailed(
      `ecs-canary post: ${reason}` +
        (commands.length
          ? `\nRun these to put all traffic back on ${guard?.liveService}:\n${commands.join('\n')}`
          : '')
    )
  }
}

/** With `role-to-assume`, main had no credentials in the environment: get them the same way. */
async function roleCredentials(guard: Guard) {
  if (!guard.roleToAssume) return {}
  const { webIdentityCredentials } = await import(/* webpackMode: "eager" */ './aws/credentials.js')
  return {
    credentials: webIdentityCredentials(
      guard.roleToAssume,
      guard.region,
      audience => core.getIDToken(audience),
      process.env,
      guard.audience
    )
  }
}

/** The credentials of the post step's clients: `{}` for the SDK's usual chain. */
type PostCredentials = Awaited<ReturnType<typeof roleCredentials>>

/** What the post step learnt from the rules, for its summary. */
interface Found {
  views?: RuleView[]
  recorded?: RecordedState
  /** The new revision's largest share on any rule before the restore, in tenths. */
  tenths?: number
}

/** The post step's summary: names the revision and commit recorded on the rules. */
function postSummary(
  guard: Guard,
  found: Found,
  restored: boolean,
  reason: string,
  commands?: readonly string[]
): string {
  const groups = { live: guard.live, idle: guard.idle }
  const rules = found.views?.map(view => ({
    arn: view.arn,
    weights: [guard.liveService, guard.idleService].map(
      (name, i) =>
        [
          name,
          view.targets.find(t => t.arn === (i === 0 ? groups.live : groups.idle))?.weight ?? 0
        ] as const
    )
  }))
  return restoreSummary({
    by: 'the post step',
    restored,
    liveService: guard.liveService,
    idleService: guard.idleService,
    reason,
    ...(found.recorded?.revision ? { revision: found.recorded.revision } : {}),
    ...(found.recorded?.commit ? { commit: found.recorded.commit } : {}),
    ...(rules && !restored ? { rules } : {}),
    ...(commands?.length ? { commands } : {}),
    ...(found.tenths !== undefined ? { foundTenths: found.tenths } : {})
  })
}

/** How long the post step keeps trying to read the rules: it is the last line of defence. */
const READ_BUDGET_MS = 20_000

/**
 * Reads the rules, retrying a failed read with backoff for up to `budgetMs`: one throttled or
 * failing read must not leave traffic split when the next would go through. An error no retry
 * fixes (AccessDenied, a validation error) ends it at once.
 */
export async function readPatiently(
  traffic: Pick<ElbTraffic, 'read'>,
  clock: Clock,
  warn: (line: string) => void,
  budgetMs = READ_BUDGET_MS
): Promise<RuleView[]> {
  const deadline = clock.now() + budgetMs
  for (let wait = 250; ; wait = Math.min(wait * 2, 4_000)) {
    try {
      return await traffic.read()
    } catch (error) {
      // A denial or a refused request fails the same way every time: print the commands now.
      if (!canClearByItself(error) || clock.now() + wait > deadline) throw error
      warn(
        `ecs-canary post: could not read the rules (${messageOf(error)}); again in ${formatDuration(wait)}.`
      )
      await clock.sleep(wait)
    }
  }
}

async function restoreIfOurs(
  traffic: ElbTraffic,
  guard: Guard,
  found: Found,
  credentials: PostCredentials
): Promise<void> {
  const views = await readPatiently(traffic, systemClock, line => core.warning(line))
  const recorded = recordedState(views)
  found.views = views
  if (recorded) found.recorded = recorded
  if (!recorded || recorded.owner !== guard.owner) {
    core.warning(
      `ecs-canary post: the main step did not finish, but the rules are not this run's any more (owner: ${recorded ? ownerUrl(recorded.owner) : 'none recorded'}); leaving them alone.`
    )
    return
  }
  if (recorded.phase !== 'in-progress') {
    core.info(`ecs-canary post: the rollout is recorded as ${recorded.phase}; nothing to undo.`)
    // A paused rollout keeps its scale-in suspended on purpose; any other ending puts it back.
    if (recorded.phase !== 'paused') await resumeScaling(traffic, guard, views, credentials)
    return
  }
  const moved = views.filter(v => describeShare(v, guard).tenths !== 0)
  // For the summary's chart: the share found, from what was just read.
  found.tenths = Math.max(0, ...views.map(v => describeShare(v, guard).tenths))
  const reached = found.tenths
  if (moved.length > 0) {
    core.warning(
      `ecs-canary post: the main step ended mid-rollout with traffic on ${guard.idleService}; restoring all of it to ${guard.liveService}.`
    )
    await traffic.restore(guard, { budgetMs: 60_000 })
  }
  const reason = `the job ended mid-rollout; the post step put all traffic back on ${guard.liveService}`
  try {
    await traffic.tag({
      [Tag.phase]: 'rolled-back',
      ...reasonTags(reason),
      [Tag.updated]: new Date().toISOString().replace(/\.\d+Z$/, 'Z')
    })
  } catch (error) {
    core.warning(
      `ecs-canary post: traffic is safe, but the rollback could not be recorded: ${messageOf(error)}`
    )
  }
  await writeSummary(postSummary(guard, found, true, reason))
  core.error(`ecs-canary: ${reason}.`, { title: 'ecs-canary rolled back in the post step' })
  // Traffic is safe and recorded: now the deployed commit stops reading `pending`.
  const outcome = {
    result: 'rolled-back',
    tenths: 0,
    reason,
    liveService: guard.liveService,
    idleService: guard.idleService
  } as const
  await postFailure(
    {
      ...(guard.statusContext ? { context: guard.statusContext } : {}),
      ...(recorded.commit ? { commit: recorded.commit } : {})
    },
    outcomeText(outcome, reached)
  )
  await resumeScaling(traffic, guard, views, credentials)
}

/**
 * Resumes the auto scaling scale-in the record lists, with the same credentials as the rest of
 * the post step (`role-to-assume` included). Loads the Application Auto Scaling and ECS clients
 * only when there is something to resume, so the usual post step stays ELBv2-only. A failure is a
 * warning naming the services and the commands that mend it: traffic is safe, and the record
 * stays for `mode: reconcile`.
 */
async function resumeScaling(
  traffic: ElbTraffic,
  guard: Guard,
  views: RuleView[],
  credentials: PostCredentials
) {
  const services = recordedScaleIn(views)
  const cluster = guard.cluster
  if (services.length === 0 || !cluster) return
  try {
    const { ApplicationAutoScalingClient } = await import(
      /* webpackMode: "eager" */ '@aws-sdk/client-application-auto-scaling'
    )
    const { ServiceScaling } = await import(
      /* webpackMode: "eager" */ './aws/autoscaling/scaling.js'
    )
    const { desiredCounts } = await import(/* webpackMode: "eager" */ './aws/ecs/counts.js')
    const config = { ...clientConfig(guard.region), ...credentials }
    await restoreScaling({
      scaling: new ServiceScaling(
        new ApplicationAutoScalingClient(config),
        cluster,
        coreLog,
        guard.region
      ),
      services,
      record: tags => traffic.tag(tags),
      log: coreLog,
      counts: desiredCounts(config, cluster)
    })
  } catch (error) {
    core.warning(
      `ecs-canary post: traffic is safe, but the auto scaling scale-in of ${services.join(' and ')} could not be resumed: ${messageOf(error)}`
    )
  }
}
