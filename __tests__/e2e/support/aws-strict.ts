/**
 * AWS-strict mode of the fault proxy: where moto forgives what documented AWS refuses, or
 * answers what AWS withholds, the proxy answers as AWS does. On for every e2e test; a test turns
 * single rules off with `proxy.strict({ off: [...] })`. Each rule, and the source it follows,
 * is in the table in README.md in this folder: keep the two in step.
 */
import { clientError, faultResponse, wireError } from './aws-wire.js'
import type { AwsRequest, WireResponse } from './aws-wire.js'
import { elementText, formList, members, replaceMembers } from './strict-xml.js'
import { TargetLifecycle } from './strict-targets.js'

/** The rules, by name (README.md has one row per name). */
export const STRICT_RULES = [
  'tag-one-resource',
  'tag-syntax',
  'batch-limits',
  'no-client-secret',
  'target-lifecycle',
  'rule-read-lag',
  'metric-delay',
  'error-format',
  'aas-capacity'
] as const
export type StrictRule = (typeof STRICT_RULES)[number]

/** How strict, for one test. Durations are the defaults below unless given. */
export interface StrictOptions {
  /** Rules to turn off for this test. */
  off?: readonly StrictRule[]
  /** How long targets that a scale-up started report `initial`. */
  initialMs?: number
  /** How long targets that a scale-down stopped report `draining` before they are gone. */
  drainingMs?: number
  /** How long DescribeRules/DescribeListeners show a rule as it was before a write. */
  ruleLagMs?: number
  /** How long after its minute ends an ALB metric datapoint stays invisible. */
  metricDelayMs?: number
}

/**
 * Short windows keep the suite fast while every one of them is longer than a single read: a
 * check done once, without waiting, still sees the unready state. ALB metrics arrive one to
 * two minutes late on AWS; 60 s is the shortest of that range.
 */
export const STRICT_DEFAULTS = {
  initialMs: 1_500,
  drainingMs: 1_500,
  ruleLagMs: 1_000,
  metricDelayMs: 60_000
} as const

/** An answer the strict stand-in changed: the rules that did, and the new status/headers/body. */
export interface StrictAnswer {
  rules: StrictRule[]
  status?: number
  headers?: Record<string, string>
  body: string
}

/**
 * ELB API reference, `Tag` data type, Key and Value: "Pattern: ^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$".
 * Lengths: Key "Maximum length of 128"; Value "Maximum length of 256" there, but the ALB guide's
 * "Tags for your listeners and rules" says "Maximum value length—255 Unicode characters": the
 * stand-in holds the stricter 255.
 */
const TAG_TEXT = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u
/** The longest tag value the stand-in accepts (the ALB guide's 255). */
export const MAX_TAG_VALUE = 255

/** The strict stand-in's state for one proxy: what it saw, and what it must still hide. */
export class StrictStandIn {
  private options: StrictOptions = {}
  private readonly targets = new TargetLifecycle()
  /** Per rule/listener ARN: its member as last shown, and what to show until when after a write. */
  private readonly shown = new Map<string, string>()
  private readonly lag = new Map<string, { until: number; member?: string }>()
  /** The OIDC client secret moto holds, per rule/listener ARN. */
  private readonly secrets = new Map<string, string>()

  constructor(options: StrictOptions | false = {}) {
    this.configure(options)
  }

  /** Replaces the options (`false` turns every rule off). */
  configure(options: StrictOptions | false): void {
    this.options = options === false ? { off: STRICT_RULES } : options
  }

  /**
   * Forgets the writes seen so far: the rules were rewritten behind the proxy's back (a test's
   * reset between cases), and what they showed before must not come back as lag.
   */
  forgetWrites(): void {
    this.lag.clear()
    this.shown.clear()
  }

  /** When the read lag of the last write seen ends (ms since the epoch; 0: none). */
  lagEndsAt(): number {
    return Math.max(0, ...[...this.lag.values()].map(lag => lag.until))
  }

