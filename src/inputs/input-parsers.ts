/**
 * Small parsers of single inputs for `inputs.ts`: each names the input and the bad value.
 */
import { isApplication, parseArn, parseArnOf } from '../arn.js'
import { Input } from '../names.js'
import { InputError, parseDuration } from '../engine/plan.js'
import { parseSwitch } from './switch.js'
import { DEFAULT_FOLLOW } from '../engine/capacity.js'

export function required(text: (name: string) => string, name: string): string {
  const value = text(name)
  if (!value) throw new InputError(name, 'is required and was not given')
  return value
}

/** Splits on commas, spaces and newlines (the filter drops the empty strings between them). */
export function list(value: string): string[] {
  return value.split(/[\s,]/).filter(Boolean)
}

export function unique(name: string, values: string[]): string[] {
  const seen = new Set<string>()
  for (const v of values) {
    if (seen.has(v)) throw new InputError(name, `'${v}' is listed twice`)
    seen.add(v)
  }
  return values
}

export function pair(value: string): [string, string] {
  const names = list(value)
  if (names.length !== 2) {
    throw new InputError(
      Input.services,
      `expected exactly two service names (the pair that takes turns), got ${names.length}: '${value}'`
    )
  }
  if (names[0] === names[1]) {
    throw new InputError(Input.services, `the two services must differ, got '${names[0]}' twice`)
  }
  return [names[0], names[1]]
}

export function listenerRules(value: string, input: string = Input.listenerRules): string[] {
  const arns = unique(input, list(value))
  for (const arn of arns) {
    const parsed = parseArnOf(arn, ['listener', 'listener-rule'])
    if (!parsed || !isApplication(parsed)) {
      throw new InputError(
        input,
        `'${arn}' is not an Application Load Balancer listener or listener-rule ARN (arn:aws:elasticloadbalancing:REGION:ACCOUNT:listener-rule/app/... or .../listener/app/...)` +
          // DescribeRules takes the listener ("ListenerArn: The Amazon Resource Name (ARN) of the
          // listener") and answers each rule with its RuleArn.
          (parseArn(arn)?.kind === 'target-group'
            ? ". That is a target group: find the rule that forwards to it with `aws elbv2 describe-rules --listener-arn LISTENER_ARN` and give the rule's RuleArn"
            : '')
      )
    }
  }
  return arns
}

/** An IAM role ARN, or '' when none is given. */
export function roleArn(value: string): string {
  if (value && !/^arn:aws[a-z-]*:iam::\d{12}:role\/\S+$/.test(value)) {
    throw new InputError(
      Input.roleToAssume,
      `'${value}' is not an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)`
    )
  }
  return value
}

export function duration(text: (name: string) => string, name: string, fallback: string): number {
  return parseDuration(name, text(name) || fallback)
}

export function oneOf<T extends string>(name: string, value: string, allowed: readonly T[]): T {
  const found = allowed.find(a => a === value.toLowerCase())
  if (!found) {
    throw new InputError(name, `'${value}' is not one of ${allowed.map(a => `'${a}'`).join(', ')}`)
  }
  return found
}

/** `on`/`off` switches read the same words as booleans (`true`/`false`, `yes`/`no`). */
export function onOff(name: string, value: string): boolean {
  if (/^(on|true|yes)$/i.test(value)) return true
  if (/^(off|false|no)$/i.test(value)) return false
  throw new InputError(name, `'${value}' is neither on nor off`)
}

/** `25%` or `25` → 250 tenths; 0 to 1000 %, at most one decimal. */
export function headroom(value: string): number {
  if (value === '') return DEFAULT_FOLLOW.headroomTenths
  const m = /^(\d{1,4}(?:\.\d)?)\s*%?$/.exec(value)
  const tenths = m ? Math.round(Number(m[1]) * 10) : NaN
  if (!(tenths <= 10_000)) {
    throw new InputError(
      Input.canaryHeadroom,
      `'${value}' is not a percentage from 0% to 1000% with at most one decimal, such as '25%'`
    )
  }
  return tenths
}

/** A whole number of tasks, at least 1: a canary with no task answers its share with 503. */
export function minTasks(value: string): number {
  if (value === '') return DEFAULT_FOLLOW.minTasks
  if (!/^\d+$/.test(value) || Number(value) < 1) {
    throw new InputError(
      Input.canaryMinTasks,
      `'${value}' is not a whole number of tasks, 1 or more`
    )
  }
  return Number(value)
}

export function bool(name: string, value: string): boolean {
  return parseSwitch(name, value, false)
}
