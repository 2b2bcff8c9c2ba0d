/**
 * Pieces every traffic-moving mode shares: the gates, the recorded state, the guard for the post
 * step, and the engine's settings.
 */
import * as core from '@actions/core'
import { credentialFacts } from '../aws/clients.js'
import { readTargetGroupStats } from '../aws/cloudwatch/metrics.js'
import { CloudWatchAlarms } from '../aws/cloudwatch/alarms.js'
import { EcsCanaryService } from '../aws/ecs/canary-service.js'
import { canaryTargets } from '../aws/elb/canary-targets.js'
import type { Context } from './context.js'
import { checkCredentials, planLength } from './credentials.js'
import { AlarmGate } from '../engine/gates/alarms.js'
import { AnalysisGate } from '../engine/gates/analysis.js'
import { EveryGate } from '../engine/gates/every.js'
import { HEALTH_DEFAULTS, HealthGate, type HealthGateOptions } from '../engine/gates/health.js'
import type { HealthReader } from '../engine/health.js'
import { Heartbeat, heartbeatValue } from '../engine/heartbeat.js'
import { Input, State, Tag } from '../names.js'
import { formatPlan } from '../engine/plan.js'
import { PreflightError, type PairState } from '../engine/preflight.js'
import { messageOf, type PhaseRecorder, type RolloutSpec } from '../engine/rollout.js'
import { alarmTags, encodeState, tagValue, type Guard } from '../engine/state.js'
import { lookUpJobId } from '../github/runs.js'
import { defaultStatusContext } from '../github/status-text.js'
import type { Gate, Phase, Plan, RolloutRecord, Tenths } from '../engine/types.js'

/** The health gate is read at least this often, whatever `poll-interval` says. */
const HEALTH_EVERY_MS = 10_000

/** How often the engine reads the gates: `poll-interval`, or faster for the health gate. */
function enginePollMs(ctx: Context): number {
  const { pollMs, healthGate } = ctx.settings
  return healthGate ? Math.min(pollMs, HEALTH_EVERY_MS) : pollMs
}

/**
 * The alarm gate (when alarms are named), the analysis gate (when on) and the health gate (when
 * on). Alarms and analysis keep to `poll-interval` even when the health gate makes the engine
 * poll faster.
 */
export function buildGates(ctx: Context, pair: PairState): Gate[] {
  const gates = metricGates(ctx, pair)
  const pollMs = enginePollMs(ctx)
  const paced =
    pollMs < ctx.settings.pollMs
      ? gates.map(g => new EveryGate(g, ctx.settings.pollMs, ctx.clock))
      : gates
  if (!ctx.settings.healthGate) return paced
  if (gates.length === 0) {
    ctx.log.warn(
      `Only the health gate watches this rollout: it rolls back on unhealthy targets and stopped tasks, but nothing watches error rates or latency. Name CloudWatch alarms in '${Input.alarms}' or set '${Input.analysis}: on'.`
    )
  }
  // Two adapters, one per service: the canary's targets (ELBv2) and its tasks (ECS).
  const service = new EcsCanaryService(ctx.clients.ecs, ctx.settings.cluster, pair.idle.name)
  const reader: HealthReader = {
    targets: () => canaryTargets(ctx.clients.elb, pair.groups.idle),
    canary: () => service.canary(),
    stoppedTasks: () => service.stoppedTasks()
  }
  // A `follow` scale-up changes the desired count and starts no deployment: a slow one is not a
  // broken canary, so a shortage while the count rises gets `service-timeout`, not 2 minutes.
  const options: HealthGateOptions = {
    ...HEALTH_DEFAULTS,
    ...(ctx.settings.canaryCapacity === 'follow'
      ? { scaleUpGraceMs: ctx.settings.serviceTimeoutMs }
      : {})
  }
  return [...paced, new HealthGate(reader, ctx.clock, options)]
}

function metricGates(ctx: Context, pair: PairState): Gate[] {
  const { settings, clients } = ctx
  const gates: Gate[] = []
  if (settings.alarms.length > 0) {
    const reader = new CloudWatchAlarms(clients.cloudwatch, settings.alarms)
    gates.push(new AlarmGate(reader, settings.insufficientData, ctx.log))
  }
  if (settings.analysis.enabled) {
    gates.push(
      new AnalysisGate(
        (arns, start, end) => readTargetGroupStats(clients.cloudwatch, arns, start, end),
        {
          // A listener(-rule) ARN embeds the ALB's `app/<name>/<id>`: no lookup needed.
          loadBalancerArn: settings.listenerRules[0],
          canaryTargetGroupArn: pair.groups.idle,
          liveTargetGroupArn: pair.groups.live
        },
        settings.analysis.bounds
      )
    )
  }
  return gates
}

/** The engine's settings for this pair. */
export function rolloutSpec(ctx: Context, pair: PairState, plan: Plan, from: Tenths): RolloutSpec {
  return {
    groups: pair.groups,
    liveService: pair.live.name,
    idleService: pair.idle.name,
    plan,
    fromTenths: from,
    testTenths: pair.testTenths ?? 0,
    pollMs: enginePollMs(ctx),
    lateDataMs: ctx.settings.lateDataMs,
    blindPolls: 3,
    rollbackBudgetMs: 60_000,
    // SIGINT, then SIGTERM 7.5 s later, then a kill 2.5 s after: finish well inside the 10 s.
    cancelBudgetMs: 6_000
  }
}

