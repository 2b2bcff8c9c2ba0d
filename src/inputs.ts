/**
 * The only reader of the action's inputs. Parses everything at the edge into one typed, validated
 * settings object; a bad value throws an `InputError` naming the input and the value, before any
 * AWS call is made.
 */
import { isApplication, parseArnOf } from './arn.js'
import { DEFAULT_STAGES, formatPlan, InputError, parseDuration, parsePlan } from './plan.js'
import { Input } from './names.js'
import {
  DEFAULT_BOUNDS,
  parseAnalysisSwitch,
  parseErrorBound,
  parseMinRequests,
  parseRatio,
  type AnalysisBounds
} from './analysis.js'
import type { Mode, Plan } from './types.js'
import { DEFAULT_FOLLOW, type FollowPolicy } from './capacity.js'

/** Everything the action was asked to do, parsed. */
export interface Settings {
  readonly cluster: string
  /** The pair, in the order given. */
  readonly services: readonly [string, string]
  readonly listenerRules: readonly string[]
  readonly taskDefinition?: string
  /** The plan from `stages`; `undefined` in promote mode when empty (use the recorded plan). */
  readonly plan?: Plan
  readonly bakeMs: number
  readonly alarms: readonly string[]
  readonly pollMs: number
  readonly insufficientData: 'ok' | 'alarm'
  readonly mode: Mode
  readonly canaryCapacity: 'match' | 'keep' | 'follow'
  readonly afterPromotion: 'keep' | 'scale-down'
  readonly serviceTimeoutMs: number
  readonly allowFamilyChange: boolean
  readonly analysis: { readonly enabled: boolean; readonly bounds: AnalysisBounds }
  readonly statusContext?: string
  readonly githubToken: string
  readonly dryRun: boolean
  readonly region: string
  /** `health-gate`: read the canary's target health and ECS service while baking. */
  readonly healthGate: boolean
  /** How long a stage waits past its bake for late ALB metrics (3 minutes). */
  readonly lateDataMs: number
  /** `canary-headroom` and `canary-min-tasks`, used with `canary-capacity: follow`. */
  readonly follow: FollowPolicy
  /** `rollback-now`: move traffic before the old service is scaled back up. */
  readonly rollbackNow: boolean
  /** `reconcile`: how old a heartbeat must be before its rollout counts as abandoned. */
  readonly staleAfterMs: number
  /** `reconcile`: roll back a pause older than this; unset: pauses may last. */
  readonly maxPauseMs?: number
  /** An IAM role the action assumes itself with the runner's OIDC token. */
  readonly roleToAssume?: string
}

/** The environment variable that shortens the late-data wait in tests. */
export const LATE_DATA_ENV = 'ECS_CANARY_LATE_DATA_WAIT'

/** Reads one raw input by name (`core.getInput` in the action, a map in tests). */
export type InputReader = (name: string) => string

/** Parses and validates every input. `env` supplies the region. */
export function readSettings(get: InputReader, env: NodeJS.ProcessEnv = process.env): Settings {
  const text = (name: string) => get(name).trim()
  const mode = oneOf(Input.mode, text(Input.mode) || 'deploy', [
    'deploy',
    'promote',
    'rollback',
    'status',
    'reconcile'
  ] as const)
  const bakeMs = duration(text, Input.bakeTime, '5m')
  const stagesText = text(Input.stages)
  const plan =
    stagesText || mode === 'deploy'
      ? recordable(parsePlan(stagesText || DEFAULT_STAGES, bakeMs, Input.stages))
      : undefined
  const alarms = list(text(Input.alarms))
  const region = (env.AWS_REGION || env.AWS_DEFAULT_REGION || '').trim()
  if (!region) {
    throw new InputError(
      'AWS_REGION',
      'no region: set AWS_REGION (aws-actions/configure-aws-credentials does this with aws-region)'
    )
  }
  const taskDefinition = text(Input.taskDefinition)
  const analysisOn = parseAnalysisSwitch(text(Input.analysis), alarms.length > 0, Input.analysis)
  const healthGate = onOff(Input.healthGate, text(Input.healthGate) || 'on')
  const statusContext = text(Input.statusContext)
  const maxPause = text(Input.maxPause)
  const roleToAssume = roleArn(text(Input.roleToAssume))
  return {
    cluster: required(text, Input.cluster),
    services: pair(required(text, Input.services)),
    listenerRules: listenerRules(required(text, Input.listenerRules)),
    ...(taskDefinition ? { taskDefinition } : {}),
    ...(plan ? { plan } : {}),
    bakeMs,
    alarms: unique(Input.alarms, alarms),
    pollMs: atLeast(Input.pollInterval, duration(text, Input.pollInterval, '5s'), 100),
    insufficientData: oneOf(Input.insufficientData, text(Input.insufficientData) || 'ok', [
      'ok',
      'alarm'
    ] as const),
    mode,
    canaryCapacity: oneOf(Input.canaryCapacity, text(Input.canaryCapacity) || 'match', [
      'match',
      'keep',
      'follow'
    ] as const),
    afterPromotion: oneOf(Input.afterPromotion, text(Input.afterPromotion) || 'keep', [
      'keep',
      'scale-down'
    ] as const),
    serviceTimeoutMs: duration(text, Input.serviceTimeout, '15m'),
    allowFamilyChange: bool(Input.allowFamilyChange, text(Input.allowFamilyChange)),
    analysis: {
      enabled: analysisOn,
      bounds: {
        ...parseErrorBound(text(Input.maxErrorRate), Input.maxErrorRate),
        latencyRatio: parseRatio(
          Input.maxLatency,
          text(Input.maxLatency),
          DEFAULT_BOUNDS.latencyRatio
        ),
        minRequests: parseMinRequests(text(Input.minRequests), Input.minRequests)
      }
    },
    ...(statusContext ? { statusContext } : {}),
    githubToken: get(Input.githubToken),
    dryRun: bool(Input.dryRun, text(Input.dryRun)),
    region,
    healthGate: watched(mode, alarms, analysisOn, healthGate),
    // Not an input: ALB metrics are 1-2 minutes late everywhere, so 3 minutes fits every user.
    // Tests, whose stand-in delays metrics by its own rule, shorten it through the environment.
    lateDataMs: parseDuration(LATE_DATA_ENV, (env[LATE_DATA_ENV] ?? '').trim() || '3m'),
    follow: {
      headroomTenths: headroom(text(Input.canaryHeadroom)),
      minTasks: minTasks(text(Input.canaryMinTasks))
    },
    rollbackNow: bool(Input.rollbackNow, text(Input.rollbackNow)),
    staleAfterMs: atLeast(Input.staleAfter, duration(text, Input.staleAfter, '3m'), 120_000),
    ...(maxPause ? { maxPauseMs: parseDuration(Input.maxPause, maxPause) } : {}),
    ...(roleToAssume ? { roleToAssume } : {})
  }
}

