import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Credentials } from './accounts.js'
import type { GitHubEvent } from './github-events.js'
import { ensureActionNode } from './global-setup.js'
import { buildEnv, prepareFiles, repoRoot } from './runner-env.js'
import { parseFileCommands, parseWorkflowCommands } from './runner-files.js'
import type { WorkflowCommand } from './runner-files.js'

/** Where the action's AWS and GitHub calls go, and as whom. */
export interface RunContext {
  /** AWS_ENDPOINT_URL: the fault proxy, so every call is counted and can be broken. */
  awsEndpoint: string
  credentials: Credentials
  /** GITHUB_API_URL: the GitHub stand-in. */
  githubApiUrl: string
  /** What `${{ github.token }}` evaluates to (default a fake installation token). */
  githubToken?: string
}

/** One step's invocation. */
export interface RunOptions {
  /** By input name as in action.yml (`listener-rules`); action.yml defaults fill the rest. */
  inputs?: Record<string, string | number | boolean>
  /** Extra variables, applied last (e.g. RUNNER_DEBUG=1). */
  env?: Record<string, string>
  /** Default: a push to main. */
  event?: GitHubEvent
  /** GITHUB_SHA (default DEFAULT_SHA). */
  sha?: string
  /** Files written into GITHUB_WORKSPACE first (the working directory), e.g. a task definition. */
  files?: Record<string, string>
  /** SIGKILL after this long (default RUN_TIMEOUT_MS, under the e2e test timeout). */
  timeoutMs?: number
  /** The bundle to run (default dist/index.js). */
  script?: string
  /** Called with each line as it is printed (the demo streams the log this way). */
  onLine?: (line: TimedLine) => void
}

/** A line the step printed, with when (ms after the process started). */
export interface TimedLine {
  t: number
  stream: 'stdout' | 'stderr'
  text: string
}

/** What a finished step left behind. */
export interface RunResult {
  code: number | null
  signal: NodeJS.Signals | null
  timedOut: boolean
  stdout: string
  stderr: string
  lines: TimedLine[]
  outputs: Record<string, string>
  state: Record<string, string>
  /** Variables exported through GITHUB_ENV. */
  exported: Record<string, string>
  summary: string
  /** Workflow commands on stdout: annotations (`error`, `warning`), `add-mask`, groups... */
  commands: WorkflowCommand[]
  durationMs: number
  /** The Node binary it ran on (see `actionNode`). */
  node: string
  /** The options it ran with, so runPost can run the matching post step. */
  options: RunOptions
}

/** A step still running. */
export interface ActionHandle {
  pid: number
  /** Resolves with the first line (already printed or to come) matching `pattern`. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<string>
  kill(signal?: NodeJS.Signals): void
  /** Cancels as the runner does: SIGINT, SIGTERM 7.5 s later, SIGKILL 2.5 s after that. */
  cancel(): Promise<RunResult>
  done: Promise<RunResult>
}

/**
 * The Node binary steps run on: the pinned Node 24 the global setup installed (E2E_ACTION_NODE),
 * as the runner runs a `node24` action; outside jest (demo, bench) it is installed the same way.
 */
export function actionNode(): string {
  process.env.E2E_ACTION_NODE ??= ensureActionNode(join(repoRoot, '.node24'))
  return process.env.E2E_ACTION_NODE
}

/**
 * How long a step may run before it is killed, unless its test says: a bound for a loaded
 * machine, under the e2e test timeout (harness.ts); E2E_RUN_TIMEOUT_MS=ms changes it.
 */
export const RUN_TIMEOUT_MS = Number(process.env.E2E_RUN_TIMEOUT_MS) || 200_000

/** Runs `node dist/index.js` as the runner runs a `uses:` step's main, and waits for it. */
export function runAction(context: RunContext, options: RunOptions = {}): Promise<RunResult> {
  return startAction(context, options).done
}

/**
 * Runs the post step of an earlier run: the same bundle, the same inputs and event, its saved
 * state handed back as STATE_<name> variables, and fresh file-command files.
 */
export function runPost(
  context: RunContext,
  from: RunResult | Record<string, string>,
  options: RunOptions = {}
): Promise<RunResult> {
  const previous = isRunResult(from) ? from : undefined
  const state = previous ? previous.state : (from as Record<string, string>)
  const stateEnv = Object.fromEntries(Object.entries(state).map(([k, v]) => [`STATE_${k}`, v]))
  const base = previous?.options ?? {}
  return runAction(context, {
    ...base,
    ...options,
    inputs: options.inputs ?? base.inputs,
    env: { ...base.env, ...stateEnv, ...options.env }
  })
}

