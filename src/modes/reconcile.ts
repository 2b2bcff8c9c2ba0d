/**
 * `mode: reconcile`, the watchdog, run on a schedule: puts traffic back when a rollout's runner
 * is gone (stale heartbeat, owner run over), and rolls back a paused canary whose alarms fire,
 * whose targets are unhealthy, or whose pause outlasted `max-pause`. Anything else: writes
 * nothing and says so in one line. Never fights a live owner or another watchdog run.
 */
import * as core from '@actions/core'
import { CloudWatchAlarms } from '../aws/cloudwatch/alarms.js'
import { requireHealthyTargets, TargetsStarting } from '../aws/elb/health.js'
import { commitStatus, type Context } from './context.js'
import { ownerRun } from '../github/runs.js'
import { outcomeText } from '../github/status.js'
import { Input } from '../names.js'
import { formatPlan, percentText } from '../engine/plan.js'
import type { PairState } from '../engine/preflight.js'
import type { RunEnd } from '../github/report.js'
import { messageOf } from '../engine/rollout.js'
import { ownerUrl, recordedState, type RecordedState } from '../engine/state.js'
import { isStale, judgeInProgress, pauseTooLong, sameRecord, type Verdict } from './watchdog.js'
import { outcome, recordedPlan } from './pair.js'
import { readPair, type PairRead } from './pair.js'
import { phaseRecorder, saveGuard } from './shared.js'
import { resumeRecorded } from './capacity.js'
import { recordedScaleIn } from './scale-in.js'

/** How long a claim is left before it is read back: a second watchdog's write lands by then. */
const CLAIM_SETTLE_MS = 1_500

/** A verdict that could not be reached: nothing is written, and the job fails to say so. */
type Judged = Verdict | { readonly act: false; readonly line: string; readonly blind: true }

/** Runs the watchdog over the rules given. Throws only before any write. */
export async function reconcile(ctx: Context): Promise<RunEnd> {
  const read = await readPair(ctx, false)
  const recorded = read.recorded
  if (!recorded || (recorded.phase !== 'in-progress' && recorded.phase !== 'paused')) {
    const what = recorded ? `${recorded.phase} (${recorded.updated})` : 'no rollout recorded'
    const end = leave(ctx, read, `${what}: nothing to watch.`)
    // An ended rollout whose post step could not resume the scale-in: this run finishes it.
    if (recorded && !ctx.settings.dryRun) await resumeRecorded(ctx, recordedScaleIn(read.rules))
    return end
  }
  const verdict =
    recorded.phase === 'in-progress'
      ? await judgeOwner(ctx, recorded)
      : await judgePause(ctx, read, recorded)
  if (!verdict.act) return leave(ctx, read, verdict.line, 'blind' in verdict)
  return takeOver(ctx, read, recorded, verdict.reason)
}

async function judgeOwner(ctx: Context, recorded: RecordedState): Promise<Verdict> {
  const { staleAfterMs, githubToken } = ctx.settings
  const now = ctx.clock.now()
  const url = ownerUrl(recorded.owner)
  // A fresh heartbeat is enough: GitHub is asked only about owners that went quiet.
  // The owner is a job: asked by its id or name; the run only when the job cannot be found.
  const job = {
    ...(recorded.job ? { name: recorded.job } : {}),
    ...(recorded.jobId ? { id: recorded.jobId } : {})
  }
  const owner = isStale(recorded, now, staleAfterMs)
    ? await ownerRun(recorded.owner, githubToken, undefined, job)
    : ({ state: 'unknown', why: '' } as const)
  if (owner.note) ctx.log.warn(`ecs-canary reconcile: ${owner.note}.`)
  return judgeInProgress(recorded, owner, now, staleAfterMs, url)
}

/** A paused canary: its age, its alarms (recorded at the pause, and given), its targets. */
async function judgePause(ctx: Context, read: PairRead, recorded: RecordedState): Promise<Judged> {
  const { settings, log } = ctx
  const tooLong = pauseTooLong(recorded, ctx.clock.now(), settings.maxPauseMs)
  if (tooLong) return { act: true, reason: tooLong }
  const pair = read.check(recorded.live)
  const at = `paused at ${percentText(pair.tenths)}`
  const names = [...new Set([...(recorded.alarms ?? []), ...settings.alarms])]
  if (names.length > 0) {
    let alarms
    try {
      alarms = await new CloudWatchAlarms(ctx.clients.cloudwatch, names).describe()
    } catch (error) {
      return {
        act: false,
        blind: true,
        line: `${at}, but the alarms could not be read: ${messageOf(error)}`
      }
    }
    const missing = names.filter(n => !alarms.some(a => a.name === n))
    const firing = alarms.filter(
      a =>
        a.state === 'ALARM' ||
        (a.state === 'INSUFFICIENT_DATA' && settings.insufficientData === 'alarm')
    )
    if (firing.length > 0) {
      const which = firing.map(a => `${a.name} ${a.state} (${a.reason})`).join('; ')
      return { act: true, reason: `alarm while ${at}: ${which}` }
    }
    // An alarm that cannot be found watches nothing: never counted OK, like one not read.
    if (missing.length > 0) {
      return {
        act: false,
        blind: true,
        line: `${at}, but ${missingText(missing)} not found, so the canary is not watched: create ${missing.length > 1 ? 'them' : 'it'} again, or end the pause (mode: promote or mode: rollback).`
      }
    }
  }
  try {
    await requireHealthyTargets(ctx.clients.elb, pair.groups.idle, 1, log)
  } catch (error) {
    const message = messageOf(error)
    // The call failing says nothing about the canary; its answer does.
    if (/^DescribeTargetHealth failed/.test(message)) {
      return {
        act: false,
        blind: true,
        line: `${at}, but its targets could not be read: ${message}`
      }
    }
    // A target still `initial` (ECS replacing a task) is on its way, not broken: left alone.
    if (error instanceof TargetsStarting) {
      return {
        act: false,
        line: `${at} since ${recorded.updated}; alarms OK (${names.length}), targets not ready yet (a task being replaced?): ${message.split('\n')[0]}. Nothing written.`
      }
    }
    return { act: true, reason: `unhealthy canary while ${at}: ${message.split('\n')[0]}` }
  }
  const left =
    settings.maxPauseMs === undefined ? '' : `, ${Input.maxPause} ${settings.maxPauseMs / 1000}s`
  return {
    act: false,
    line: `${at} since ${recorded.updated}; alarms OK (${names.length}), targets healthy${left}.`
  }
}

