/**
 * Pieces every traffic-moving mode shares: the gates, the recorded state, the guard for the post
 * step, and the engine's settings.
 */
import * as core from '@actions/core'
import { readTargetGroupStats } from '../aws/metrics.js'
import { CloudWatchAlarms } from '../aws/alarms.js'
import type { Context } from '../context.js'
import { AlarmGate } from '../gates/alarms.js'
import { AnalysisGate } from '../gates/analysis.js'
import { Input, State } from '../names.js'
import { formatPlan } from '../plan.js'
import type { PairState } from '../preflight.js'
import { messageOf, type PhaseRecorder, type RolloutSpec } from '../rollout.js'
import { encodeState, type Guard } from '../state.js'
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
    cluster: ctx.settings.cluster
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
) {
  const swapped = phase === 'promoted'
  return encodeState({
    live: swapped ? pair.idle.name : pair.live.name,
    idle: swapped ? pair.live.name : pair.idle.name,
    plan: formatPlan(plan),
    phase,
    revision,
    owner: ctx.owner,
    updated: new Date(ctx.clock.now()).toISOString().replace(/\.\d+Z$/, 'Z'),
    reason
  })
}

/** Records `in-progress` with this run as the owner: the rules are taken. */
export async function claimRules(ctx: Context, pair: PairState, plan: Plan, revision: string) {
  await ctx.traffic.tag(stateTags(ctx, pair, plan, revision, 'in-progress', ''))
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
