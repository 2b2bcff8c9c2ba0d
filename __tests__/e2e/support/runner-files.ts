import { existsSync, readFileSync } from 'node:fs'
import { parse } from 'yaml'

/**
 * Parses a runner file command (GITHUB_OUTPUT, GITHUB_STATE, GITHUB_ENV) the way the runner
 * does: `name<<DELIMITER\nvalue\nDELIMITER` entries (what @actions/core writes), and the
 * one-line `name=value` form. A later entry for the same name wins.
 */
export function parseFileCommands(text: string): Record<string, string> {
  const values: Record<string, string> = {}
  const lines = text.split(/\r?\n/)
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]
    if (line === '') continue
    // `<<` before any `=` makes a heredoc, as in the runner; `a=b<<c` is a one-line value.
    const heredoc = /^([^=]+?)<<(.+)$/.exec(line)
    const eq = line.indexOf('=')
    if (heredoc) {
      const [, name, delimiter] = heredoc
      const end = lines.indexOf(delimiter, i + 1)
      if (end === -1) throw new Error(`unterminated ${name}<<${delimiter} in file command`)
      values[name] = lines.slice(i + 1, end).join('\n')
      i = end
    } else if (eq > 0) {
      values[line.slice(0, eq)] = line.slice(eq + 1)
    } else {
      throw new Error(`invalid file command line: ${JSON.stringify(line)}`)
    }
  }
  return values
}

/** A workflow command printed on stdout, e.g. `::error title=Rolled back::alarm web-5xx`. */
export interface WorkflowCommand {
  command: string
  properties: Record<string, string>
  message: string
}

/** The workflow commands in a step's stdout (annotations, masks, groups, debug lines). */
export function parseWorkflowCommands(stdout: string): WorkflowCommand[] {
  const commands: WorkflowCommand[] = []
  for (const line of stdout.split(/\r?\n/)) {
    const match = /^::([a-z-]+)(?: ([^:]*))?::(.*)$/.exec(line)
    if (!match) continue
    const properties: Record<string, string> = {}
    for (const pair of (match[2] ?? '').split(',').filter(Boolean)) {
      const eq = pair.indexOf('=')
      properties[pair.slice(0, eq)] = unescape(pair.slice(eq + 1), true)
    }
    commands.push({ command: match[1], properties, message: unescape(match[3], false) })
  }
  return commands
}

// The inverse of @actions/core's escapeData / escapeProperty.
function unescape(text: string, property: boolean): string {
  let out = text.replace(/%0D/g, '\r').replace(/%0A/g, '\n')
  if (property) out = out.replace(/%3A/g, ':').replace(/%2C/g, ',')
  return out.replace(/%25/g, '%')
}

/**
 * The value the runner gives every input declared in action.yml: the test's value, else the
 * default (with `${{ github.token }}` evaluated), else ''. Without an action.yml yet, only the
 * test's inputs are set.
 */
export function resolveInputs(
  actionYml: string,
  given: Record<string, string>,
  token: string
): Record<string, string> {
  const resolved: Record<string, string> = {}
  if (existsSync(actionYml)) {
    const manifest = parse(readFileSync(actionYml, 'utf8')) as {
      inputs?: Record<string, { default?: unknown }>
    }
    for (const [name, spec] of Object.entries(manifest.inputs ?? {})) {
      resolved[name] = evaluateDefault(name, spec?.default, token)
    }
  }
  return { ...resolved, ...given }
}

function evaluateDefault(name: string, value: unknown, token: string): string {
  if (value === undefined || value === null) return ''
  const text = String(value)
  const evaluated = text.replace(/\$\{\{\s*github\.token\s*\}\}/g, token)
  if (evaluated.includes('${{')) {
    throw new Error(`runner stand-in cannot evaluate the default of input ${name}: ${text}`)
  }
  return evaluated
}

/** The environment variable name the runner uses for an input. */
export function inputVariable(name: string): string {
  return `INPUT_${name.replace(/ /g, '_').toUpperCase()}`
}