  /** Whether `rule` is on. */
  on(rule: StrictRule): boolean {
    return !(this.options.off ?? []).includes(rule)
  }

  private ms(key: keyof typeof STRICT_DEFAULTS): number {
    return this.options[key] ?? STRICT_DEFAULTS[key]
  }

  /** AWS's refusal of a request moto would accept, with the rule that refused it. */
  refuse(
    request: AwsRequest,
    body: Buffer
  ): { rule: StrictRule; answer: WireResponse } | undefined {
    const { operation, service } = request
    if (request.protocol === 'query' && service === 'elasticloadbalancing') {
      const form = new URLSearchParams(body.toString('utf8'))
      const arns = formList(form, 'ResourceArns')
      if ((operation === 'AddTags' || operation === 'RemoveTags') && arns.length > 1) {
        if (this.on('tag-one-resource')) {
          const answer = clientError(
            request,
            'ValidationError',
            'Only one resource can be tagged at a time'
          )
          return { rule: 'tag-one-resource', answer }
        }
      }
      if (operation === 'DescribeTags' && arns.length > 20 && this.on('batch-limits')) {
        return { rule: 'batch-limits', answer: tooMany(request, 'resourceArns', arns.length, 20) }
      }
      if ((operation === 'AddTags' || operation === 'RemoveTags') && this.on('tag-syntax')) {
        const bad = badTag(form, operation)
        if (bad) return { rule: 'tag-syntax', answer: clientError(request, 'ValidationError', bad) }
      }
      return undefined
    }
    if (request.protocol !== 'json' || !this.on('batch-limits')) return undefined
    const input = parseJson(body)
    if (operation === 'DescribeServices' && service === 'ecs') {
      const count = (input.services as unknown[] | undefined)?.length ?? 0
      if (count > 10) {
        // ECS documents the limit, not the error: InvalidParameterException is its client error
        // for a parameter out of bounds.
        const answer = tooMany(request, 'services', count, 10, 'InvalidParameterException')
        return { rule: 'batch-limits', answer }
      }
    }
    if (operation === 'DescribeAlarms' && service === 'monitoring') {
      const count = (input.AlarmNames as unknown[] | undefined)?.length ?? 0
      if (count > 100)
        return { rule: 'batch-limits', answer: tooMany(request, 'alarmNames', count, 100) }
    }
    return undefined
  }

  /**
   * The body to send moto for a request AWS would accept. RegisterTargets starts its targets'
   * `initial` window. A write with `UseExistingClientSecret` gets the secret moto holds put back
   * in: AWS keeps the existing secret, moto would store the action without one.
   */
  sent(request: AwsRequest, body: Buffer, now: number): Buffer {
    if (request.protocol !== 'query') return body
    const form = new URLSearchParams(body.toString('utf8'))
    if (request.operation === 'RegisterTargets' && this.on('target-lifecycle')) {
      const ids: string[] = []
      for (let i = 1; form.has(`Targets.member.${i}.Id`); i++) {
        ids.push(form.get(`Targets.member.${i}.Id`)!)
      }
      this.targets.registered(form.get('TargetGroupArn') ?? '', ids, now, this.ms('initialMs'))
      return body
    }
    const list = { ModifyRule: 'Actions', ModifyListener: 'DefaultActions' }[request.operation]
    const arn = form.get('RuleArn') ?? form.get('ListenerArn') ?? ''
    const secret = this.secrets.get(arn)
    if (!list || secret === undefined || !this.on('no-client-secret')) return body
    let changed = false
    for (let i = 1; form.has(`${list}.member.${i}.Type`); i++) {
      const config = `${list}.member.${i}.AuthenticateOidcConfig`
      if (form.get(`${config}.UseExistingClientSecret`) !== 'true') continue
      if (form.has(`${config}.ClientSecret`)) continue
      form.delete(`${config}.UseExistingClientSecret`)
      form.set(`${config}.ClientSecret`, secret)
      changed = true
    }
    return changed ? Buffer.from(form.toString(), 'utf8') : body
  }

