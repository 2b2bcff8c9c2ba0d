/**
 * `npm run sandbox` as a new user meets it: start it, copy the lines it prints, and they deploy
 * (promoting), deploy again (pausing), promote and roll back against it with no other step.
 * Ctrl-C stops it, emulator included.
 */
import { describe, expect, it, jest } from '@jest/globals'
import { spawn, spawnSync } from 'node:child_process'
import { repoRoot } from './support/runner-env.js'

jest.setTimeout(300_000)

/** Resolves with everything printed up to and including the ready line. */
function untilReady(child: ReturnType<typeof spawn>, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => reject(new Error(`sandbox not ready:\n${out}`)), timeoutMs)
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8')
      if (out.includes('# ecs-canary sandbox is ready.')) {
        clearTimeout(timer)
        resolve(out)
      }
    })
    child.on('exit', code => reject(new Error(`sandbox exited (${code}):\n${out}`)))
  })
}

describe('npm run sandbox', () => {
  it('prints lines that promote, pause, promote and roll back, and stops cleanly', async () => {
    const child = spawn('npm', ['run', '--silent', 'sandbox'], {
      cwd: repoRoot,
      env: { PATH: process.env.PATH, HOME: process.env.HOME },
      stdio: ['ignore', 'pipe', 'pipe'],
      // A process group of its own, as a terminal's foreground job: Ctrl-C signals all of it.
      detached: true
    })
    // Never 0: process.kill(-0) would signal this test's own process group (jest itself).
    const group = child.pid
    if (!group) throw new Error('npm run sandbox did not start')
    try {
      const printed = await untilReady(child, 120_000)
      child.removeAllListeners('exit')
      const lines = printed.split('\n')
      const define = lines.find(l => l.startsWith('ecs_canary() {')) ?? ''
      const moto = /# moto (http:\/\/127\.0\.0\.1:\d+)/.exec(printed)?.[1] ?? ''
      const after = (comment: string) => lines[lines.indexOf(comment) + 1]
      const run = (line: string) => {
        const result = spawnSync('bash', ['-c', `${define}\n${line}`], { encoding: 'utf8' })
        return { status: result.status, out: result.stdout }
      }
      const steps = [
        [after('# deploy, promoting in two stages:'), 'Promoted web-green to 100%.'],
        [after('# deploy, pausing at 10%:'), 'Paused at 10% on web-blue, as the plan says.'],
        [after('# promote a paused canary:'), 'Promoted web-blue to 100%.'],
        [
          after('# roll back (a paused or running canary, or the last promotion):'),
          'Rolled back to web-green'
        ]
      ]
      for (const [line, expected] of steps) {
        const { status, out } = run(line)
        expect({ line, status, said: out.includes(expected) }).toEqual({
          line,
          status: 0,
          said: true
        })
      }
      // Ctrl-C: the sandbox exits and takes its emulator with it.
      const exited = new Promise(resolve => child.on('exit', resolve))
      process.kill(-group, 'SIGINT')
      await exited
      await expect(fetch(moto, { signal: AbortSignal.timeout(5_000) })).rejects.toThrow()
      // npm can exit before the processes under it have: the sandbox stops its emulator (SIGTERM,
      // SIGKILL after 5 s) before it exits, slower on a loaded machine. Wait for the group to
      // empty, within a bound, instead of looking once.
      const deadline = Date.now() + 30_000
      let left = ''
      for (;;) {
        left = spawnSync('pgrep', ['-g', String(group)], { encoding: 'utf8' }).stdout.trim()
        if (left === '' || Date.now() > deadline) break
        await new Promise(resolve => setTimeout(resolve, 200))
      }
      expect(left).toBe('')
    } finally {
      try {
        process.kill(-group, 'SIGKILL')
      } catch {
        // Already gone, as it should be.
      }
    }
  })
})
