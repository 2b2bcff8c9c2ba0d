/**
 * Pieces every traffic-moving mode shares: the gates, the recorded state, the guard for the post
 * step, and the engine's settings.
 */
import * as core from '@actions/core'
import { credentialFacts } from '../aws/clients.js'
import { readTargetGroupStats } from '../aws/metrics.js'
import { CloudWatchAlarms } from '../aws/alarms.js'
import type { Context } from '../context.js'
import { checkCredentials, planLength } from '../credentials.js'
import { AlarmGate } from '../gates/alarms.js'
import { AnalysisGate } from '../gates/analysis.js'
import { tagEach } from '../aws/tags.js'
import { Heartbeat, heartbeatValue } from '../heartbeat.js'
import { Input, State, Tag } from '../names.js'
import { formatPlan } from '../plan.js'
import { PreflightError, type PairState } from '../preflight.js'
import { messageOf, type PhaseRecorder, type RolloutSpec } from '../rollout.js'
import { ALARM_SEPARATOR, encodeState, tagValue, type Guard } from '../state.js'
import type { Gate, Phase, Plan, RolloutRecord, Tenths } from '../types.js'

/** The alarm gate (when alarms are named) and the analysis gate (when on). */
export function buildGates(ctx: Context, pair: PairState): Gate[] {
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
    pollMs: ctx.settings.pollMs,
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
    live: pair.groups.live,
    idle: pair.groups.idle,
    liveService: pair.live.name,
    idleService: pair.idle.name,
    owner: ctx.owner,
    cluster: ctx.settings.cluster,
    ...(ctx.settings.roleToAssume ? { roleToAssume: ctx.settings.roleToAssume } : {})
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
  const alarms: Record<string, string> =
    phase === 'paused' && ctx.settings.alarms.length > 0
      ? { [Tag.alarms]: tagValue(ctx.settings.alarms.join(ALARM_SEPARATOR)) }
      : {}
  const tags = encodeState({
    live: swapped ? pair.idle.name : pair.live.name,
    idle: swapped ? pair.live.name : pair.idle.name,
    plan: formatPlan(plan),
    phase,
    revision,
    owner: ctx.owner,
    updated: heartbeatValue(ctx.clock.now()),
    reason
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
  await ctx.traffic.tag({ ...stateTags(ctx, pair, plan, revision, 'in-progress', ''), ...extra })
}

/** The run's heartbeat on its rules: one AddTags per rule, each bounded, never awaited. */
export function heartbeat(ctx: Context): Heartbeat {
  return new Heartbeat(
    value =>
      tagEach(ctx.clients.elb, ctx.settings.listenerRules, { [Tag.heartbeat]: value }, 5_000),
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
