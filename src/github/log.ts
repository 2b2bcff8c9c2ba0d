/** The runner's log, through `@actions/core`: what main and post both write to. */
import * as core from '@actions/core'
import type { Log } from '../engine/types.js'

/** The runner's log, through `@actions/core`. */
export const coreLog: Log = {
  info: line => core.info(line),
  warn: line => core.warning(line),
  debug: line => core.debug(line)
}

/**
 * The collapsible log group of the stage being reported. One per run (it lives in the run's
 * `Context`), so two runs in one process never close each other's group.
 */
export class StageGroup {
  private open = false

  /** Closes the previous stage's group, if any, and opens one titled `title`. */
  start(title: string): void {
    this.end()
    core.startGroup(title)
    this.open = true
  }

  /** Closes the group, if one is open. */
  end(): void {
    if (this.open) core.endGroup()
    this.open = false
  }
}