/**
 * A rollout nobody watches is refused before anything is read or written: with no alarms,
 * analysis off and the health gate off, nothing could ever roll it back. Only the modes that
 * move traffic forward need a gate.
 */
function watched(mode: Mode, alarms: readonly string[], analysis: boolean, health: boolean) {
  if ((mode === 'deploy' || mode === 'promote') && alarms.length === 0 && !analysis && !health) {
    throw new InputError(
      Input.healthGate,
      `'off', with no '${Input.alarms}' and '${Input.analysis}: off', leaves the rollout unwatched: nothing would roll it back. Name CloudWatch alarms in '${Input.alarms}', set '${Input.analysis}: on', or set '${Input.healthGate}: on'`
    )
  }
  return health
}

/** The plan is recorded in a tag (at most 256 characters) so that `promote` can read it back. */
function recordable(plan: Plan): Plan {
  const text = formatPlan(plan)
  if (text.length > 256) {
    throw new InputError(
      Input.stages,
      `the plan is too long to record on the rules (${text.length} characters as '${text.slice(0, 40)}…', at most 256): use fewer stages`
    )
  }
  return plan
}

function required(text: (name: string) => string, name: string): string {
  const value = text(name)
  if (!value) throw new InputError(name, 'is required and was not given')
  return value
}

/** Splits on commas, spaces and newlines. */
function list(value: string): string[] {
  return value.split(/[\s,]+/).filter(Boolean)
}

function unique(name: string, values: string[]): string[] {
  const seen = new Set<string>()
  for (const v of values) {
    if (seen.has(v)) throw new InputError(name, `'${v}' is listed twice`)
    seen.add(v)
  }
  return values
}

function pair(value: string): [string, string] {
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

function listenerRules(value: string): string[] {
  const arns = unique(Input.listenerRules, list(value))
  for (const arn of arns) {
    const parsed = parseArnOf(arn, ['listener', 'listener-rule'])
    if (!parsed || !isApplication(parsed)) {
      throw new InputError(
        Input.listenerRules,
        `'${arn}' is not an Application Load Balancer listener or listener-rule ARN (arn:aws:elasticloadbalancing:REGION:ACCOUNT:listener-rule/app/... or .../listener/app/...)`
      )
    }
  }
  return arns
}

/** An IAM role ARN, or '' when none is given. */
function roleArn(value: string): string {
  if (value && !/^arn:aws[a-z-]*:iam::\d{12}:role\/\S+$/.test(value)) {
    throw new InputError(
      Input.roleToAssume,
      `'${value}' is not an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)`
    )
  }
  return value
}

function duration(text: (name: string) => string, name: string, fallback: string): number {
  return parseDuration(name, text(name) || fallback)
}

function atLeast(name: string, ms: number, min: number): number {
  if (ms < min) throw new InputError(name, `must be at least ${min}ms, got ${ms}ms`)
  return ms
}

function oneOf<T extends string>(name: string, value: string, allowed: readonly T[]): T {
  const found = allowed.find(a => a === value.toLowerCase())
  if (!found) {
    throw new InputError(name, `'${value}' is not one of ${allowed.map(a => `'${a}'`).join(', ')}`)
  }
  return found
}

/** `on`/`off` switches read the same words as booleans (`true`/`false`, `yes`/`no`). */
function onOff(name: string, value: string): boolean {
  if (/^(on|true|yes)$/i.test(value)) return true
  if (/^(off|false|no)$/i.test(value)) return false
  throw new InputError(name, `'${value}' is neither on nor off`)
}

/** `25%` or `25` → 250 tenths; 0 to 1000 %, at most one decimal. */
function headroom(value: string): number {
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
function minTasks(value: string): number {
  if (value === '') return DEFAULT_FOLLOW.minTasks
  if (!/^\d+$/.test(value) || Number(value) < 1) {
    throw new InputError(
      Input.canaryMinTasks,
      `'${value}' is not a whole number of tasks, 1 or more`
    )
  }
  return Number(value)
}

function bool(name: string, value: string): boolean {
  if (value === '') return false
  if (/^(true|yes|on)$/i.test(value)) return true
  if (/^(false|no|off)$/i.test(value)) return false
  throw new InputError(name, `'${value}' is not true or false`)
}
