/* global URL, setTimeout, setImmediate */
/**
 * A CPU load generator for `npm run test:busy`: one busy thread per core (or CPU_LOAD_THREADS),
 * each spinning in short slices. Bounded: it exits when its parent closes its stdin (the parent
 * ended, however it ended) or after CPU_LOAD_MAX_MS (default 60 minutes), whichever is first.
 */
import { cpus } from 'node:os'
import { Worker, isMainThread } from 'node:worker_threads'

if (isMainThread) {
  const threads = Number(process.env.CPU_LOAD_THREADS ?? cpus().length)
  const maxMs = Number(process.env.CPU_LOAD_MAX_MS ?? 60 * 60_000)
  const workers = Array.from({ length: threads }, () => new Worker(new URL(import.meta.url)))
  const stop = () => {
    for (const worker of workers) void worker.terminate()
    process.exit(0)
  }
  // The parent holds our stdin open; when it goes, so do we.
  process.stdin.on('end', stop)
  process.stdin.on('close', stop)
  process.stdin.resume()
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
  setTimeout(stop, maxMs).unref()
} else {
  // Spin, yielding every 50 ms so that terminate() lands at once.
  const spin = () => {
    const until = Date.now() + 50
    while (Date.now() < until) Math.sqrt(Math.random())
    setImmediate(spin)
  }
  spin()
}
