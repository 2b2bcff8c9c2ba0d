/** The runner's log, through `@actions/core`: what main and post both write to. */
import * as core from '@actions/core'
import type { Log } from './types.js'

/** The runner's log, through `@actions/core`. */
export const coreLog: Log = {
  info: line => core.info(line),
  warn: line => core.warning(line),
  debug: line => core.debug(line)
}
