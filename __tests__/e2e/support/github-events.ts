/** The event a run was triggered by: GITHUB_EVENT_NAME, the GITHUB_EVENT_PATH payload, GITHUB_REF. */
export interface GitHubEvent {
  name: string
  payload: Record<string, unknown>
  ref: string
}

/** The commit a push run deploys (GITHUB_SHA); 40 hex digits like a real one. */
export const DEFAULT_SHA = '8f14e45fceea167a5a36dedd4bea2543e2e7c0a1'

const repository = {
  id: 1296269,
  name: 'web',
  full_name: 'acme/web',
  owner: { login: 'acme', type: 'Organization' },
  html_url: 'https://github.com/acme/web',
  default_branch: 'main'
}

/** A push to main whose head commit is `sha`. */
export function pushEvent(sha: string = DEFAULT_SHA): GitHubEvent {
  return {
    name: 'push',
    ref: 'refs/heads/main',
    payload: {
      ref: 'refs/heads/main',
      before: '0'.repeat(40),
      after: sha,
      repository,
      head_commit: { id: sha, message: 'Deploy' },
      sender: { login: 'octocat' }
    }
  }
}

/**
 * A pull_request event. GITHUB_SHA is then the merge commit, not the PR head: statuses meant
 * for the pull request belong on `headSha`, which is what this event lets a test check.
 */
export function pullRequestEvent(options: { number?: number; headSha: string }): GitHubEvent {
  const number = options.number ?? 42
  return {
    name: 'pull_request',
    ref: `refs/pull/${number}/merge`,
    payload: {
      action: 'synchronize',
      number,
      pull_request: {
        number,
        head: { sha: options.headSha, ref: 'feature', repo: repository },
        base: { sha: '1'.repeat(40), ref: 'main', repo: repository }
      },
      repository,
      sender: { login: 'octocat' }
    }
  }
}

/** A manual workflow_dispatch run, e.g. a promotion. */
export function workflowDispatchEvent(inputs: Record<string, string> = {}): GitHubEvent {
  return {
    name: 'workflow_dispatch',
    ref: 'refs/heads/main',
    payload: { inputs, ref: 'refs/heads/main', repository, sender: { login: 'octocat' } }
  }
}
