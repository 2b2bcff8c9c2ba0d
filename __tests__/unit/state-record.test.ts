import { decodeText } from '../../src/engine/tag-text.js'
import { describe, expect, it } from '@jest/globals'
import { Tag } from '../../src/names.js'
import {
  decodeState,
  encodeState,
  ownerUrl,
  recordedState,
  tagValue
} from '../../src/engine/state.js'
import type { RecordedState } from '../../src/engine/state.js'
import type { Phase, RuleView } from '../../src/engine/types.js'

const STATE: RecordedState = {
  live: 'web-blue',
  idle: 'web-green',
  plan: '1 2 5 10 50 100',
  phase: 'in-progress',
  revision: 'web:7',
  owner: 'acme/web/runs/42/1',
  updated: '2026-12-06T03:00:00.000Z',
  reason: ''
}

function rule(arn: string, tags: Record<string, string>): RuleView {
  return { arn, kind: 'rule', forwardActions: 1, targets: [], tags }
}

describe('decodeState', () => {
  it.each<Phase>(['in-progress', 'paused', 'promoted', 'rolled-back'])(
    'reads a rule recorded as %s, so a running rollout is never taken for a free rule',
    phase => {
      expect(decodeState(encodeState({ ...STATE, phase }))?.phase).toBe(phase)
    }
  )

  it('reads no record from an unknown phase or a record without its pair', () => {
    expect(decodeState({ ...encodeState(STATE), [Tag.phase]: 'baking' })).toBeUndefined()
    const noIdle = encodeState(STATE)
    delete noIdle[Tag.idle]
    expect(decodeState(noIdle)).toBeUndefined()
  })
})

describe('recordedState', () => {
  it('answers with the first rule that carries a record, not merely the first rule', () => {
    const rules = [rule('r-bare', { team: 'web' }), rule('r-tagged', encodeState(STATE))]
    expect(recordedState(rules)).toEqual(STATE)
  })

  it('answers undefined when no rule carries a record', () => {
    expect(recordedState([rule('a', {}), rule('b', { team: 'web' })])).toBeUndefined()
  })
})

describe('ownerUrl', () => {
  it('links a run owner to its attempt', () => {
    expect(ownerUrl('acme/web/runs/42/3', { GITHUB_SERVER_URL: 'https://ghe.example' })).toBe(
      'https://ghe.example/acme/web/actions/runs/42/attempts/3'
    )
  })

  it('gives back an owner that is not a run as it is, since it is used inside error messages', () => {
    expect(ownerUrl('local/runs/x/1')).toBe('local/runs/x/1')
    expect(ownerUrl('someone-else')).toBe('someone-else')
  })
})

describe('tagValue', () => {
  it('keeps a value of exactly 255 characters whole, and cuts one of 256 to 255 ending in …', () => {
    const exact = 'a'.repeat(255)
    expect(tagValue(exact)).toBe(exact)
    const cut = tagValue('b'.repeat(256))
    expect(cut).toHaveLength(255)
    expect(decodeText(cut).endsWith('b…')).toBe(true)
  })
})