  /**
   * moto's answer as AWS would give it, with the rules that changed it; `undefined` leaves it
   * untouched. Only 2xx answers are rewritten, and errors in a format the SDK cannot read.
   */
  rewrite(
    request: AwsRequest,
    requestBody: Buffer,
    answer: { status: number; body: string },
    now: number
  ): StrictAnswer | undefined {
    if (answer.status >= 300) {
      const error = this.rewriteError(request, answer)
      return error && { rules: ['error-format'], ...error }
    }
    const { operation } = request
    if (request.protocol === 'json') {
      if (request.service === 'ecs' && this.on('target-lifecycle')) {
        this.watchEcs(request, answer.body, now)
      }
      if (operation !== 'GetMetricData' || !this.on('metric-delay')) return undefined
      const body = hideRecentMetrics(requestBody, answer.body, now, this.ms('metricDelayMs'))
      return body === answer.body ? undefined : { rules: ['metric-delay'], body }
    }
    if (request.service !== 'elasticloadbalancing') return undefined
    const rules: StrictRule[] = []
    let body = answer.body
    const apply = (rule: StrictRule, edit: (text: string) => string) => {
      if (!this.on(rule)) return
      const edited = edit(body)
      if (edited !== body) rules.push(rule)
      body = edited
    }
    if (operation === 'DescribeTargetHealth') {
      const group = new URLSearchParams(requestBody.toString('utf8')).get('TargetGroupArn') ?? ''
      apply('target-lifecycle', text => this.targets.rewrite(text, group, now))
    }
    apply('rule-read-lag', text => this.lagged(operation, text, now))
    // After the lag: a member shown from before a write may carry a secret too.
    apply('no-client-secret', text => this.withoutSecrets(text))
    return rules.length > 0 ? { rules, body } : undefined
  }

  /** Strips every ClientSecret, remembering each rule's or listener's for `sent`. */
  private withoutSecrets(xml: string): string {
    for (const list of ['Rules', 'Listeners']) {
      for (const member of members(xml, list)) {
        const arn = elementText(member.text, list === 'Rules' ? 'RuleArn' : 'ListenerArn')
        const secret = elementText(member.text, 'ClientSecret')
        if (arn && secret !== undefined) this.secrets.set(arn, unescapeXml(secret))
      }
    }
    return xml.replace(/<ClientSecret>[^<]*<\/ClientSecret>/g, '')
  }

  private watchEcs(request: AwsRequest, body: string, now: number): void {
    const out = parseJson(Buffer.from(body))
    if (request.operation === 'DescribeServices') {
      this.targets.sawServices((out.services as never[] | undefined) ?? [])
    } else if (request.operation === 'UpdateService' && out.service) {
      const times = { initialMs: this.ms('initialMs'), drainingMs: this.ms('drainingMs') }
      this.targets.updated(out.service as never, now, times)
    }
  }

  /** Rules and listeners read back as they were for `ruleLagMs` after each write. */
  private lagged(operation: string, body: string, now: number): string {
    const kind =
      operation === 'ModifyRule' || operation === 'DescribeRules'
        ? { list: 'Rules', arn: 'RuleArn' }
        : operation === 'ModifyListener' || operation === 'DescribeListeners'
          ? { list: 'Listeners', arn: 'ListenerArn' }
          : undefined
    if (!kind) return body
    const found = members(body, kind.list)
    const write = operation.startsWith('Modify')
    const texts = found.map(member => {
      const arn = elementText(member.text, kind.arn) ?? ''
      if (write) {
        // The write's own answer is the rule as written (AWS documents that too).
        this.lag.set(arn, { until: now + this.ms('ruleLagMs'), member: this.shown.get(arn) })
        this.shown.set(arn, member.text)
        return undefined
      }
      const lag = this.lag.get(arn)
      if (lag && now < lag.until && lag.member) return lag.member
      this.shown.set(arn, member.text)
      return undefined
    })
    return replaceMembers(body, found, texts)
  }

