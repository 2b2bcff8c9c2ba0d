/**
 * The entry point of the one bundle, run by the runner twice: as the main step and, because
 * action.yml declares `post`, again afterwards. Main saves a marker first thing, so the second run
 * knows it is the post step.
 */
import * as core from '@actions/core'
import { runMain } from './main.js'
import { State } from './names.js'
import { runPost } from './post.js'

try {
  if (core.getState(State.isPost)) await runPost()
  else await runMain()
} catch (error) {
  // runMain and runPost never throw; this is the last net for what they did not foresee.
  core.setFailed(error instanceof Error ? (error.stack ?? error.message) : String(error))
}
