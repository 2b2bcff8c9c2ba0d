/**
 * The main step: read the settings, run the mode, report. With `post.ts`, the only caller of
 * `core.setFailed`.
 */
import * as core from '@actions/core'
import { credentialsHint } from './aws/no-credentials.js'
import { makeContext, safeTarget, type Context } from './modes/context.js'
import { readSettings } from './inputs/inputs.js'
import { deploy } from './modes/deploy.js'
import { promote } from './modes/manage.js'
import { rollback } from './modes/rollback.js'
import { reconcile } from './modes/reconcile.js'
import { status } from './modes/status.js'
import { refusalSummary } from './github/endings.js'
import { writeSummary } from './github/summary.js'
import { Input, Output, State } from './names.js'
import { flushBudget, publish, type RunEnd } from './github/report.js'
import { messageOf } from './engine/rollout.js'
import type { Mode } from './engine/types.js'

const MODES: Record<Mode, (ctx: Context) => Promise<RunEnd>> = {
  deploy,
  promote,
  rollback,
  status,
  reconcile
}

/** Runs the main step. Never throws: every failure ends in `core.setFailed`. */
export async function runMain(): Promise<void> {
  // First of all: from now on the same bundle, run again by the runner, is the post step.
  core.saveState(State.isPost, 'true')
  const controller = new AbortController()
  const onSignal = (signal: NodeJS.Signals) => {
    if (!controller.signal.aborted) {
      core.warning(
        `Received ${signal}: the job is being cancelled; stopping and restoring traffic.`
      )
    }
    controller.abort()
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  let ctx: Context | undefined
  try {
    const settings = readSettings(name =>
      // Untrimmed: a block scalar's last newline tells one alarm name with spaces from a list.
      core.getInput(name, { trimWhitespace: false })
    )
    ctx = makeContext(settings, controller.signal)
    const end = await MODES[settings.mode](ctx)
    const failure = await publish(ctx, end)
    if (failure) core.setFailed(failure)
  } catch (error) {
    // Only checks and reads throw out of a mode: nothing was moved.
    const message = credentialsHint(error) ?? messageOf(error)
    core.setOutput(Output.result, 'unchanged')
    core.setOutput(Output.reason, message)
    ctx?.status.post('failure', `refused: ${message}`)
    await writeSummary(refusal(ctx, message))
    await ctx?.status.flush(flushBudget(controller.signal))
    core.setFailed(message)
  } finally {
    releaseSignals(onSignal, controller.signal.aborted)
  }
}

/** The summary of a run refused before any write; the inputs as given when they did not parse. */
function refusal(ctx: Context | undefined, reason: string): string {
  const settings = ctx?.settings
  return refusalSummary({
    cluster: settings?.cluster ?? core.getInput(Input.cluster),
    services:
      settings?.services ??
      core
        .getInput(Input.services)
        .split(/[\s,]+/)
        .filter(Boolean),
    mode: settings?.mode ?? (core.getInput(Input.mode) || 'deploy'),
    reason,
    revision: settings?.taskDefinition ?? 'none given: the idle service keeps its own',
    commit: ctx?.status.target ?? safeTarget()
  })
}

/**
 * Ends main's signal handling. After a cancel, calls abandoned to meet the runner's deadline
 * may still be retrying: they must not hold the process until the runner kills it, nor may a
 * late SIGTERM kill a step that has already reported. So the handlers stay, and the process
 * exits (with the exit code already set) once its output has had `graceMs` to drain.
 */
export function releaseSignals(
  onSignal: (signal: NodeJS.Signals) => void,
  cancelled: boolean,
  graceMs = 200
): void {
  if (cancelled) {
    setTimeout(() => process.exit(), graceMs).unref()
    return
  }
  process.off('SIGINT', onSignal)
  process.off('SIGTERM', onSignal)
}
