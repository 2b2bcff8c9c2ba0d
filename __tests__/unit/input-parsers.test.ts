import { describe, it, expect } from '@jest/globals'
import {
  headroom,
  list,
  minTasks,
  onOff,
  oneOf,
  pair,
  roleArn,
  unique
} from '../../src/inputs/input-parsers.js'
import { InputError } from '../../src/engine/plan.js'

/** The message of the InputError `run` throws (fails the test when it throws nothing). */
function refusal(run: () => unknown): string {
  try {
    run()
  } catch (err) {
    expect(err).toBeInstanceOf(InputError)
    return (err as Error).message
  }
  throw new Error('expected an InputError, nothing was thrown')
}

describe('list', () => {
  it('splits on commas, spaces and newlines, with no empty entries', () => {
    expect(list('a,b c\nd')).toEqual(['a', 'b', 'c', 'd'])
    expect(list('  a ,,  b\n\n c, ')).toEqual(['a', 'b', 'c'])
    expect(list('')).toEqual([])
    expect(list(' \n, ')).toEqual([])
  })
})

describe('unique and pair', () => {
  it('refuses a value listed twice, naming it', () => {
    expect(unique('x', ['a', 'b'])).toEqual(['a', 'b'])
    expect(refusal(() => unique('listener-rules', ['a', 'b', 'a']))).toBe(
      "Input 'listener-rules': 'a' is listed twice"
    )
  })

  it('takes two services however they are separated', () => {
    expect(pair(' web-blue ,\n web-green ')).toEqual(['web-blue', 'web-green'])
  })
})

describe('roleArn', () => {
  it.each([
    '',
    'arn:aws:iam::123456789012:role/deploy',
    'arn:aws:iam::123456789012:role/path/to/deploy',
    'arn:aws-cn:iam::123456789012:role/deploy',
    'arn:aws-us-gov:iam::123456789012:role/deploy'
  ])('takes %p', value => {
    expect(roleArn(value)).toBe(value)
  })

  it.each([
    'deploy',
    'xarn:aws:iam::123456789012:role/deploy',
    ' arn:aws:iam::123456789012:role/deploy',
    'arn:aws:iam::123456789012:role/deploy extra',
    'arn:aws:iam::123456789012:role/deploy\n',
    'arn:aws:iam::123456789012:user/deploy',
    'arn:aws:iam::12345678901:role/deploy',
    'arn:aws0:iam::123456789012:role/deploy',
    'arn:aws:iam::123456789012:role/'
  ])('refuses %p, naming it', value => {
    expect(refusal(() => roleArn(value))).toBe(
      `Input 'role-to-assume': '${value}' is not an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)`
    )
  })
})

describe('oneOf', () => {
  it('takes an allowed word in any case, and names the allowed ones otherwise', () => {
    expect(oneOf('mode', 'Deploy', ['deploy', 'rollback'])).toBe('deploy')
    expect(refusal(() => oneOf('mode', 'promote!', ['deploy', 'rollback']))).toBe(
      "Input 'mode': 'promote!' is not one of 'deploy', 'rollback'"
    )
  })
})

describe('onOff', () => {
  it.each(['on', 'ON', 'true', 'True', 'yes', 'YES'])('reads %p as on', value => {
    expect(onOff('health-gate', value)).toBe(true)
  })

  it.each(['off', 'Off', 'false', 'FALSE', 'no', 'No'])('reads %p as off', value => {
    expect(onOff('health-gate', value)).toBe(false)
  })

  it.each(['onward', 'neon', 'yesterday', 'untrue', 'offset', 'takeoff', 'nope', 'casino', ''])(
    'refuses %p: only the whole word counts',
    value => {
      expect(refusal(() => onOff('health-gate', value))).toBe(
        `Input 'health-gate': '${value}' is neither on nor off`
      )
    }
  )
})

describe('headroom', () => {
  it('reads a percentage as tenths, from 0% to 1000%', () => {
    expect(headroom('')).toBe(250)
    expect(headroom('0')).toBe(0)
    expect(headroom('25%')).toBe(250)
    expect(headroom('12.5 %')).toBe(125)
    expect(headroom('1000%')).toBe(10_000)
    expect(headroom('1000')).toBe(10_000)
  })

  it.each(['1000.1%', '1001%', '-5%', '12.55%', 'lots', '%'])('refuses %p', value => {
    expect(refusal(() => headroom(value))).toBe(
      `Input 'canary-headroom': '${value}' is not a percentage from 0% to 1000% with at most one decimal, such as '25%'`
    )
  })
})

describe('minTasks', () => {
  it('reads a whole number of tasks, 1 or more', () => {
    expect(minTasks('')).toBe(1)
    expect(minTasks('1')).toBe(1)
    expect(minTasks('2')).toBe(2)
    expect(minTasks('12')).toBe(12)
  })

  it.each(['0', '00', '-1', '1.5', ' 2', 'two'])('refuses %p', value => {
    expect(refusal(() => minTasks(value))).toBe(
      `Input 'canary-min-tasks': '${value}' is not a whole number of tasks, 1 or more`
    )
  })
})
