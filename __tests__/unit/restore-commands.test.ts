import { describe, it, expect } from '@jest/globals'
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2'
import type { Action } from '@aws-sdk/client-elastic-load-balancing-v2'
import { printNow, restoreCommands } from '../../src/aws/elb/restore-commands.js'
import type { RestoreHost } from '../../src/aws/elb/restore.js'
import { RuleReader, type Entry, type Found } from '../../src/aws/elb/rules.js'
import type { GroupPair } from '../../src/engine/types.js'
import { FakeClock, MemoryLog } from './fakes.js'

const REGION = 'eu-west-1'
const ACCOUNT = `arn:aws:elasticloadbalancing:${REGION}:123456789012`
const BLUE = `${ACCOUNT}:targetgroup/web-blue/1111111111111111`
const GREEN = `${ACCOUNT}:targetgroup/web-green/2222222222222222`
const OTHER = `${ACCOUNT}:targetgroup/web-other/3333333333333333`
const LISTENER = `${ACCOUNT}:listener/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2`
const API = `${ACCOUNT}:listener-rule/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee`
const ADMIN = `${ACCOUNT}:listener-rule/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2/4a1b2c3d4e5f6a7b`
const groups: GroupPair = { live: BLUE, idle: GREEN }

/** The forward-only list a never-read rule gets, as the CLI takes it. */
const FORWARD_ONLY = JSON.stringify([
  {
    Type: 'forward',
    ForwardConfig: {
      TargetGroups: [
        { TargetGroupArn: BLUE, Weight: 100 },
        { TargetGroupArn: GREEN, Weight: 0 }
      ]
    }
  }
])

const split = (blue: number, green: number): Action[] => [
  {
    Type: 'forward',
    Order: 1,
    ForwardConfig: {
      TargetGroups: [
        { TargetGroupArn: BLUE, Weight: blue },
        { TargetGroupArn: GREEN, Weight: green }
      ]
    }
  }
]

const ruleEntry = (arn: string, actions: Action[]): Entry => ({
  arn,
  kind: 'rule',
  call: 'ModifyRule',
  target: arn,
  label: `listener rule ${arn}`,
  actions
})

/** A restore host over `arns` whose cache holds `entries` (none: never read). */
function host(arns: string[], entries?: Entry[]) {
  const log = new MemoryLog()
  const cache: Found | undefined = entries && new Map(entries.map(e => [e.arn, e]))
  const h: RestoreHost = {
    reader: new RuleReader(new ElasticLoadBalancingV2Client({ region: REGION }), arns, REGION),
    deps: { clock: new FakeClock(), log, region: REGION },
    cached: () => cache,
    remember: () => undefined,
    write: async () => undefined
  }
  return { host: h, log }
}

describe('restoreCommands', () => {
  it('puts 100 % on live in the command of a rule as last read', () => {
    const { host: h } = host([API], [ruleEntry(API, split(90, 10))])

    expect(restoreCommands(h, groups)).toEqual([
      `aws elbv2 modify-rule --region ${REGION} --rule-arn ${API} --actions '${JSON.stringify(split(100, 0))}'`
    ])
  })

  it('writes a default rule through its listener, as read', () => {
    const entry: Entry = {
      ...ruleEntry(API, split(50, 50)),
      call: 'ModifyListener',
      target: LISTENER,
      label: `default rule ${API} (listener ${LISTENER})`
    }
    const { host: h } = host([API], [entry])

    expect(restoreCommands(h, groups)).toEqual([
      `aws elbv2 modify-listener --region ${REGION} --listener-arn ${LISTENER} --default-actions '${JSON.stringify(split(100, 0))}'`
    ])
  })

  it('offers a never-read rule a forward-only modify-rule, after a warning line', () => {
    const { host: h } = host([API])

    expect(restoreCommands(h, groups)).toEqual([
      `# The actions of ${API} were never read: this replaces them with a single forward; check 'aws elbv2 describe-rules' first`,
      `aws elbv2 modify-rule --region ${REGION} --rule-arn ${API} --actions '${FORWARD_ONLY}'`
    ])
  })

  it('offers a never-read listener a forward-only modify-listener on its default actions', () => {
    const { host: h } = host([LISTENER], [])

    expect(restoreCommands(h, groups)).toEqual([
      `# The actions of ${LISTENER} were never read: this replaces them with a single forward; check 'aws elbv2 describe-rules' first`,
      `aws elbv2 modify-listener --region ${REGION} --listener-arn ${LISTENER} --default-actions '${FORWARD_ONLY}'`
    ])
  })

  it('says why, as a comment, for a rule whose actions cannot carry the weights', () => {
    const stranger: Action[] = [
      {
        Type: 'forward',
        ForwardConfig: {
          TargetGroups: [
            { TargetGroupArn: BLUE, Weight: 50 },
            { TargetGroupArn: OTHER, Weight: 50 }
          ]
        }
      }
    ]
    const { host: h } = host(
      [ADMIN, API],
      [ruleEntry(ADMIN, stranger), ruleEntry(API, split(1, 0))]
    )

    const [comment, command] = restoreCommands(h, groups)

    expect(comment).toBe(
      `# ActionsError: listener rule ${ADMIN} forwards to target group ${OTHER}, which belongs to neither service of the pair; make the rule forward only to ${BLUE} and ${GREEN}`
    )
    expect(command).toContain(`--rule-arn ${API}`)
  })
})

describe('printNow', () => {
  const commandFor = (arn: string) =>
    `aws elbv2 modify-rule --region ${REGION} --rule-arn ${arn} --actions '${JSON.stringify(split(100, 0))}'`

  it('warns with the reason per rule and only the commands of those rules', () => {
    const { host: h, log } = host(
      [API, ADMIN, LISTENER],
      [ruleEntry(API, split(90, 10)), ruleEntry(ADMIN, split(90, 10))]
    )

    printNow(h, [ADMIN], { [ADMIN]: 'AccessDenied: not authorized' }, groups)

    expect(log.lines).toEqual([
      `warning: Traffic on these rules cannot be restored automatically (${ADMIN}: AccessDenied: not authorized). Run these commands now to put all traffic back on the live target group:\n${commandFor(ADMIN)}`
    ])
  })

  it("names each rule, and 'not verified' where no reason is known", () => {
    const { host: h, log } = host(
      [API, ADMIN],
      [ruleEntry(API, split(90, 10)), ruleEntry(ADMIN, split(90, 10))]
    )

    printNow(h, [API, ADMIN], { [API]: 'Throttling: slow down' }, groups)

    expect(log.lines).toEqual([
      `warning: Traffic on these rules cannot be restored automatically (${API}: Throttling: slow down; ${ADMIN}: not verified). Run these commands now to put all traffic back on the live target group:\n${commandFor(API)}\n${commandFor(ADMIN)}`
    ])
  })
})
