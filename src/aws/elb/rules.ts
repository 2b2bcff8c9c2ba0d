/**
 * Reading listener rules and listener default actions for the traffic adapter: batched
 * DescribeRules / DescribeListeners / DescribeTags, and errors that name the ARN at fault.
 */
import {
  DescribeListenersCommand,
  DescribeRulesCommand,
  DescribeTagsCommand,
  type Action,
  type ElasticLoadBalancingV2Client
} from '@aws-sdk/client-elastic-load-balancing-v2'
import { isApplication, parseArn, parseArnOf } from '../../arn.js'
import { Input } from '../../names.js'

/** DescribeTags takes at most 20 ARNs; the other batched calls use the same size. */
const BATCH = 20

/** Reads after a write until ELB shows it: a few tries a few hundred ms apart. */
export const READBACK_TRIES = 5
export const READBACK_DELAY_MS = 300
/** How errors name a read of the rules. */
export const RULE_READS = 'DescribeRules/DescribeListeners'

/** The call that writes an entry's actions. */
export type WriteCall = 'ModifyRule' | 'ModifyListener'

/** One input ARN as read: where its actions are written, and the actions themselves. */
export interface Entry {
  readonly arn: string
  readonly kind: 'rule' | 'listener'
  readonly call: WriteCall
  /** The ARN written: the listener's for a listener, and for a listener's default rule. */
  readonly target: string
  /** How messages name it. */
  readonly label: string
  readonly actions: Action[]
}

/** Entries by input ARN, in input order. */
export type Found = Map<string, Entry>

type Page<T> = [(readonly [string | undefined, T])[], string | undefined]

/** Reads a fixed set of listener-rule and listener ARNs. */
export class RuleReader {
  /** The ARNs, deduplicated, in input order. */
  readonly arns: readonly string[]

  /** Throws for an ARN that is not a listener rule or listener, or is outside `region`. */
  constructor(
    private readonly client: ElasticLoadBalancingV2Client,
    arns: readonly string[],
    private readonly region: string,
    /** The ARNs given in `test-listener-rules`, so errors name the input they came from. */
    private readonly testArns: readonly string[] = []
  ) {
    this.arns = [...new Set(arns)]
    for (const arn of this.arns) {
      const parsed = parseArnOf(arn, ['listener', 'listener-rule'])
      if (!parsed || !isApplication(parsed)) {
        throw new Error(
          `'${arn}' is not an Application Load Balancer listener-rule or listener ARN`
        )
      }
      if (parsed.region !== region) {
        throw new Error(
          `${arn} is in ${parsed.region}, but AWS_REGION is ${region}; run the action in the load balancer's region`
        )
      }
    }
  }

  /** Whether `arn` names a listener (its default actions) rather than a rule. */
  isListener(arn: string): boolean {
    return parseArn(arn)?.kind === 'listener'
  }

  /**
   * DescribeRules and DescribeListeners for `arns`, batched and in parallel. `signal` aborts the
   * requests (see `within`).
   */
  async describe(arns: readonly string[] = this.arns, signal?: AbortSignal): Promise<Found> {
    const options = signal ? { abortSignal: signal } : {}
    const [rules, listeners] = await Promise.all([
      this.fetch(
        'DescribeRules',
        arns.filter(a => !this.isListener(a)),
        async (RuleArns, Marker): Promise<Page<{ IsDefault?: boolean; Actions?: Action[] }>> => {
          const out = await this.client.send(
            new DescribeRulesCommand({ RuleArns, Marker }),
            options
          )
          return [(out.Rules ?? []).map(r => [r.RuleArn, r] as const), out.NextMarker]
        }
      ),
      this.fetch(
        'DescribeListeners',
        arns.filter(a => this.isListener(a)),
        async (ListenerArns, Marker): Promise<Page<{ DefaultActions?: Action[] }>> => {
          const out = await this.client.send(
            new DescribeListenersCommand({ ListenerArns, Marker }),
            options
          )
          return [(out.Listeners ?? []).map(l => [l.ListenerArn, l] as const), out.NextMarker]
        }
      )
    ])
    return new Map(
      arns.map((arn): [string, Entry] => {
        const rule = rules.get(arn)
        const actions = rule?.Actions ?? listeners.get(arn)?.DefaultActions ?? []
        if (!rule) {
          return [
            arn,
            {
              arn,
              kind: 'listener',
              call: 'ModifyListener',
              target: arn,
              label: `listener ${arn}`,
              actions
            }
          ]
        }
        if (!rule.IsDefault) {
          return [
            arn,
            {
              arn,
              kind: 'rule',
              call: 'ModifyRule',
              target: arn,
              label: `listener rule ${arn}`,
              actions
            }
          ]
        }
        // A listener's default rule is its default actions: ModifyRule refuses it.
        const target = parseArn(arn)?.listener ?? arn
        const label = `default rule ${arn} (listener ${target})`
        return [arn, { arn, kind: 'rule', call: 'ModifyListener', target, label, actions }]
      })
    )
  }