/**
 * Puts all traffic back on live as a rollback does (lockstep, verified), after making sure the
 * record is still what was judged and claiming it for this run, so neither a live owner nor a
 * second watchdog run is fought.
 */
async function takeOver(
  ctx: Context,
  read: PairRead,
  recorded: RecordedState,
  reason: string
): Promise<RunEnd> {
  const { log } = ctx
  const pair = read.check(recorded.live)
  const now = recordedState(await ctx.traffic.read())
  if (!sameRecord(recorded, now)) {
    return leave(
      ctx,
      read,
      `the record changed while it was judged (${describe(now)}): another run is acting; leaving it.`
    )
  }
  if (ctx.settings.dryRun) {
    return leave(ctx, read, `dry run: would put 100% back on ${pair.live.name}: ${reason}`)
  }
  saveGuard(ctx, pair)
  // The record keeps the deployed commit: this run's own commit is not the rollout's.
  if (recorded.commit) ctx.status.retarget(recorded.commit)
  const record = phaseRecorder(ctx, pair, recordedPlan(ctx, recorded), recorded.revision)
  await record('in-progress', `reconcile is restoring traffic: ${reason}`)
  await ctx.clock.sleep(CLAIM_SETTLE_MS)
  const claimed = recordedState(await ctx.traffic.read())
  if (claimed?.owner !== ctx.owner) {
    return leave(
      ctx,
      read,
      `another run claimed the rollout first (${describe(claimed)}); leaving it.`
    )
  }
  log.warn(`Restoring all traffic to ${pair.live.name}: ${reason}`)
  const startedAt = ctx.clock.now()
  try {
    await ctx.traffic.restore(pair.groups, { budgetMs: 60_000 })
  } catch (error) {
    return {
      outcome: outcome(
        pair,
        'rolled-back',
        pair.tenths,
        `${reason}; and traffic could NOT be restored: ${messageOf(error)}`
      ),
      failed: true,
      settled: false,
      restoreCommands: ctx.traffic.restoreCommands(pair.groups)
    }
  }
  log.info(`All traffic is back on ${pair.live.name}, verified on every rule.`)
  await record('rolled-back', reason).catch(e =>
    log.warn(`Traffic is safe, but the rollback could not be recorded: ${messageOf(e)}`)
  )
  // Every ending resumes what the lost run suspended (the record lists it).
  await resumeRecorded(ctx, recordedScaleIn(read.rules))
  const end = outcome(pair, 'rolled-back', 0, reason)
  core.error(`ecs-canary reconcile: ${reason}`, { title: 'ecs-canary watchdog rolled back' })
  if (recorded.commit) {
    await commitStatus(ctx.settings, log, recorded.commit).post(
      'failure',
      outcomeText(end, pair.tenths)
    )
  } else {
    log.warn('No commit is recorded on the rules: no commit status was posted.')
  }
  return {
    outcome: end,
    failed: true,
    settled: true,
    // The record says what was rolled out, and where its statuses go.
    ...(recorded.revision ? { taskDefinitionArn: recorded.revision } : {}),
    summary: {
      ...(recorded.revision ? { revision: recorded.revision } : {}),
      ...(recorded.commit ? { commit: recorded.commit } : {}),
      cluster: ctx.settings.cluster,
      newService: pair.idle.name,
      oldService: pair.live.name,
      plan: recorded.plan || formatPlan(recordedPlan(ctx, recorded)),
      mode: ctx.settings.mode,
      record: {
        startedAt,
        stages: [],
        timeline: [
          { at: startedAt, tenths: pair.tenths },
          { at: ctx.clock.now(), tenths: 0 }
        ],
        outcome: end
      }
    }
  }
}

/** Writes nothing; one line; fails the job only when the rollout could not be watched. */
function leave(ctx: Context, read: PairRead, line: string, blind = false): RunEnd {
  const text = `ecs-canary reconcile: ${line}`
  if (blind) ctx.log.warn(text)
  else ctx.log.info(text)
  const pair = safePair(read)
  return {
    outcome: {
      result: 'unchanged',
      tenths: Math.max(0, pair?.tenths ?? 0),
      reason: line,
      liveService: pair?.live.name ?? ctx.settings.services[0],
      idleService: pair?.idle.name ?? ctx.settings.services[1]
    },
    failed: blind,
    settled: true
  }
}

function safePair(read: PairRead): PairState | undefined {
  try {
    return read.check(read.recorded?.live)
  } catch {
    return undefined
  }
}

function missingText(names: readonly string[]): string {
  const quoted = names.map(n => `'${n}'`).join(', ')
  return names.length > 1 ? `the alarms ${quoted} were` : `the alarm ${quoted} was`
}

function describe(state: RecordedState | undefined): string {
  return state
    ? `${state.phase} by ${ownerUrl(state.owner)}, updated ${state.updated}`
    : 'no record'
}
