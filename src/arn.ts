/**
 * The one place that reads ARNs. Every ARN the action accepts or meets: ALB listeners, listener
 * rules, target groups and load balancers (elasticloadbalancing), and ECS clusters, services and
 * task definitions, each with its partition, region and account.
 *
 * Formats from the Service Authorization Reference ("Resource types defined by Elastic Load
 * Balancing V2" and "... by Amazon Elastic Container Service",
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_awselasticloadbalancingv2.html
 * and list_amazonelasticcontainerservice.html). A service ARN has two forms: the short
 * `service/<name>` of services created before 2021 and the long `service/<cluster>/<name>` (ECS
 * Developer Guide, "Migrate an Amazon ECS short service ARN to a long ARN").
 */

/** What an ARN names. */
export type ArnKind =
  | 'listener'
  | 'listener-rule'
  | 'target-group'
  | 'load-balancer'
  | 'cluster'
  | 'service'
  | 'task-definition'

/** An ARN taken apart. */
export interface Arn {
  /** The ARN as given. */
  readonly arn: string
  readonly kind: ArnKind
  /** `aws`, `aws-cn`, `aws-us-gov`, … */
  readonly partition: string
  readonly region: string
  readonly account: string
  /** Everything after the account, e.g. `targetgroup/web-green/0123abcd`. */
  readonly resource: string
  /**
   * The resource's own name: the load balancer's for a load balancer, listener or rule; the
   * target group's, the cluster's, the service's; a task definition's family.
   */
  readonly name: string
  /**
   * `app/<name>/<id>` (`net/…`, `gwy/…` for other kinds of load balancer) of the load balancer a
   * load balancer, listener or rule ARN belongs to: CloudWatch's `LoadBalancer` dimension.
   */
  readonly loadBalancer?: string
  /** The listener's ARN, for a listener (itself) or a listener rule (its listener). */
  readonly listener?: string
  /** The cluster's name, in a long-form service ARN. */
  readonly cluster?: string
  /** A task definition's revision. */
  readonly revision?: number
}

const HEAD = /^arn:(aws[a-z-]*):(elasticloadbalancing|ecs):([a-z0-9-]+):(\d{12}):(.+)$/
const SEGMENT = '[^/\\s:]+'
const BALANCER = `((?:app|net|gwy)/${SEGMENT}/${SEGMENT})`
/** Task definition families: letters, digits, hyphens and underscores, up to 255. */
export const FAMILY = '[A-Za-z0-9_-]{1,255}'

/** One resource pattern per kind; the groups feed `build`. */
const FORMS: readonly {
  readonly service: string
  readonly kind: ArnKind
  readonly pattern: RegExp
}[] = [
  {
    service: 'elasticloadbalancing',
    kind: 'listener-rule',
    pattern: new RegExp(`^listener-rule/${BALANCER}/(${SEGMENT})/${SEGMENT}$`)
  },
  {
    service: 'elasticloadbalancing',
    kind: 'listener',
    pattern: new RegExp(`^listener/${BALANCER}/(${SEGMENT})$`)
  },
  {
    service: 'elasticloadbalancing',
    kind: 'load-balancer',
    pattern: new RegExp(`^loadbalancer/${BALANCER}$`)
  },
  {
    service: 'elasticloadbalancing',
    kind: 'target-group',
    pattern: new RegExp(`^targetgroup/(${SEGMENT})/${SEGMENT}$`)
  },
  { service: 'ecs', kind: 'cluster', pattern: new RegExp(`^cluster/(${SEGMENT})$`) },
  {
    service: 'ecs',
    kind: 'service',
    pattern: new RegExp(`^service/(?:(${SEGMENT})/)?(${SEGMENT})$`)
  },
  {
    service: 'ecs',
    kind: 'task-definition',
    pattern: new RegExp(`^task-definition/(${FAMILY}):(\\d+)$`)
  }
]

/** Takes an ARN apart; `undefined` for anything that is not one of the forms above. */
export function parseArn(text: string): Arn | undefined {
  const head = HEAD.exec(text)
  if (!head) return undefined
  const [, partition, service, region, account, resource] = head
  for (const form of FORMS) {
    if (form.service !== service) continue
    const m = form.pattern.exec(resource)
    if (m) return build({ arn: text, kind: form.kind, partition, region, account, resource }, m)
  }
  return undefined
}

/** `text` parsed, when it is one of `kinds`; `undefined` otherwise. */
export function parseArnOf(text: string, kinds: readonly ArnKind[]): Arn | undefined {
  const arn = parseArn(text)
  return arn && kinds.includes(arn.kind) ? arn : undefined
}

/** Whether a load balancer, listener or rule ARN belongs to an Application Load Balancer. */
export function isApplication(arn: Arn): boolean {
  return arn.loadBalancer?.startsWith('app/') ?? false
}

type Base = Pick<Arn, 'arn' | 'kind' | 'partition' | 'region' | 'account' | 'resource'>

function build(base: Base, m: RegExpExecArray): Arn {
  const prefix = `arn:${base.partition}:elasticloadbalancing:${base.region}:${base.account}`
  const balancerName = (lb: string) => lb.split('/')[1]
  switch (base.kind) {
    case 'listener-rule':
      return {
        ...base,
        name: balancerName(m[1]),
        loadBalancer: m[1],
        listener: `${prefix}:listener/${m[1]}/${m[2]}`
      }
    case 'listener':
      return { ...base, name: balancerName(m[1]), loadBalancer: m[1], listener: base.arn }
    case 'load-balancer':
      return { ...base, name: balancerName(m[1]), loadBalancer: m[1] }
    case 'service':
      return { ...base, name: m[2], ...(m[1] ? { cluster: m[1] } : {}) }
    case 'task-definition':
      return { ...base, name: m[1], revision: Number(m[2]) }
    default:
      return { ...base, name: m[1] }
  }
}