/** Saves what the post step needs to put traffic back, before the first write. */
export function saveGuard(ctx: Context, pair: PairState): void {
  const guard: Guard = {
    region: ctx.settings.region,
    rules: ctx.settings.listenerRules,
    ...(ctx.settings.testListenerRules.length > 0
      ? { testRules: ctx.settings.testListenerRules }
      : {}),
    live: pair.groups.live,
    idle: pair.groups.idle,
    liveService: pair.live.name,
    idleService: pair.idle.name,
    owner: ctx.owner,
    cluster: ctx.settings.cluster,
    statusContext:
      ctx.settings.statusContext ??
      defaultStatusContext(ctx.settings.cluster, ctx.settings.services),
    ...(ctx.settings.roleToAssume ? { roleToAssume: ctx.settings.roleToAssume } : {}),
    ...(ctx.settings.audience ? { audience: ctx.settings.audience } : {})
  }
  core.saveState(State.guard, JSON.stringify(guard))
}

/** Tags for `phase`, with roles swapped once promoted (the new revision is live from then on). */
function stateTags(
  ctx: Context,
  pair: PairState,
  plan: Plan,
  revision: string,
  phase: Phase,
  reason: string
): Record<string, string> {
  const swapped = phase === 'promoted'
  // A pause leaves the rollout to the watchdog: it needs the alarms that watched it.
  const alarms: Record<string, string> = {}
  if (phase === 'paused' && ctx.settings.alarms.length > 0) {
    const written = alarmTags(ctx.settings.alarms)
    Object.assign(alarms, written.tags)
    if (written.left.length > 0) {
      ctx.log.warn(
        `The record has room for ${ctx.settings.alarms.length - written.left.length} alarm names: mode: reconcile watches ${written.left.join(', ')} only when named in its own '${Input.alarms}' input.`
      )
    }
  }
  const tags = encodeState({
    live: swapped ? pair.idle.name : pair.live.name,
    idle: swapped ? pair.live.name : pair.idle.name,
    plan: formatPlan(plan),
    phase,
    revision,
    owner: ctx.owner,
    updated: heartbeatValue(ctx.clock.now()),
    reason,
    // The statuses' target: this run's commit for a deploy, the recorded one once retargeted.
    commit: ctx.status.target,
    job: ctx.job.name,
    ...(ctx.job.id ? { jobId: ctx.job.id } : {})
  })
  return { ...tags, [Tag.heartbeat]: heartbeatValue(ctx.clock.now()), ...alarms }
}

/**
 * Records `in-progress` with this run as the owner: the rules are taken. `commit`: the commit
 * being deployed, recorded once at the start so later runs (promote, rollback, reconcile)
 * report on it.
 */
export async function claimRules(
  ctx: Context,
  pair: PairState,
  plan: Plan,
  revision: string,
  commit?: string
) {
  const extra: Record<string, string> = commit ? { [Tag.commit]: tagValue(commit) } : {}
  // The owner is this job: its id, looked up once (bounded), lets reconcile ask about the job.
  if (ctx.job.id === undefined && ctx.job.name) {
    ctx.job.id = (await lookUpJobId(ctx.settings.githubToken, ctx.log)) ?? 0
  }
  await ctx.traffic.tag({ ...stateTags(ctx, pair, plan, revision, 'in-progress', ''), ...extra })
}

/** The run's heartbeat on its rules: one AddTags per rule, each bounded, never awaited. */
export function heartbeat(ctx: Context): Heartbeat {
  return new Heartbeat(
    value =>
      // One AddTags per rule, as every record write; each bounded so a stall never piles up.
      ctx.traffic.tag({ [Tag.heartbeat]: value }, { withinMs: 5_000 }),
    ctx.clock,
    ctx.log
  )
}

/** The engine's phase recorder for this rollout. */
export function phaseRecorder(
  ctx: Context,
  pair: PairState,
  plan: Plan,
  revision: string
): PhaseRecorder {
  return (phase, reason, opts) =>
    ctx.traffic.tag(stateTags(ctx, pair, plan, revision, phase, reason), opts)
}

/** `after-promotion: scale-down`: the old service goes to 0 once the new one has baked at 100%. */
export async function afterPromotion(ctx: Context, pair: PairState): Promise<void> {
  if (ctx.settings.afterPromotion !== 'scale-down') return
  try {
    // The pre-flight refused a MinCapacity above 0; one raised since would undo the scale-down
    // at the resume (RegisterScalableTarget moves the count inside Min..Max): say so instead.
    const target = (await ctx.scaling.describe([pair.live.name])).get(pair.live.name)
    if (target && target.minCapacity > 0) {
      ctx.log.warn(
        `Promoted, but ${pair.live.name} was not scaled down: its auto scaling MinCapacity is ` +
          `now ${target.minCapacity}, and resuming its scale-in would put it back to that. Set ` +
          `MinCapacity 0 to let ${Input.afterPromotion}: scale-down work.`
      )
      return
    }
    await ctx.ecs.scaleDown(pair.live.name)
    ctx.log.info(`Scaled ${pair.live.name} down to 0 (${Input.afterPromotion}: scale-down).`)
  } catch (error) {
    ctx.log.warn(`Promoted, but could not scale ${pair.live.name} down: ${messageOf(error)}`)
  }
}

/** A record with no stages, for runs that move nothing (dry runs). */
export function emptyRecord(ctx: Context): RolloutRecord {
  return { startedAt: ctx.clock.now(), stages: [], timeline: [] }
}

/**
 * Refuses (before any write) a plan that outlasts credentials of known expiry, and warns when
 * temporary credentials of unknown expiry may not last it; `extraMs`: `service-timeout` when a
 * revision is shipped first.
 */
export async function requireCredentials(ctx: Context, plan: Plan, extraMs: number) {
  const verdict = checkCredentials(
    planLength(plan, extraMs),
    await credentialFacts(ctx.clients.ecs),
    ctx.clock.now(),
    ctx.settings.roleToAssume
  )
  if (verdict.warn) ctx.log.warn(verdict.warn)
  if (verdict.refuse) throw new PreflightError([verdict.refuse])
}
