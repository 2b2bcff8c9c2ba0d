import { spawn, spawnSync } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

// Jest loads global setup and teardown as CommonJS outside the test module system: no
// moduleNameMapper, no import.meta. So this file imports nothing local, and what the workers
// need from it travels in environment variables, which workers inherit (they are spawned
// after global setup; with --runInBand the tests run in this very process).
// The demo and the bench start moto through this file's exports too (see emulator.ts).

/** The moto release the suite is written against (see the moto notes in fixture.ts). */
export const MOTO_VERSION = '5.2.5'

/**
 * The Node the action runs on in the e2e tests: action.yml says `runs.using: node24`, so the
 * runner runs dist/index.js on a Node 24, whatever Node the tooling (jest, tsc) runs on.
 * Installed from npm's `node-<platform>-<arch>` package (the official binary, repackaged).
 */
export const ACTION_NODE_VERSION = '24.22.3'

/**
 * What every new ECS service reports as runningCount. moto's deployments never progress: a
 * service created with desiredCount <= this reports its deployment COMPLETED, one created with
 * more stays IN_PROGRESS for good. Workers read it from MOTO_ECS_SERVICE_RUNNING.
 */
export const ECS_SERVICE_RUNNING = 2

/** Where global-teardown finds the server; both run in jest's parent process. */
const HANDLE = Symbol.for('ecs-canary.e2e.moto')

/**
 * Starts one moto server for the whole e2e run and publishes its URL as MOTO_URL.
 *
 * Isolation: one server is shared by every worker, and each test builds in a fresh AWS
 * account of its own (see accounts.ts). moto keeps every backend per account id and derives
 * the account from the request's access key, so tests running in parallel never see each
 * other's resources, and the action under test needs nothing but the credentials it is given.
 * That is cheaper and sturdier than a server per test file, whose startup would race for ports
 * and memory on a two-core machine.
 */
export default async function globalSetup(_global: unknown, project: { rootDir: string }) {
  const python = ensureMoto(
    join(project.rootDir, '.venv'),
    join(project.rootDir, '__tests__', 'e2e', 'support', 'moto-constraints.txt')
  )
  const node = ensureActionNode(join(project.rootDir, '.node24'))
  console.error(
    `e2e: the action runs on Node ${versionOf(node)} (${node}); jest on ${process.version}`
  )
  process.env.E2E_ACTION_NODE = node
  const server = await startMoto(python)
  ;(globalThis as Record<symbol, unknown>)[HANDLE] = server
  process.env.MOTO_URL = server.url
  process.env.MOTO_ECS_SERVICE_RUNNING = String(ECS_SERVICE_RUNNING)
}

/**
 * The Node binary the action runs on: E2E_ACTION_NODE when set (it must be a Node 24), else the
 * pinned ACTION_NODE_VERSION, installed into `dir` when missing (cached there like `.venv`, so
 * a fresh clone needs nothing but `npm ci`). `npm pack` checks the tarball against the
 * registry's integrity hash before it is unpacked.
 */
export function ensureActionNode(dir: string): string {
  const given = process.env.E2E_ACTION_NODE
  if (given) {
    if (!versionOf(given)?.startsWith('v24.')) {
      throw new Error(`e2e: E2E_ACTION_NODE=${given} is not a Node 24 (${versionOf(given)})`)
    }
    return given
  }
  const node = join(dir, 'bin', 'node')
  if (versionOf(node) === `v${ACTION_NODE_VERSION}`) return node
  const pkg = `node-${process.platform}-${process.arch}`
  console.error(
    `e2e: installing Node ${ACTION_NODE_VERSION} (npm ${pkg}) into ${dir} (pinned, one-time)`
  )
  const download = mkdtempSync(join(tmpdir(), 'ecs-canary-node-'))
  try {
    run('npm', ['pack', `${pkg}@${ACTION_NODE_VERSION}`, '--pack-destination', download])
    rmSync(dir, { recursive: true, force: true })
    mkdirSync(dir, { recursive: true })
    const tarball = join(download, `${pkg}-${ACTION_NODE_VERSION}.tgz`)
    run('tar', ['-xzf', tarball, '-C', dir, '--strip-components=1'])
  } finally {
    rmSync(download, { recursive: true, force: true })
  }
  const found = versionOf(node)
  if (found !== `v${ACTION_NODE_VERSION}`) {
    throw new Error(`e2e: ${node} reports ${found}, not v${ACTION_NODE_VERSION}; delete ${dir}`)
  }
  return node
}

