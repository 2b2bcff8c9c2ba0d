/**
 * Target health as ELB reports it, which moto does not: targets of tasks that a scale-up (or a
 * new task definition) started are `initial` until they pass their first health checks, and
 * targets of tasks a scale-down stops are `draining` and then gone. moto registers the
 * fixture's ip targets once and calls them `healthy` for good, so the stand-in watches the
 * action's UpdateService calls and rewrites DescribeTargetHealth. Sources: README.md here.
 */
import { members, replaceMembers, elementText } from './strict-xml.js'

interface GroupState {
  /** Targets are `initial` from `since` until `until`. */
  warm?: { since: number; until: number }
  /** The last `count` targets (by id) drain until `until`, then are gone. */
  leaving?: { count: number; until: number }
  /** Registered through the proxy: each target's initial window. */
  registered: Map<string, number>
}

/** What one ECS service looked like the last time an answer showed it. */
interface ServiceSeen {
  desiredCount: number
  taskDefinition?: string
}

interface EcsService {
  serviceArn?: string
  desiredCount?: number
  taskDefinition?: string
  loadBalancers?: { targetGroupArn?: string }[]
}

/** The target lifecycle, per target group ARN (ARNs carry the account, so tests never mix). */
export class TargetLifecycle {
  private readonly groups = new Map<string, GroupState>()
  private readonly services = new Map<string, ServiceSeen>()

  /** Notes every service a DescribeServices / UpdateService answer shows. */
  sawServices(list: readonly EcsService[]): void {
    for (const svc of list) {
      if (!svc.serviceArn) continue
      this.services.set(svc.serviceArn, {
        desiredCount: svc.desiredCount ?? 0,
        taskDefinition: svc.taskDefinition
      })
    }
  }

  /** A successful UpdateService: new tasks warm up, stopped ones drain. */
  updated(svc: EcsService, now: number, times: { initialMs: number; drainingMs: number }): void {
    const before = svc.serviceArn ? this.services.get(svc.serviceArn) : undefined
    const desired = svc.desiredCount ?? 0
    const newTasks =
      before === undefined ||
      desired > before.desiredCount ||
      (svc.taskDefinition !== undefined && svc.taskDefinition !== before.taskDefinition)
    for (const lb of svc.loadBalancers ?? []) {
      if (!lb.targetGroupArn) continue
      const group = this.group(lb.targetGroupArn)
      if (newTasks && desired > 0) {
        group.warm = { since: now, until: now + times.initialMs }
        group.leaving = undefined
      } else if (before && desired < before.desiredCount) {
        const already = group.leaving?.count ?? 0
        group.leaving = {
          count: already + before.desiredCount - desired,
          until: now + times.drainingMs
        }
      }
    }
    this.sawServices([svc])
  }

  /** RegisterTargets through the proxy: those targets are `initial` for `initialMs`. */
  registered(targetGroupArn: string, ids: readonly string[], now: number, initialMs: number) {
    const group = this.group(targetGroupArn)
    for (const id of ids) group.registered.set(id, now + initialMs)
  }

  /** Rewrites moto's DescribeTargetHealth answer for `targetGroupArn` as ELB would show it. */
  rewrite(xml: string, targetGroupArn: string, now: number): string {
    const group = this.groups.get(targetGroupArn)
    if (!group) return xml
    const found = members(xml, 'TargetHealthDescriptions')
    const ids = found.map(m => elementText(m.text.slice(m.text.indexOf('<Target>')), 'Id') ?? '')
    const leaving = new Set(
      group.leaving ? [...ids].sort().slice(Math.max(0, ids.length - group.leaving.count)) : []
    )
    const texts = found.map((member, i) => {
      const id = ids[i]
      // moto's own states (a target it deregistered drains there too) are left alone.
      if (elementText(member.text, 'State') !== 'healthy') return undefined
      if (leaving.has(id) && group.leaving) {
        if (now >= group.leaving.until) return ''
        return withHealth(member.text, 'draining', 'Target.DeregistrationInProgress', DRAINING)
      }
      const registeredUntil = group.registered.get(id)
      const warm = group.warm && now < group.warm.until
      if ((registeredUntil !== undefined && now < registeredUntil) || warm) {
        // ELB first registers a target, then runs the health checks that make it healthy.
        const early = group.warm ? now < (group.warm.since + group.warm.until) / 2 : true
        return early
          ? withHealth(member.text, 'initial', 'Elb.RegistrationInProgress', REGISTERING)
          : withHealth(member.text, 'initial', 'Elb.InitialHealthChecking', CHECKING)
      }
      return undefined
    })
    return replaceMembers(xml, found, texts)
  }

  private group(arn: string): GroupState {
    let group = this.groups.get(arn)
    if (!group) {
      group = { registered: new Map() }
      this.groups.set(arn, group)
    }
    return group
  }
}

const REGISTERING = 'Target registration is in progress'
const CHECKING = 'Initial health checks in progress'
const DRAINING = 'Target deregistration is in progress'

function withHealth(member: string, state: string, reason: string, description: string): string {
  const health =
    `<TargetHealth><State>${state}</State><Reason>${reason}</Reason>` +
    `<Description>${description}</Description></TargetHealth>`
  return member.replace(/<TargetHealth>[\s\S]*?<\/TargetHealth>|<TargetHealth\/>/, health)
}
