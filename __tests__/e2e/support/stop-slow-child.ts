/**
 * Run by teardown.test.ts in a Node process of its own, where nothing else keeps the event loop
 * alive, as in jest's parent during global teardown: starts a child that ignores SIGTERM (as moto
 * may, for seconds, under load), unreferenced exactly as startMoto leaves moto, stops it with
 * stopProcess and prints a line only once that returned. Without the line, Node exited mid-stop.
 */
import { spawn } from 'node:child_process'
import { stopProcess } from './global-setup.js'

const child = spawn(
  process.execPath,
  ['-e', "process.on('SIGTERM', () => {}); console.log('ready'); setInterval(() => {}, 1000)"],
  { stdio: ['ignore', 'pipe', 'ignore'] }
)
await new Promise<void>(resolve => child.stdout.once('data', () => resolve()))
child.unref()
;(child.stdout as unknown as { unref(): void }).unref()
const started = Date.now()
await stopProcess(child)
console.log(`stopped after ${Date.now() - started} ms by ${child.signalCode}`)