/** `node --version` of a binary, or undefined when it does not run. */
export function versionOf(node: string): string | undefined {
  if (!existsSync(node)) return undefined
  const result = spawnSync(node, ['--version'], { encoding: 'utf8' })
  return result.status === 0 ? result.stdout.trim() : undefined
}

/** A moto server on 127.0.0.1. */
export interface MotoServer {
  url: string
  pid: number
  /** SIGTERM, then SIGKILL after 5 s; resolves once it has exited. */
  stop(): Promise<void>
}

/**
 * How long moto may take to start and answer: a bound, not a budget. Importing moto takes a
 * few seconds on a quiet machine and more than 30 s at a load average of 40 (issue 28).
 */
const MOTO_START_MS = 180_000

/**
 * Starts moto on a free port of 127.0.0.1. By default it is tied to this process: it exits
 * when this process dies, and neither it nor its pipes keep the event loop alive. `detached`
 * makes it outlive this process (a CI step that provisions a stack for later steps), logging to
 * `logFile`; stop it by its pid.
 */
export async function startMoto(
  python: string,
  options: { detached?: { logFile: string } } = {}
): Promise<MotoServer> {
  // Built from scratch: MOTO_ACCOUNT_ID or AWS_* from the parent would defeat the isolation.
  const env = {
    PATH: process.env.PATH,
    MOTO_ECS_SERVICE_RUNNING: String(ECS_SERVICE_RUNNING),
    PYTHONUNBUFFERED: '1'
  }
  const args = ['-H', '127.0.0.1', '-p', '0']
  if (options.detached) {
    const { logFile } = options.detached
    const fd = openSync(logFile, 'w')
    const child = spawn(python, ['-c', DETACHED, ...args], {
      env,
      detached: true,
      stdio: ['ignore', fd, fd]
    })
    closeSync(fd)
    child.unref()
    const url = await waitForLoggedUrl(child, logFile, MOTO_START_MS)
    await waitUntilAnswering(url, MOTO_START_MS)
    return { url, pid: child.pid ?? -1, stop: () => stopProcess(child) }
  }
  const child = spawn(python, ['-c', WRAPPER, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] })
  const url = await waitForUrl(child, MOTO_START_MS)
  await waitUntilAnswering(url, MOTO_START_MS)
  // Neither the child nor its pipes may keep the event loop (jest's, a script's) alive.
  child.unref()
  for (const stream of [child.stdin, child.stdout, child.stderr]) {
    ;(stream as unknown as { unref?: () => void }).unref?.()
  }
  return { url, pid: child.pid ?? -1, stop: () => stopProcess(child) }
}

/**
 * Installs moto into the venv when it is missing and returns the venv's python. A fresh clone
 * has no venv, and CI starts from a fresh clone, so the suite provisions its own emulator
 * instead of trusting the machine. Progress goes to stderr: a script's stdout may be a
 * GITHUB_OUTPUT file.
 */
export function ensureMoto(venv: string, constraints: string): string {
  const python = join(venv, 'bin', 'python')
  if (existsSync(join(venv, 'bin', 'moto_server'))) return python
  console.error(`e2e: installing moto[server]==${MOTO_VERSION} into ${venv} (pinned, one-time)`)
  run('python3', ['-m', 'venv', venv])
  const pins = ['--constraint', constraints]
  run(python, ['-m', 'pip', 'install', '--quiet', ...pins, `moto[server]==${MOTO_VERSION}`])
  return python
}

function run(command: string, args: string[]): void {
  const result = spawnSync(command, args, { stdio: ['ignore', 2, 2] })
  if (result.status !== 0) {
    throw new Error(`e2e: ${command} ${args.join(' ')} failed (${result.status ?? result.signal})`)
  }
}

