import { describe, expect, it } from '@jest/globals'
import { readSettings } from '../../src/inputs/inputs.js'

const RULE =
  'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee'

function read(inputs: Record<string, string>) {
  const all: Record<string, string> = {
    cluster: 'web-cluster',
    services: 'web-blue web-green',
    'listener-rules': RULE,
    ...inputs
  }
  return readSettings(name => all[name] ?? '', { AWS_REGION: 'us-east-1' })
}

describe('capacity inputs', () => {
  it('defaults to match, 25% headroom, one task at least, and no rollback-now', () => {
    expect(read({})).toMatchObject({
      canaryCapacity: 'match',
      follow: { headroomTenths: 250, minTasks: 1 },
      rollbackNow: false
    })
  })

  it('reads follow with its headroom and minimum', () => {
    expect(
      read({
        'canary-capacity': 'follow',
        'canary-headroom': '12.5%',
        'canary-min-tasks': '2',
        'rollback-now': 'true'
      })
    ).toMatchObject({
      canaryCapacity: 'follow',
      follow: { headroomTenths: 125, minTasks: 2 },
      rollbackNow: true
    })
    expect(read({ 'canary-headroom': '0' }).follow.headroomTenths).toBe(0)
  })

  it.each([
    ['canary-headroom', '-5%', "Input 'canary-headroom': '-5%' is not a percentage"],
    ['canary-headroom', '1001%', "Input 'canary-headroom': '1001%' is not a percentage"],
    ['canary-headroom', '2.55', "Input 'canary-headroom': '2.55' is not a percentage"],
    ['canary-min-tasks', '0', "Input 'canary-min-tasks': '0' is not a whole number of tasks"],
    ['canary-min-tasks', '1.5', "Input 'canary-min-tasks': '1.5' is not a whole number"],
    ['rollback-now', 'sure', "Input 'rollback-now': 'sure' is not one of true/false"],
    [
      'canary-capacity',
      'half',
      "Input 'canary-capacity': 'half' is not one of 'match', 'keep', 'follow'"
    ]
  ])('refuses %s: %s', (name, value, message) => {
    expect(() => read({ [name]: value })).toThrow(message)
  })
})
