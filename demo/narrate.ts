/**
 * How the demo talks: its own lines start with ▶, the action's log is indented under them, the
 * way a person reads a job log with commentary beside it.
 */
import type { TimedLine } from '../__tests__/e2e/support/runner.js'

const bold = (text: string): string => (process.stdout.isTTY ? `\x1b[1m${text}\x1b[0m` : text)
const dim = (text: string): string => (process.stdout.isTTY ? `\x1b[2m${text}\x1b[0m` : text)

/** One line of the demo's own narration. */
export function say(text: string): void {
  console.log(bold(`▶ ${text}`))
}

/** A heading between the acts. */
export function heading(text: string): void {
  console.log(`\n${bold(`── ${text} ${'─'.repeat(Math.max(0, 70 - text.length))}`)}`)
}

/**
 * Prints one line of the action's log, indented, as the runner's log view shows it: groups as
 * their titles, annotations by their level, debug lines hidden (as without RUNNER_DEBUG).
 */
export function echoActionLine(line: TimedLine): void {
  const command = /^::([a-z-]+)(?: [^:]*)?::(.*)$/.exec(line.text)
  const at = dim(`${(line.t / 1000).toFixed(1).padStart(5)}s`)
  if (!command) {
    if (line.text.trim() === '') return
    console.log(`    ${at}  ${line.text}`)
    return
  }
  const [, name, message] = command
  const text = message.replace(/%0A/g, ' ').replace(/%0D/g, '').replace(/%25/g, '%')
  if (name === 'group') console.log(`    ${at}  ▸ ${text}`)
  else if (name === 'warning' || name === 'error' || name === 'notice') {
    console.log(`    ${at}  ${name}: ${text}`)
  }
}