// moto's ELBv2 refuses an 11th tag on any resource (Classic ELB's limit of 10). AWS allows 50
// tags on each ALB listener and rule ("Tags for your listeners and rules", Elastic Load
// Balancing User Guide: "Maximum number of tags per resource—50"), and the rollout record alone
// takes eleven once paused. moto is stricter than AWS here, so its limit is raised to AWS's.
const TAG_LIMIT = [
  'import moto.elbv2.models as _elbv2',
  'def _add_tags(self, resource_arns, tags):',
  '    wanted = self.tagging_service.flatten_tag_list(tags)',
  '    for arn in resource_arns:',
  '        existing = self.tagging_service.get_tag_dict_for_resource(arn)',
  '        if len(set(existing) | set(wanted)) > 50:',
  '            raise _elbv2.TooManyTagsError()',
  '        self._get_resource_by_arn(arn)',
  '        self.tagging_service.tag_resource(arn, tags)',
  '_elbv2.ELBv2Backend.add_tags = _add_tags'
]

// The wrapper exits when its stdin closes, which happens when the Node process that started it
// dies for any reason (Ctrl-C, SIGKILL, a crashed jest): no orphaned moto outlives the run.
const WRAPPER = [
  'import os, sys, threading',
  'def watch():',
  '    sys.stdin.buffer.read()',
  '    os._exit(0)',
  'threading.Thread(target=watch, daemon=True).start()',
  ...TAG_LIMIT,
  'from moto.server import main',
  'main(sys.argv[1:])'
].join('\n')

// Detached, nothing watches for the parent: the server runs until it is stopped by its pid.
const DETACHED = [
  'import sys',
  ...TAG_LIMIT,
  'from moto.server import main',
  'main(sys.argv[1:])'
].join('\n')

// Port 0 lets the OS pick a free port and werkzeug prints the one it bound, so no other
// process can take the port between choosing it and binding it.
function waitForUrl(child: ChildProcess, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let log = ''
    const timer = setTimeout(() => fail('timed out'), timeoutMs)
    const onData = (chunk: Buffer): void => {
      log += chunk.toString()
      const match = /Running on (http:\/\/127\.0\.0\.1:\d+)/.exec(log)
      if (!match) return
      clearTimeout(timer)
      child.removeAllListeners('exit')
      for (const stream of [child.stdout, child.stderr]) {
        stream?.removeAllListeners('data')
        stream?.resume() // keep draining so a chatty server never blocks on a full pipe
      }
      resolve(match[1])
    }
    function fail(why: string): void {
      clearTimeout(timer)
      child.kill('SIGKILL')
      reject(new Error(`e2e: moto did not start (${why})\n${log}`))
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', onData)
    child.once('error', error => fail(error.message))
    child.once('exit', code => fail(`exited with ${code}`))
  })
}

// The detached server writes to a file, not a pipe: read it until the URL shows up.
async function waitForLoggedUrl(
  child: ChildProcess,
  logFile: string,
  timeoutMs: number
): Promise<string> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const log = existsSync(logFile) ? readFileSync(logFile, 'utf8') : ''
    const match = /Running on (http:\/\/127\.0\.0\.1:\d+)/.exec(log)
    if (match) return match[1]
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`e2e: moto did not start (see ${logFile})\n${log}`)
    }
    await new Promise(resolve => setTimeout(resolve, 100))
  }
}

async function waitUntilAnswering(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      // Any HTTP answer proves the WSGI app is serving, not merely that the socket is bound.
      await fetch(`${url}/moto-api/`, { signal: AbortSignal.timeout(2_000) })
      return
    } catch (error) {
      if (Date.now() > deadline) {
        throw new Error(`e2e: moto at ${url} never answered: ${error}`, { cause: error })
      }
      await new Promise(resolve => setTimeout(resolve, 100))
    }
  }
}

/**
 * SIGTERM, then SIGKILL if it is still there after 5 s; resolves once it has exited.
 *
 * moto answers SIGTERM with `sys.exit(0)` (its server.py installs that handler), which runs only
 * when the server's main thread gets back to Python, then shuts the interpreter down: about 1 s
 * on a quiet machine, more under load. The child was unreferenced when it started, so it is
 * referenced again first: otherwise, once the 5 s timer has fired, nothing keeps the event loop
 * alive while the child dies, and Node exits in the middle of this await. In jest's global
 * teardown that exit came before jest wrote its results or set its exit code: a run with failed
 * tests exited 0 (issue 28, `npm run test:busy`).
 */
export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  child.ref()
  const exited = new Promise<void>(resolve => child.once('exit', () => resolve()))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000)
  await exited
  clearTimeout(timer)
}
