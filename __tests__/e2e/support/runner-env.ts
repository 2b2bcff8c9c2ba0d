import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { REGION } from './accounts.js'
import { DEFAULT_SHA, pushEvent } from './github-events.js'
import { inputVariable, resolveInputs } from './runner-files.js'
import type { RunContext, RunOptions } from './runner.js'

/** The repository root: GITHUB_ACTION_PATH, and where dist/ and action.yml live. */
export const repoRoot = join(import.meta.dirname, '..', '..', '..')

const FAKE_TOKEN = 'ghs_e2eFakeInstallationToken0000000000000'

/** The files and folders the runner gives one step. */
export interface StepFiles {
  workspace: string
  temp: string
  home: string
  eventPath: string
  output: string
  state: string
  env: string
  path: string
  summary: string
}

/** Lays out a step's folders, empty file-command files, the event payload and test files. */
export function prepareFiles(dir: string, options: RunOptions): StepFiles {
  const files: StepFiles = {
    workspace: join(dir, 'workspace'),
    temp: join(dir, 'runner-temp'),
    home: join(dir, 'home'),
    eventPath: join(dir, 'event.json'),
    output: join(dir, 'file-commands', 'output'),
    state: join(dir, 'file-commands', 'state'),
    env: join(dir, 'file-commands', 'env'),
    path: join(dir, 'file-commands', 'path'),
    summary: join(dir, 'file-commands', 'step_summary')
  }
  for (const folder of [files.workspace, files.temp, files.home, dirname(files.output)]) {
    mkdirSync(folder, { recursive: true })
  }
  for (const file of [files.output, files.state, files.env, files.path, files.summary]) {
    writeFileSync(file, '')
  }
  writeFileSync(files.eventPath, JSON.stringify((options.event ?? pushEvent()).payload))
  for (const [name, content] of Object.entries(options.files ?? {})) {
    const target = join(files.workspace, name)
    mkdirSync(dirname(target), { recursive: true })
    writeFileSync(target, content)
  }
  return files
}

/**
 * The step's whole environment, built from nothing but PATH: an AWS_PROFILE, a proxy variable
 * or a real token inherited from the developer's shell must never steer the action anywhere
 * but the stand-ins.
 */
export function buildEnv(
  context: RunContext,
  options: RunOptions,
  dir: string,
  files: StepFiles
): NodeJS.ProcessEnv {
  const token = context.githubToken ?? FAKE_TOKEN
  const given = Object.fromEntries(
    Object.entries(options.inputs ?? {}).map(([name, value]) => [name, String(value)])
  )
  const inputs = resolveInputs(join(repoRoot, 'action.yml'), given, token)
  const event = options.event ?? pushEvent()
  const { credentials } = context
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: files.home,
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    GITHUB_ACTION: '__acme_ecs-canary',
    GITHUB_ACTION_PATH: repoRoot,
    GITHUB_ACTION_REPOSITORY: 'acme/ecs-canary',
    GITHUB_ACTOR: 'octocat',
    GITHUB_TRIGGERING_ACTOR: 'octocat',
    GITHUB_REPOSITORY: 'acme/web',
    GITHUB_REPOSITORY_OWNER: 'acme',
    GITHUB_SHA: options.sha ?? DEFAULT_SHA,
    GITHUB_REF: event.ref,
    GITHUB_REF_NAME: event.ref.replace(/^refs\/(heads|tags)\//, ''),
    GITHUB_REF_TYPE: 'branch',
    GITHUB_RUN_ID: '4242424242',
    GITHUB_RUN_NUMBER: '17',
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_API_URL: context.githubApiUrl,
    GITHUB_GRAPHQL_URL: `${context.githubApiUrl}/graphql`,
    GITHUB_EVENT_NAME: event.name,
    GITHUB_EVENT_PATH: files.eventPath,
    GITHUB_WORKFLOW: 'deploy',
    GITHUB_WORKFLOW_REF: `acme/web/.github/workflows/deploy.yml@${event.ref}`,
    GITHUB_JOB: 'deploy',
    GITHUB_WORKSPACE: files.workspace,
    GITHUB_OUTPUT: files.output,
    GITHUB_STATE: files.state,
    GITHUB_ENV: files.env,
    GITHUB_PATH: files.path,
    GITHUB_STEP_SUMMARY: files.summary,
    RUNNER_TEMP: files.temp,
    RUNNER_TOOL_CACHE: join(dir, 'tool-cache'),
    RUNNER_OS: 'Linux',
    RUNNER_ARCH: 'X64',
    RUNNER_NAME: 'e2e-runner',
    RUNNER_ENVIRONMENT: 'github-hosted',
    AWS_REGION: REGION,
    AWS_DEFAULT_REGION: REGION,
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    AWS_ENDPOINT_URL: context.awsEndpoint,
    AWS_EC2_METADATA_DISABLED: 'true',
    // Point the shared config files at nothing so no profile can add an endpoint or a role.
    AWS_CONFIG_FILE: join(dir, 'no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(dir, 'no-aws-credentials')
  }
  if (credentials.sessionToken) env.AWS_SESSION_TOKEN = credentials.sessionToken
  for (const [name, value] of Object.entries(inputs)) env[inputVariable(name)] = value
  return { ...env, ...options.env }
}
