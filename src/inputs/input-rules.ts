/**
 * Rules for single inputs that need more than a parse: the floor of `poll-interval`, alarm names
 * (spaces, ARNs) and `to`. Pure; each refusal names the input, the value and the fix.
 */
import { parseArnOf } from '../arn.js'
import { Input } from '../names.js'
import { formatDuration, InputError } from '../engine/plan.js'
import type { Mode } from '../engine/types.js'

/**
 * Every poll is one DescribeAlarms call, and the account shares a quota of 9 per second for it
 * (CloudWatch service quotas,
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_limits.html): a
 * 100 ms poll alone would exceed it, throttling every other rollout and dashboard in the account.
 * A local emulator (every endpoint on loopback) has no such quota, which keeps tests fast.
 */
export function pollInterval(ms: number, env: NodeJS.ProcessEnv): number {
  const min = onLoopback(env) ? 100 : 1000
  if (ms < min) {
    throw new InputError(
      Input.pollInterval,
      `must be at least ${formatDuration(min)}, got ${formatDuration(ms)}: every poll is a DescribeAlarms call, and the account's quota for it (9 per second, shared by every rollout and dashboard) would be used up`
    )
  }
  return ms
}

function onLoopback(env: NodeJS.ProcessEnv): boolean {
  const url = env.AWS_ENDPOINT_URL_CLOUDWATCH || env.AWS_ENDPOINT_URL
  // Stryker disable next-line ConditionalExpression: equivalent, new URL(undefined) throws: false below too
  if (!url) return false
  try {
    return ['127.0.0.1', 'localhost', '[::1]'].includes(new URL(url).hostname)
  } catch {
    // Not a URL: not a local emulator either.
  }
  return false
}

/**
 * Alarm names may contain spaces and commas. With a newline in the input, each line is one
 * name, kept whole; without one, names are separated by commas or spaces as for other lists.
 * An ARN is refused: DescribeAlarms looks alarms up by name only.
 */
export function alarmNames(value: string): string[] {
  const names = value.includes('\n')
    ? value
        .split('\n')
        .map(line => line.trim())
        .filter(Boolean)
    : list(value)
  for (const name of names) {
    const arn = parseArnOf(name, ['alarm'])
    if (arn) {
      throw new InputError(
        Input.alarms,
        `'${name}' is an alarm ARN; give the alarm's name instead ('${arn.name}')`
      )
    }
  }
  return names
}

/** `to` is for `mode: rollback` only, and must name one of the pair. */
export function rollbackTarget(
  value: string,
  mode: Mode,
  services: readonly [string, string]
): string | undefined {
  if (!value) return undefined
  if (mode !== 'rollback') {
    throw new InputError(Input.to, `only mode: rollback takes it (mode is ${mode}); leave it empty`)
  }
  if (!services.includes(value)) {
    throw new InputError(Input.to, `'${value}' is not one of the pair (${services.join(', ')})`)
  }
  return value
}

/** Splits on commas, spaces and newlines (the filter drops the empty strings between them). */
function list(value: string): string[] {
  return value.split(/[\s,]/).filter(Boolean)
}

/** A duration input with a floor, e.g. `stale-after` (at least `2m`). */
export function atLeast(name: string, ms: number, min: number): number {
  if (ms < min) throw new InputError(name, `must be at least ${min}ms, got ${ms}ms`)
  return ms
}
