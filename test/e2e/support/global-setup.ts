import { spawn, spawnSync } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'

// Jest loads global setup and teardown as CommonJS outside the test module system: no
// moduleNameMapper, no import.meta. So this file imports nothing local, and what the workers
// need from it travels in environment variables, which workers inherit (they are spawned
// after global setup; with --runInBand the tests run in this very process).

/** The moto release the suite is written against (see the moto notes in fixture.ts). */
const MOTO_VERSION = '5.2.5'

/**
 * What every new ECS service reports as runningCount. moto's deployments never progress: a
 * service created with desiredCount <= this reports its deployment COMPLETED, one created with
 * more stays IN_PROGRESS for good. Workers read it from MOTO_ECS_SERVICE_RUNNING.
 */
const ECS_SERVICE_RUNNING = 2

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
    join(project.rootDir, 'test', 'e2e', 'support', 'moto-constraints.txt')
  )
  const child = spawn(python, ['-c', WRAPPER, '-H', '127.0.0.1', '-p', '0'], {
    // Built from scratch: MOTO_ACCOUNT_ID or AWS_* from the parent would defeat the isolation.
    env: {
      PATH: process.env.PATH,
      MOTO_ECS_SERVICE_RUNNING: String(ECS_SERVICE_RUNNING),
      PYTHONUNBUFFERED: '1'
    },
    stdio: ['pipe', 'pipe', 'pipe']
  })
  const url = await waitForUrl(child, 30_000)
  await waitUntilAnswering(url, 30_000)
  // Neither the child nor its pipes may keep jest's event loop alive.
  child.unref()
  for (const stream of [child.stdin, child.stdout, child.stderr]) {
    ;(stream as unknown as { unref?: () => void }).unref?.()
  }
  ;(globalThis as Record<symbol, unknown>)[HANDLE] = { url, stop: () => stopProcess(child) }
  process.env.MOTO_URL = url
  process.env.MOTO_ECS_SERVICE_RUNNING = String(ECS_SERVICE_RUNNING)
}

/**
 * Installs moto into the venv when it is missing. A fresh clone has no venv, and CI starts
 * from a fresh clone, so the suite provisions its own emulator instead of trusting the machine.
 */
function ensureMoto(venv: string, constraints: string): string {
  const python = join(venv, 'bin', 'python')
  if (existsSync(join(venv, 'bin', 'moto_server'))) return python
  console.log(`e2e: installing moto[server]==${MOTO_VERSION} into ${venv} (pinned, one-time)`)
  run('python3', ['-m', 'venv', venv])
  const pins = ['--constraint', constraints]
  run(python, ['-m', 'pip', 'install', '--quiet', ...pins, `moto[server]==${MOTO_VERSION}`])
  return python
}

function run(command: string, args: string[]): void {
  const result = spawnSync(command, args, { stdio: 'inherit' })
  if (result.status !== 0) {
    throw new Error(`e2e: ${command} ${args.join(' ')} failed (${result.status ?? result.signal})`)
  }
}

// The wrapper exits when its stdin closes, which happens when the Node process that started it
// dies for any reason (Ctrl-C, SIGKILL, a crashed jest): no orphaned moto outlives the run.
const WRAPPER = [
  'import os, sys, threading',
  'def watch():',
  '    sys.stdin.buffer.read()',
  '    os._exit(0)',
  'threading.Thread(target=watch, daemon=True).start()',
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

// SIGTERM (moto exits cleanly on it), then SIGKILL if it is still there after 5 s.
async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>(resolve => child.once('exit', () => resolve()))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000)
  await exited
  clearTimeout(timer)
}
