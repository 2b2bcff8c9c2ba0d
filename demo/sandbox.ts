/**
 * `npm run sandbox`: the README's pair and alarms on a local AWS emulator, to try the action by
 * hand without an AWS account. It starts the pinned moto on 127.0.0.1 the way the tests do
 * (AWS's limit of 50 tags a rule, services that report running tasks, targets registered),
 * provisions web-blue / web-green behind a listener and an /api/* rule with their alarms, starts
 * a local stand-in for the GitHub API (so no request leaves the machine), and prints one shell
 * line per mode that runs dist/index.js against it. Ctrl-C (or SIGTERM) stops everything.
 */
import { mkdirSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startEmulator } from '../__tests__/e2e/support/emulator.js'
import { provisionStack } from '../__tests__/e2e/support/fixture.js'
import { startGitHubStandin } from '../__tests__/e2e/support/github-standin.js'
import { buildEnv, prepareFiles, repoRoot } from '../__tests__/e2e/support/runner-env.js'

/** The line the sandbox prints once every command above it works. */
export const READY = '# ecs-canary sandbox is ready. Ctrl-C stops it.'

const moto = await startEmulator()
const github = await startGitHubStandin()
let stopping = false
async function stop(code: number): Promise<never> {
  if (!stopping) {
    stopping = true
    await github.close()
    await moto.stop()
  }
  process.exit(code)
}
process.on('SIGINT', () => void stop(0))
process.on('SIGTERM', () => void stop(0))

const stack = await provisionStack()
stack.aws.destroy()
const dir = mkdtempSync(join(tmpdir(), 'ecs-canary-sandbox-'))
mkdirSync(dir, { recursive: true })
const files = prepareFiles(dir, {})
const inputs = {
  cluster: stack.clusterName,
  services: `${stack.services.blue.name} ${stack.services.green.name}`,
  'listener-rules': `${stack.listenerArn} ${stack.rules.api}`,
  alarms: stack.alarmNames.join(' '),
  'poll-interval': '1s'
}
const env = buildEnv(
  { awsEndpoint: moto.url, credentials: stack.account.credentials, githubApiUrl: github.url },
  { inputs },
  dir,
  files
)
// The reader's own PATH and HOME; the rest is what a runner would give the step.
delete env.PATH
delete env.HOME

/** `'NAME=value'`, quoted for any POSIX shell. */
const quote = (name: string, value: string) => `'${`${name}=${value}`.replace(/'/g, `'\\''`)}'`
const common = Object.entries(env)
  .filter(([, value]) => value !== undefined && value !== '')
  .map(([name, value]) => quote(name, String(value)))
  .join(' ')
const node = `node ${join(repoRoot, 'dist', 'index.js')}`
/** One mode's line: the shell function below with that mode's inputs. */
const run = (extra: Record<string, string>) =>
  `ecs_canary ${Object.entries(extra)
    .map(([name, value]) => quote(`INPUT_${name.toUpperCase()}`, value))
    .join(' ')}`

const lines = [
  `# moto ${moto.url} · GitHub stand-in ${github.url} · summaries in ${files.summary}`,
  `# ${inputs.services} on ${inputs.cluster}; alarms ${inputs.alarms}`,
  '# every line below calls this shell function (bash, zsh, sh): the step environment a runner gives',
  `ecs_canary() { env ${common} "$@" ${node}; }`,
  '# deploy, promoting in two stages:',
  run({ mode: 'deploy', stages: '10:2s 100:2s' }),
  '# deploy, pausing at 10%:',
  run({ mode: 'deploy', stages: '10:pause 100:2s' }),
  '# promote a paused canary:',
  run({ mode: 'promote' }),
  '# roll back (a paused or running canary, or the last promotion):',
  run({ mode: 'rollback' }),
  '# status of the pair:',
  run({ mode: 'status' }),
  '# the watchdog:',
  run({ mode: 'reconcile' }),
  READY
]
console.log(lines.join('\n'))
// Stay up until stopped.
setInterval(() => undefined, 1 << 30)
