/**
 * Telling people: heartbeat lines and commit statuses while the rollout runs, then the outputs,
 * the final status, the job summary and the error annotation when it ends.
 */
import * as core from '@actions/core'
import { outcomeState, outcomeText, pendingText } from './status.js'
import { renderSummary, writeSummary, type SummaryInput } from './summary.js'
import { Output, State } from '../names.js'
import { formatDuration, percentText } from '../engine/plan.js'
import type { Context } from '../modes/context.js'
import type { Reporter } from '../engine/rollout.js'
import type { Outcome, RolloutRecord, StageRecord } from '../engine/types.js'
import { pauseWhy } from './pause-why.js'

/**
 * The reporter the engine talks to while it runs. Each stage gets a collapsible log group, closed
 * when the next opens or when the run is published.
 */
export function liveReporter(ctx: Context, newService: string): Reporter {
  const postPending = (stage: StageRecord, stageCount: number) =>
    ctx.status.post(
      'pending',
      pendingText(stage.index, stageCount, stage.tenths, newService, stage.detail)
    )
  return {
    async stageStarted(_record, stage, stageCount) {
      ctx.stageGroup.start(
        `Stage ${stage.index + 1}/${stageCount}: ${percentText(stage.tenths)} on ${newService}`
      )
      // A baking stage waits for its first gate reading, so its status can say how the alarms
      // read (`· alarms OK`); a pause stage has none to wait for.
      // Never awaited: the status queue returns at once, so GitHub never holds a verdict.
      if (stage.bakeMs === undefined) postPending(stage, stageCount)
    },
    async firstReading(stage, stageCount) {
      postPending(stage, stageCount)
    },
    heartbeat(stage, elapsedMs, totalMs) {
      ctx.log.info(
        `  ${percentText(stage.tenths)} on ${newService} · ${formatDuration(roundSeconds(elapsedMs))}/${formatDuration(roundSeconds(totalMs))} · ${stage.detail || 'no readings yet'}`
      )
    }
  }
}

function roundSeconds(ms: number): number {
  return Math.max(1000, Math.round(ms / 1000) * 1000)
}

/** How a run ends, whatever the mode. */
export interface RunEnd {
  readonly outcome: Outcome
  readonly failed: boolean
  readonly record?: RolloutRecord
  readonly taskDefinitionArn?: string
  /** Commands a human must run because traffic could not be restored. */
  readonly restoreCommands?: readonly string[]
  /** Set when traffic is safe: verified promoted, rolled back, paused, or never moved. */
  readonly settled: boolean
  readonly summary?: SummaryInput
  /** A summary already rendered, for endings that ran no stages (`mode: status`). */
  readonly summaryMarkdown?: string
  /** An ending that moved nothing, with the test rules found on the canary (`test-service`). */
  readonly testOpen?: boolean
}

/** Outputs, final status, summary and annotations. Returns the message to fail with, if any. */
export async function publish(ctx: Context, end: RunEnd): Promise<string | undefined> {
  ctx.stageGroup.end()
  const { outcome } = end
  core.setOutput(Output.result, outcome.result)
  core.setOutput(Output.percent, percentText(Math.max(0, outcome.tenths)).slice(0, -1))
  core.setOutput(Output.liveService, outcome.liveService)
  core.setOutput(Output.idleService, outcome.idleService)
  core.setOutput(Output.taskDefinitionArn, end.taskDefinitionArn ?? '')
  core.setOutput(Output.reason, outcome.reason)
  core.setOutput(Output.testService, testService(ctx.settings.testListenerRules, end))
  if (end.settled) core.saveState(State.settled, 'true')
  // The commands a human needs come before anything slower: under a cancel the runner kills the
  // step 10 s after SIGINT, and a restore that failed has used most of that already.
  if (end.restoreCommands?.length) {
    core.error(
      `Traffic could NOT be restored automatically. Run these commands now to put all traffic back on ${outcome.liveService}:\n${end.restoreCommands.join('\n')}`,
      { title: 'ecs-canary: restore traffic by hand' }
    )
  }
  const reached = end.record?.stages.at(-1)?.tenths
  // Queued first, so the request is out while the summary is written; it never blocks.
  ctx.status.post(
    end.failed ? 'failure' : outcomeState(outcome.result),
    outcomeText(outcome, reached)
  )
  const markdown = end.summary ? renderSummary(end.summary) : end.summaryMarkdown
  if (markdown) await writeSummary(markdown, ctx.log)
  await ctx.status.flush(flushBudget(ctx.signal))
  if (!end.failed) {
    // A watchdog run that left things alone has said so in its own line already.
    const said = ctx.settings.mode === 'reconcile' && outcome.result === 'unchanged'
    if (!said) ctx.log.info(summaryLine(outcome))
    return undefined
  }
  return outcome.reason || summaryLine(outcome)
}

/**
 * How long the end of a run waits for GitHub to take its last status: long enough for a slow
 * API, and under a cancel short enough to stay inside the runner's 10 s before its kill.
 */
export function flushBudget(signal: AbortSignal): number {
  return signal.aborted ? 1_000 : 10_000
}

function summaryLine(outcome: Outcome): string {
  switch (outcome.result) {
    case 'promoted':
      return `Promoted ${outcome.liveService} to 100%.`
    case 'paused':
      return `Paused at ${percentText(outcome.tenths)} on ${outcome.idleService}${pauseWhy(outcome.reason)}.`
    case 'rolled-back':
      return `Rolled back to ${outcome.liveService}: ${outcome.reason}`
    case 'restore-failed':
      return `Traffic could NOT be restored to ${outcome.liveService}: ${outcome.reason}`
    default:
      return `Nothing changed: ${outcome.reason || 'no traffic moved'}`
  }
}

/**
 * Where the test rules send test traffic once the run is over: the canary while a rollout is
 * paused (or left where it stood), the live service otherwise (after a promotion that is the new
 * revision); '' without test rules, or when traffic could not be restored.
 */
export function testService(testRules: readonly string[], end: RunEnd): string {
  const { outcome } = end
  if (testRules.length === 0 || outcome.result === 'restore-failed') return ''
  const held = outcome.result === 'paused' || (outcome.result === 'unchanged' && end.testOpen)
  return held ? outcome.idleService : outcome.liveService
}
