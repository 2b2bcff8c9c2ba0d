import { describe, expect, it } from '@jest/globals'
import { refusalSummary, restoreSummary } from '../../src/github/endings.js'
import { sharesText } from '../../src/modes/status.js'
import type { PairState, ServiceFacts } from '../../src/engine/preflight.js'

const service = (name: string): ServiceFacts => ({
  name,
  status: 'ACTIVE',
  controller: 'ECS',
  strategy: 'ROLLING',
  targetGroups: [],
  desiredCount: 2,
  taskDefinition: `arn:aws:ecs:eu-west-1:123456789012:task-definition/${name}:7`,
  family: name
})

function pair(live: string, idle: string, tenths: number): PairState {
  return {
    live: service(live),
    idle: service(idle),
    groups: { live: 'tg-l', idle: 'tg-i' },
    tenths
  }
}

describe('sharesText', () => {
  it('after a promotion names the service that takes all the traffic', () => {
    expect(sharesText(pair('web-green', 'web-blue', 0))).toBe('web-green takes 100%')
  })

  it('names both services with their shares mid-rollout', () => {
    expect(sharesText(pair('web-blue', 'web-green', 50))).toBe('web-green takes 5%, web-blue 95%')
  })
})

describe('refusalSummary', () => {
  it('says nothing changed, quotes the reason, and names the revision and commit', () => {
    const markdown = refusalSummary({
      cluster: 'prod',
      services: ['web-blue', 'web-green'],
      mode: 'deploy',
      reason: 'alarm web-5xx is in ALARM now',
      revision: 'web:8',
      commit: 'c'.repeat(40)
    })
    expect(markdown).toContain('**Refused** (`mode: deploy`): nothing was changed.')
    expect(markdown).toContain('alarm web-5xx is in ALARM now')
    expect(markdown).toContain(`Revision \`web:8\` · commit \`${'c'.repeat(40)}\``)
  })
})

describe('restoreSummary', () => {
  it('tells a restore by the post step, with the revision and commit from the record', () => {
    const markdown = restoreSummary({
      by: 'the post step',
      restored: true,
      liveService: 'web-blue',
      idleService: 'web-green',
      reason: 'the job ended mid-rollout',
      revision: 'web:8',
      commit: 'd'.repeat(40)
    })
    expect(markdown).toContain('**Rolled back** by the post step: all traffic is back on web-blue.')
    expect(markdown).toContain('Revision `web:8`')
  })

  it('gives the commands and the weights labelled by service when traffic is not restored', () => {
    const markdown = restoreSummary({
      by: 'the watchdog (mode: reconcile)',
      restored: false,
      liveService: 'web-blue',
      idleService: 'web-green',
      reason: 'AccessDenied',
      rules: [
        {
          arn: 'rule-1',
          weights: [
            ['web-blue', 95],
            ['web-green', 5]
          ]
        }
      ],
      commands: ['aws elbv2 modify-rule --rule-arn rule-1']
    })
    expect(markdown).toContain('**Traffic NOT restored**')
    expect(markdown).toContain('| Rule | web-blue weight | web-green weight | Note |')
    expect(markdown).toContain('| rule-1 | 95 | 5 | — |')
    expect(markdown).toContain('aws elbv2 modify-rule --rule-arn rule-1')
  })
})
