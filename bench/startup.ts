/**
 * Start-up: how long `node dist/index.js` takes from spawn to its first AWS request, and how much
 * memory it has used by then, against bare `node -e 0` on the same machine.
 */
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildEnv, prepareFiles, repoRoot } from '../__tests__/e2e/support/runner-env.js'
import { median } from './stats.js'

/** One start of the bundle. */
export interface StartupSample {
  /** Spawn to the first byte of the first AWS request at the listener. */
  wallMs: number
  /** VmHWM of the process when that request arrived. */
  peakRssKb: number
}

/** Medians over the runs of the main step, the post step and bare Node, and the bundle's size. */
export interface StartupResult {
  runs: number
  node: string
  /** Which bundle, when not the repository's dist/index.js. */
  label?: string
  main: { wallMs: number; peakRssKb: number }
  post: { wallMs: number; peakRssKb: number }
  bare: { wallMs: number; peakRssKb: number | undefined }
  distBytes: number
  distFiles: number
  bundleBytes: number
}

const FAKE_RULE =
  'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/web/0123456789abcdef/0123456789abcdef/0123456789abcdef'

/**
 * Starts the bundle `runs` times as a deploy's main step and `runs` times as its post step would
 * run (inputs, runner files, credentials in the environment), with AWS_ENDPOINT_URL pointing at
 * a listener that only notes when the first request arrives: the bundle has then loaded, parsed
 * its inputs and built its clients. Main, post and bare Node take turns, so that whatever else
 * the machine is doing weighs on the three alike.
 */
export async function measureStartup(
  options: { runs?: number; node?: string; script?: string; label?: string } = {}
): Promise<StartupResult> {
  const runs = options.runs ?? 10
  const node = options.node ?? process.execPath
  const script = options.script ?? join(repoRoot, 'dist', 'index.js')
  const main: StartupSample[] = []
  const post: StartupSample[] = []
  const bare: number[] = []
  const bareRss: number[] = []
  // Warm the page cache first, so the first sample is not the only one reading from disk.
  await startOnce(node, script, 'main')
  spawnSync(node, ['-e', '0'])
  for (let i = 0; i < runs; i++) {
    main.push(await startOnce(node, script, 'main'))
    post.push(await startOnce(node, script, 'post'))
    const b = bareNode(node)
    bare.push(b.wallMs)
    if (b.peakRssKb !== undefined) bareRss.push(b.peakRssKb)
  }
  const dist = join(repoRoot, 'dist')
  const files = readdirSync(dist)
  const medians = (samples: StartupSample[]) => ({
    wallMs: median(samples.map(s => s.wallMs)),
    peakRssKb: median(samples.map(s => s.peakRssKb))
  })
  return {
    runs,
    node: spawnSync(node, ['--version']).stdout.toString().trim(),
    ...(options.label ? { label: options.label } : {}),
    main: medians(main),
    post: medians(post),
    bare: { wallMs: median(bare), peakRssKb: bareRss.length ? median(bareRss) : undefined },
    distBytes: files.reduce((sum, f) => sum + statSync(join(dist, f)).size, 0),
    distFiles: files.length,
    bundleBytes: statSync(script).size
  }
}

/**
 * One start of the bundle, killed as soon as its first AWS request arrives. `post` starts it as
 * the post step of a main step that died mid-rollout (the only post step that calls AWS).
 */
export async function startOnce(
  node: string,
  script: string,
  step: 'main' | 'post' = 'main'
): Promise<StartupSample> {
  const dir = mkdtempSync(join(tmpdir(), 'ecs-canary-bench-start-'))
  let first: ((sample: StartupSample) => void) | undefined
  let pid = -1
  let started = 0
  const server = createServer(req => {
    const at = performance.now()
    if (!first) return req.socket.destroy()
    // Peak RSS so far, read while the process is still alive and blocked on this request.
    const peakRssKb = readPeakRss(pid)
    const resolve = first
    first = undefined
    resolve({ wallMs: at - started, peakRssKb })
    req.socket.destroy()
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  try {
    const options = {
      inputs: {
        cluster: 'web',
        services: 'web-blue web-green',
        'listener-rules': FAKE_RULE,
        alarms: 'web-5xx web-latency'
      },
      env: step === 'post' ? postState() : {}
    }
    const files = prepareFiles(dir, options)
    const env = buildEnv(
      {
        awsEndpoint: endpoint,
        // Never contacted before the first AWS request; a closed port if it ever were.
        githubApiUrl: 'http://127.0.0.1:9',
        credentials: { accessKeyId: 'AKIABENCHSTARTUP', secretAccessKey: 'bench' }
      },
      options,
      dir,
      files
    )
    return await new Promise<StartupSample>((resolve, reject) => {
      let stderr = ''
      started = performance.now()
      const child = spawn(node, [script], { cwd: files.workspace, env, stdio: 'pipe' })
      pid = child.pid ?? -1
      child.stdout.resume()
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
      first = sample => {
        child.kill('SIGKILL')
        child.once('close', () => resolve(sample))
      }
      child.once('close', code => {
        if (first) reject(new Error(`the action exited (${code}) before any AWS call\n${stderr}`))
      })
    })
  } finally {
    server.closeAllConnections()
    await new Promise(resolve => server.close(resolve))
    rmSync(dir, { recursive: true, force: true })
  }
}

// What main saves before its first write (names as in src/names.ts and src/engine/state.ts).
function postState(): Record<string, string> {
  const guard = {
    region: 'us-east-1',
    rules: [FAKE_RULE],
    live: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-blue-tg/0123456789abcdef',
    idle: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-green-tg/0123456789abcdef',
    liveService: 'web-blue',
    idleService: 'web-green',
    owner: 'acme/web/actions/runs/4242424242/attempts/1'
  }
  return { 'STATE_is-post': 'true', STATE_guard: JSON.stringify(guard) }
}

function readPeakRss(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? NaN)
  } catch {
    return NaN
  }
}

/** `node -e 0`: wall time from spawn to exit, and its peak RSS where /usr/bin/time can tell. */
function bareNode(node: string): { wallMs: number; peakRssKb?: number } {
  const started = performance.now()
  spawnSync(node, ['-e', '0'])
  const wallMs = performance.now() - started
  if (!existsSync('/usr/bin/time')) return { wallMs }
  const timed = spawnSync('/usr/bin/time', ['-f', '%M', node, '-e', '0'])
  const peakRssKb = Number(timed.stderr.toString().trim().split('\n').pop())
  return { wallMs, peakRssKb: Number.isFinite(peakRssKb) ? peakRssKb : undefined }
}