  /** Each ARN's tags, 20 ARNs per DescribeTags call. */
  async tags(signal?: AbortSignal): Promise<Map<string, Record<string, string>>> {
    const options = signal ? { abortSignal: signal } : {}
    const pages = await Promise.all(
      batches(this.arns).map(async ResourceArns => {
        try {
          const out = await this.client.send(new DescribeTagsCommand({ ResourceArns }), options)
          return out.TagDescriptions ?? []
        } catch (err) {
          throw wrap('DescribeTags', ResourceArns.join(', '), err)
        }
      })
    )
    return new Map(
      pages
        .flat()
        .map(d => [
          d.ResourceArn ?? '',
          Object.fromEntries((d.Tags ?? []).map(t => [t.Key ?? '', t.Value ?? '']))
        ])
    )
  }

  /** All pages of one Describe call for `arns`; an ARN that does not exist is named. */
  private async fetch<T>(
    call: string,
    arns: readonly string[],
    page: (arns: string[], marker?: string) => Promise<Page<T>>
  ): Promise<Map<string, T>> {
    const all = async (batch: string[]) => {
      const out = new Map<string, T>()
      let marker: string | undefined
      do {
        const [items, next] = await page(batch, marker)
        for (const [arn, item] of items) if (arn) out.set(arn, item)
        marker = next
      } while (marker)
      return out
    }
    let found: Map<string, T>
    try {
      found = new Map((await Promise.all(batches(arns).map(all))).flatMap(m => [...m]))
    } catch (err) {
      if (!isNotFound(err)) throw wrap(call, arns.join(', '), err)
      // One unknown ARN fails the whole batch: ask for each alone to say which.
      const alone = arns.length > 1 ? await Promise.allSettled(arns.map(a => all([a]))) : []
      const missing = arns.filter((_, i) => {
        const r = alone[i]
        return r?.status === 'rejected' && isNotFound(r.reason)
      })
      throw this.notFound(missing.length ? missing : arns, err)
    }
    const missing = arns.filter(a => !found.has(a))
    if (missing.length) throw this.notFound(missing)
    return found
  }

  private notFound(arns: readonly string[], cause?: unknown): Error {
    const what = arns.length > 1 ? `${arns.join(', ')} do not exist` : `${arns[0]} does not exist`
    const why = cause ? ` (${errorText(cause)})` : ''
    return new Error(
      `${what} in ${this.region}${why}; check the '${arns.every(a => this.testArns.includes(a)) ? Input.testListenerRules : Input.listenerRules}' input against 'aws elbv2 describe-rules --listener-arn ...'`,
      { cause }
    )
  }
}

/** `arns` in groups of at most 20, the limit of DescribeTags and AddTags. */
export function batches(arns: readonly string[]): string[][] {
  const out: string[][] = []
  for (let i = 0; i < arns.length; i += BATCH) out.push(arns.slice(i, i + BATCH))
  return out
}

function isNotFound(err: unknown): boolean {
  const name = (err as { name?: unknown } | undefined)?.name
  return typeof name === 'string' && /^(Rule|Listener)NotFound(Exception)?$/.test(name)
}

/** An error's name and message, e.g. `ThrottlingException: Rate exceeded`. */
export function errorText(err: unknown): string {
  if (!(err instanceof Error)) return String(err)
  return err.name && err.name !== 'Error' ? `${err.name}: ${err.message}` : err.message
}

/** An AWS error with the call and the resource it was about. */
export function wrap(call: string, what: string, err: unknown): Error {
  return new Error(`${call} failed for ${what}: ${errorText(err)}`, { cause: err })
}
