import { describe, expect, it } from '@jest/globals'
import { parseArn, targetGroupName } from '../../src/arn.js'

// ARNs with something before or after them are not ARNs.

const TG = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web-green/0123abcd'
const ALARM = 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:web-5xx'

describe('parseArn of text around an ARN', () => {
  it('refuses text before or after it', () => {
    expect(parseArn(TG)?.name).toBe('web-green')
    expect(parseArn(`x${TG}`)).toBeUndefined()
    expect(parseArn(`${TG}\n`)).toBeUndefined()
  })

  it('names an alarm only when its resource starts with alarm:', () => {
    expect(parseArn(ALARM)).toMatchObject({ kind: 'alarm', name: 'web-5xx' })
    expect(parseArn(ALARM.replace(':alarm:', ':xalarm:'))).toBeUndefined()
  })
})

describe('targetGroupName', () => {
  it('is the name in a target group ARN', () => {
    expect(targetGroupName(TG)).toBe('web-green')
  })

  it('gives anything else back as it is', () => {
    expect(targetGroupName('web-green')).toBe('web-green')
    expect(targetGroupName(ALARM)).toBe(ALARM)
  })
})
