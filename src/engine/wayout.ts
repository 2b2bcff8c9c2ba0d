/**
 * Every refusal names a way out that works from the state it found. The way out is written the
 * same everywhere, so a person can follow it and a test can run it: "run with `mode: rollback`
 * and `to: web-blue`", the inputs to change (by their action.yml names) in backticks. Pure.
 */
import { Input } from '../names.js'

/** Inputs to set for the next run, by their action.yml names; the others stay as they were. */
export type NextRun = Readonly<Record<string, string>>

/** `run with \`mode: rollback\` and \`to: web-blue\``, then `why` when given. */
export function runWith(next: NextRun, why = ''): string {
  const parts = Object.entries(next).map(([name, value]) => `\`${name}: ${value}\``)
  const inputs =
    parts.length > 1 ? `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}` : parts[0]
  return `run with ${inputs}${why ? ` ${why}` : ''}`
}

/** The ways out of a state where nobody knows which service is live: name it. */
export function rollbackTo(services: readonly string[]): string {
  return services
    .map((name, i) =>
      runWith(
        { [Input.mode]: 'rollback', [Input.to]: name },
        i === 0 ? `to put all traffic on ${name}` : `to put it all on ${name}`
      )
    )
    .join(', or ')
}

/** The inputs of the run that resolves a recorded rollout: finish it, or undo it. */
export function finishOrUndo(): string {
  return `${runWith({ [Input.mode]: 'promote' }, 'to finish it')}, or ${runWith(
    { [Input.mode]: 'rollback' },
    'to undo it'
  )}`
}

/**
 * The next runs a message suggests, parsed back from its text: each "run with `a: b` and
 * `c: d`" becomes `{ a: 'b', c: 'd' }`. Used by tests that follow every suggestion.
 */
export function suggestedRuns(message: string): NextRun[] {
  const runs: NextRun[] = []
  for (const [, list] of message.matchAll(/run with ((?:`[^`]+`(?:, | and )?)+)/g)) {
    runs.push(Object.fromEntries([...list.matchAll(/`([\w-]+): ([^`]*)`/g)].map(m => [m[1], m[2]])))
  }
  return runs
}
