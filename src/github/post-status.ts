/**
 * The post step's commit status: after it put traffic back, the deployed commit reads `failure`
 * with the reason, not the `pending` main left behind. Bounded: it runs only once traffic is
 * safe, and never holds the step longer than one status request may take.
 */
import * as core from '@actions/core'
import { context as githubContext } from '@actions/github'
import { Input } from '../names.js'
import { coreLog } from './log.js'
import { CommitStatus, POST_TIMEOUT_MS, runUrl } from './status.js'

/** Where the status goes: the context main used, and the commit recorded on the rules. */
export interface PostStatusTarget {
  /** The status context main posted under (`Guard.statusContext`). */
  readonly context?: string
  /** The deployed commit, as recorded on the rules. */
  readonly commit?: string
}

/**
 * Posts `failure: description` on the recorded commit and waits for it at most
 * `POST_TIMEOUT_MS` (plus a margin). Never throws; without a commit or a context it says why.
 */
export async function postFailure(target: PostStatusTarget, description: string): Promise<void> {
  if (!target.commit || !target.context) {
    coreLog.warn(
      `ecs-canary post: no ${target.commit ? 'status context' : 'commit'} is recorded, so no commit status was posted.`
    )
    return
  }
  const [owner = '', repo = ''] = (process.env.GITHUB_REPOSITORY ?? '').split('/')
  const status = new CommitStatus({
    // Post steps see the step's inputs as main did.
    token: core.getInput(Input.githubToken),
    context: target.context,
    sha: target.commit,
    owner,
    repo,
    targetUrl: runUrl(githubContext.serverUrl, owner, repo, githubContext.runId),
    log: coreLog
  })
  status.post('failure', description)
  await status.flush(POST_TIMEOUT_MS + 1_000)
}
