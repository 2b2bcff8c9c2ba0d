import { describe, expect, it } from '@jest/globals'
import { ActionsError, hasWeights, shellQuote } from '../../src/aws/elb/actions.js'
import type { GroupPair } from '../../src/engine/types.js'

const GROUPS: GroupPair = { live: 'tg-blue', idle: 'tg-green' }

describe('hasWeights', () => {
  const pair = [
    { arn: 'tg-blue', weight: 95 },
    { arn: 'tg-green', weight: 5 }
  ]

  it('holds for exactly the pair at the weights asked for', () => {
    expect(hasWeights(pair, GROUPS, { live: 95, idle: 5 })).toBe(true)
  })

  it('fails when a third group is present, even at weight 0', () => {
    const third = [...pair, { arn: 'tg-other', weight: 0 }]
    expect(hasWeights(third, GROUPS, { live: 95, idle: 5 })).toBe(false)
  })

  it('fails when only the live weight differs', () => {
    expect(hasWeights(pair, GROUPS, { live: 90, idle: 5 })).toBe(false)
  })

  it('fails when only the idle weight differs', () => {
    expect(hasWeights(pair, GROUPS, { live: 95, idle: 10 })).toBe(false)
  })

  it('counts an absent idle group as weight 0', () => {
    expect(hasWeights([{ arn: 'tg-blue', weight: 1 }], GROUPS, { live: 1, idle: 0 })).toBe(true)
  })
})

describe('shellQuote', () => {
  it('leaves a safe word bare', () => {
    expect(shellQuote('arn:aws:elasticloadbalancing:us-east-1:1:listener/app/w/1/2')).toBe(
      'arn:aws:elasticloadbalancing:us-east-1:1:listener/app/w/1/2'
    )
  })

  it.each(['; rm -rf /', 'a b', '$(id)', 'ok;', ';ok', '{"Type":"forward"}'])(
    'quotes %p, whether the unsafe part is at the start, the end or inside',
    word => {
      const quoted = shellQuote(word)
      expect(quoted.startsWith("'")).toBe(true)
      expect(quoted.endsWith("'")).toBe(true)
    }
  )

  it('escapes a single quote inside a quoted word', () => {
    expect(shellQuote("it's")).toBe(`'it'\\''s'`)
  })
})

describe('ActionsError', () => {
  it('carries its own name, which the logs show', () => {
    expect(new ActionsError('x').name).toBe('ActionsError')
  })
})