function isRunResult(value: RunResult | Record<string, string>): value is RunResult {
  return typeof value.options === 'object' && 'lines' in value
}

/** Starts the step and returns at once, for tests that act while it runs (signals, drift). */
export function startAction(context: RunContext, options: RunOptions = {}): ActionHandle {
  const dir = mkdtempSync(join(tmpdir(), 'ecs-canary-e2e-'))
  const files = prepareFiles(dir, options)
  const env = buildEnv(context, options, dir, files)
  const started = Date.now()
  const node = actionNode()
  const child = spawn(node, [options.script ?? join(repoRoot, 'dist', 'index.js')], {
    cwd: files.workspace,
    env,
    stdio: ['ignore', 'pipe', 'pipe']
  })
  const lines: TimedLine[] = []
  const record = (line: TimedLine): void => {
    lines.push(line)
    options.onLine?.(line)
  }
  const waiters = new Set<() => void>()
  let stdout = ''
  let stderr = ''
  for (const stream of ['stdout', 'stderr'] as const) {
    let partial = ''
    child[stream].setEncoding('utf8')
    child[stream].on('data', (chunk: string) => {
      if (stream === 'stdout') stdout += chunk
      else stderr += chunk
      const parts = (partial + chunk).split('\n')
      partial = parts.pop() ?? ''
      for (const text of parts) record({ t: Date.now() - started, stream, text })
      waiters.forEach(check => check())
    })
    child[stream].on('end', () => {
      if (partial) record({ t: Date.now() - started, stream, text: partial })
    })
  }
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    child.kill('SIGKILL')
  }, options.timeoutMs ?? RUN_TIMEOUT_MS)

  const done = new Promise<RunResult>((resolve, reject) => {
    child.once('error', reject)
    child.once('close', (code, signal) => {
      clearTimeout(timer)
      waiters.forEach(check => check())
      try {
        resolve({
          code,
          signal,
          timedOut,
          stdout,
          stderr,
          lines,
          outputs: parseFileCommands(readFileSync(files.output, 'utf8')),
          state: parseFileCommands(readFileSync(files.state, 'utf8')),
          exported: parseFileCommands(readFileSync(files.env, 'utf8')),
          summary: readFileSync(files.summary, 'utf8'),
          commands: parseWorkflowCommands(stdout),
          durationMs: Date.now() - started,
          node,
          options
        })
      } catch (error) {
        reject(error)
      } finally {
        if (!process.env.E2E_KEEP_RUNS) rmSync(dir, { recursive: true, force: true })
      }
    })
  })

  const handle: ActionHandle = {
    pid: child.pid ?? -1,
    waitForOutput(pattern, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const deadline = setTimeout(() => finish(new Error('timed out')), timeoutMs)
        const check = (): void => {
          const line = lines.find(l => pattern.test(l.text))
          if (line) return finish(undefined, line.text)
          if (child.exitCode !== null || child.signalCode !== null) finish(new Error('exited'))
        }
        function finish(error?: Error, line?: string): void {
          clearTimeout(deadline)
          waiters.delete(check)
          if (error) {
            const tail = lines
              .slice(-20)
              .map(l => l.text)
              .join('\n')
            reject(
              new Error(`no line matching ${pattern} (${error.message}); last lines:\n${tail}`)
            )
          } else resolve(line!)
        }
        waiters.add(check)
        check()
      })
    },
    kill(signal = 'SIGTERM') {
      child.kill(signal)
    },
    cancel() {
      child.kill('SIGINT')
      const term = setTimeout(() => child.kill('SIGTERM'), 7_500)
      const kill = setTimeout(() => child.kill('SIGKILL'), 10_000)
      return done.finally(() => {
        clearTimeout(term)
        clearTimeout(kill)
      })
    },
    done
  }
  return handle
}

/** The times (ms after start) of the lines matching `pattern`, e.g. to measure bake pacing. */
export function lineTimes(result: RunResult, pattern: RegExp): number[] {
  return result.lines.filter(line => pattern.test(line.text)).map(line => line.t)
}
