/**
 * The entry point of the one bundle, run by the runner twice: as the main step and, because
 * action.yml declares `post`, again afterwards. Main saves a marker first thing, so the second run
 * knows it is the post step.
 *
 * Each step loads only its own half of the bundle: the post step needs the ELBv2 client and
 * nothing of the modes, the ECS and CloudWatch clients or Octokit. `webpackMode: "eager"` keeps
 * both halves in the one dist/index.js (a plain `import()` would make ncc emit a second file)
 * while their modules are still evaluated only when imported.
 */
import * as core from '@actions/core'
import { State } from './names.js'

// Which runtime ran the bundle (main and post): action.yml declares node24, the e2e tests check it.
core.debug(`Running on Node ${process.version}`)
try {
  if (core.getState(State.isPost)) {
    const { runPost } = await import(/* webpackMode: "eager" */ './post.js')
    await runPost()
  } else {
    const { runMain } = await import(/* webpackMode: "eager" */ './main.js')
    await runMain()
  }
} catch (error) {
  // runMain and runPost never throw; this is the last net for what they did not foresee.
  core.setFailed(error instanceof Error ? (error.stack ?? error.message) : String(error))
}