  /** moto's own errors in AWS's format (its IAM denials for JSON services are XML). */
  private rewriteError(
    request: AwsRequest,
    answer: { status: number; body: string }
  ): WireResponse | undefined {
    if (!this.on('error-format') || !answer.body.trimStart().startsWith('<')) return undefined
    if (request.protocol !== 'json' && !answer.body.includes('<Errors>')) return undefined
    const code = elementText(answer.body, 'Code')
    const message = elementText(answer.body, 'Message') ?? ''
    if (!code) return undefined
    if (code === 'AccessDenied') return faultResponse(request, 'denied', unescapeXml(message))
    return wireError(request, {
      status: answer.status,
      queryCode: code,
      jsonType: code,
      type: answer.status >= 500 ? 'Receiver' : 'Sender',
      message: unescapeXml(message)
    })
  }
}

function tooMany(
  request: AwsRequest,
  member: string,
  count: number,
  max: number,
  jsonType?: string
) {
  const message = `1 validation error detected: Value at '${member}' failed to satisfy constraint: Member must have length less than or equal to ${max} (got ${count})`
  return clientError(request, 'ValidationError', message, jsonType ?? 'ValidationError')
}

/** The first tag key or value ELB would refuse, described; `undefined` when all are fine. */
function badTag(form: URLSearchParams, operation: string): string | undefined {
  const checks: [string, string | null, number][] = []
  if (operation === 'AddTags') {
    for (let i = 1; form.has(`Tags.member.${i}.Key`); i++) {
      checks.push(['key', form.get(`Tags.member.${i}.Key`), 128])
      checks.push(['value', form.get(`Tags.member.${i}.Value`), MAX_TAG_VALUE])
    }
  } else {
    for (const key of formList(form, 'TagKeys')) checks.push(['key', key, 128])
  }
  for (const [what, text, max] of checks) {
    if (text === null) continue
    if (text.length > max || (what === 'key' && text.length === 0) || !TAG_TEXT.test(text)) {
      return `Tag ${what} '${text}' must be ${what === 'key' ? 1 : 0} to ${max} characters of letters, numbers, spaces and _ . : / = + - @`
    }
  }
  return undefined
}

function parseJson(body: Buffer): Record<string, unknown> {
  try {
    return JSON.parse(body.toString('utf8') || '{}') as Record<string, unknown>
  } catch {
    return {}
  }
}

function unescapeXml(text: string): string {
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&')
}

interface MetricResult {
  Id?: string
  Timestamps?: (number | string)[]
  Values?: number[]
}

/**
 * Drops the datapoints of ALB metrics whose minute ended less than `delayMs` ago: ELB sends a
 * minute's metrics only after it ends, and CloudWatch shows them one to two minutes late.
 */
function hideRecentMetrics(
  requestBody: Buffer,
  body: string,
  now: number,
  delayMs: number
): string {
  const input = parseJson(requestBody) as {
    MetricDataQueries?: {
      Id?: string
      MetricStat?: { Metric?: { Namespace?: string }; Period?: number }
    }[]
  }
  const alb = new Map(
    (input.MetricDataQueries ?? [])
      .filter(q => q.MetricStat?.Metric?.Namespace === 'AWS/ApplicationELB')
      .map(q => [q.Id ?? '', (q.MetricStat?.Period ?? 60) * 1000])
  )
  if (alb.size === 0) return body
  const out = JSON.parse(body) as { MetricDataResults?: MetricResult[] }
  for (const result of out.MetricDataResults ?? []) {
    const periodMs = alb.get(result.Id ?? '')
    if (periodMs === undefined) continue
    const keep = (result.Timestamps ?? []).map(t => toMs(t) + periodMs + delayMs <= now)
    result.Timestamps = (result.Timestamps ?? []).filter((_, i) => keep[i])
    result.Values = (result.Values ?? []).filter((_, i) => keep[i])
  }
  return JSON.stringify(out)
}

function toMs(timestamp: number | string): number {
  return typeof timestamp === 'number' ? timestamp * 1000 : Date.parse(timestamp)
}
