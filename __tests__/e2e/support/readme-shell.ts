/**
 * Runs the README's "Prepare your services" shell block against moto, without the AWS CLI: a
 * small interpreter for exactly the shell the block uses (assignments, `$(aws ...)` captured
 * with `--query ... --output text`, `cat > file <<EOF` with variables expanded, `aws ...`,
 * `echo`), mapping each `aws <service> <command>` to the SDK command of the same name. Anything
 * else in the block is refused, so the README cannot drift into something this test skips.
 * (The block was also run once with the real AWS CLI 1.45 against moto: same result.)
 */
import * as ecs from '@aws-sdk/client-ecs'
import * as elbv2 from '@aws-sdk/client-elastic-load-balancing-v2'
import type { TestAws } from './clients.js'

/** The first ```sh block after `heading` in `markdown`. */
export function shellBlock(markdown: string, heading: string): string {
  const from = markdown.indexOf(heading)
  if (from < 0) throw new Error(`no '${heading}' in the README`)
  const block = /```sh\n([\s\S]*?)```/.exec(markdown.slice(from))
  if (!block) throw new Error(`no sh block after '${heading}'`)
  return block[1]
}

/** What the block left behind: its variables and the files it wrote. */
export interface ShellRun {
  vars: Record<string, string>
  files: Record<string, string>
  /** Every AWS call made, as `service command`. */
  calls: string[]
}

/**
 * Runs `block`. `given` are the values of the variables the reader fills in: assignments to
 * them in the block (the placeholders) are skipped.
 */
export async function runShell(
  block: string,
  aws: TestAws,
  given: Record<string, string>
): Promise<ShellRun> {
  const run: ShellRun = { vars: { ...given }, files: {}, calls: [] }
  const lines = block.replace(/\\\n\s*/g, ' ').split('\n')
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim()
    if (!line || line.startsWith('#')) continue
    const heredoc = /^cat > (\S+) <<EOF$/.exec(line)
    if (heredoc) {
      const end = lines.indexOf('EOF', i)
      run.files[heredoc[1]] = expand(lines.slice(i + 1, end).join('\n'), run.vars)
      i = end
      continue
    }
    const captured = /^([A-Z_]+)=\$\((aws .*)\)$/.exec(line)
    if (captured) {
      const { output, query } = await awsCall(words(captured[2], run.vars), aws, run)
      if (!query) throw new Error(`${captured[1]}=$(...) needs --query ... --output text`)
      run.vars[captured[1]] = String(select(output, query))
      continue
    }
    const assigned = /^([A-Z_]+)=(\S+)$/.exec(line)
    if (assigned) {
      if (!(assigned[1] in given)) run.vars[assigned[1]] = words(assigned[2], run.vars)[0]
      continue
    }
    if (line.startsWith('aws ')) {
      await awsCall(words(line, run.vars), aws, run)
      continue
    }
    if (line.startsWith('echo ')) continue
    throw new Error(`the README's block has a line this test cannot run: ${line}`)
  }
  return run
}

function expand(text: string, vars: Record<string, string>): string {
  return text.replace(/\$\{?([A-Z_]+)\}?/g, (_, name: string) => {
    if (!(name in vars)) throw new Error(`$${name} is used before it is set`)
    return vars[name]
  })
}

/** Shell words: single quotes literal, double quotes and bare words with variables expanded. */
function words(line: string, vars: Record<string, string>): string[] {
  const out: string[] = []
  for (const [, single, double, bare] of line.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)) {
    out.push(single ?? expand(double ?? bare, vars))
  }
  return out
}

const CLIENTS = {
  elbv2: { module: elbv2 as Record<string, unknown>, key: pascal },
  ecs: { module: ecs as Record<string, unknown>, key: camel }
}

/** One `aws` command through the SDK: its output, and the `--query` given with it. */
async function awsCall(
  argv: string[],
  aws: TestAws,
  run: ShellRun
): Promise<{ output: unknown; query?: string }> {
  const [, service, command, ...rest] = argv
  const client = CLIENTS[service as keyof typeof CLIENTS]
  if (!client) throw new Error(`aws ${service} is not mapped`)
  const Command = client.module[`${pascal(command)}Command`] as
    (new (input: unknown) => unknown) | undefined
  if (!Command) throw new Error(`aws ${service} ${command} is not an SDK command`)
  let input: Record<string, unknown> = {}
  let query: string | undefined
  for (let i = 0; i < rest.length; i += 2) {
    const [flag, value] = [rest[i], rest[i + 1]]
    if (!flag.startsWith('--') || value === undefined) throw new Error(`bad flag ${flag}`)
    const name = flag.slice(2)
    if (name === 'query') query = value
    else if (name === 'output') continue
    else if (name === 'cli-input-json') input = { ...input, ...(parseValue(value, run) as object) }
    else input[client.key(name)] = parseValue(value, run)
  }
  run.calls.push(`${service} ${command}`)
  const sdk = service === 'ecs' ? aws.ecs : aws.elbv2
  const output = await (sdk as { send(c: unknown): Promise<unknown> }).send(new Command(input))
  return { output, ...(query ? { query } : {}) }
}

function parseValue(value: string, run: ShellRun): unknown {
  const text = value.startsWith('file://') ? run.files[value.slice(7)] : value
  if (text === undefined) throw new Error(`${value}: no such file written by the block`)
  if (/^[[{]/.test(text.trim())) return JSON.parse(text) as unknown
  return /^\d+$/.test(text) ? Number(text) : text
}

/** The JMESPath the block uses with `--output text`: `A[0].B`. */
function select(value: unknown, path: string): unknown {
  let at = value
  for (const [, key, index] of path.matchAll(/([A-Za-z]+)(?:\[(\d+)\])?/g)) {
    at = (at as Record<string, unknown>)[key]
    if (index !== undefined) at = (at as unknown[])[Number(index)]
  }
  return at
}

function pascal(kebab: string): string {
  return kebab.replace(/(^|-)([a-z])/g, (_, __, c: string) => c.toUpperCase())
}

function camel(kebab: string): string {
  return kebab.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())
}
