import { describe, expect, it } from '@jest/globals'
import { Tag } from '../../src/names.js'
import {
  decodeState,
  encodeState,
  ownerUrl,
  runOwner,
  tagValue,
  type RecordedState
} from '../../src/engine/state.js'

/** ELB API reference, `Tag` Value pattern; at most 255 characters (ALB guide). */
const ELB_TAG_VALUE = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{0,255}$/u

const state: RecordedState = {
  live: 'web-blue',
  idle: 'web-green',
  plan: '0.5:2m 5:10m 25:pause 100:5m',
  phase: 'paused',
  revision: 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:42',
  owner: 'acme/web/runs/123456/2',
  updated: '2026-11-28T12:00:00Z',
  reason: 'paused at 25%'
}

describe('encodeState / decodeState', () => {
  it('round-trips a record through tags ELB accepts', () => {
    const tags = encodeState(state)
    for (const value of Object.values(tags)) expect(value).toMatch(ELB_TAG_VALUE)
    expect(decodeState(tags)).toEqual(state)
  })

  it('makes any reason valid tag values that read back exactly, split across tags', () => {
    const reason = `alarm "web-5xx" is in ALARM: Threshold Crossed (5%, 3 of 3 > 2) é ${'x'.repeat(400)}`
    const tags = encodeState({ ...state, reason })
    for (const value of Object.values(tags)) expect(value).toMatch(ELB_TAG_VALUE)
    expect(tags[`${Tag.reason}:2`].length).toBeGreaterThan(0)
    expect(decodeState(tags)?.reason).toBe(reason)
    // A single value is cut at 255, with a mark.
    expect(tagValue(reason)).toHaveLength(255)
  })

  it('finds no record on a rule without one, or with a phase it does not know', () => {
    expect(decodeState({})).toBeUndefined()
    expect(decodeState({ ...encodeState(state), [Tag.phase]: 'exploded' })).toBeUndefined()
  })
})

describe('runOwner / ownerUrl', () => {
  it('names the run and links to its attempt', () => {
    const env = {
      GITHUB_REPOSITORY: 'acme/web',
      GITHUB_RUN_ID: '123456',
      GITHUB_RUN_ATTEMPT: '2',
      GITHUB_SERVER_URL: 'https://github.example.com'
    }
    expect(runOwner(env)).toBe('acme/web/runs/123456/2')
    expect(ownerUrl(runOwner(env), env)).toBe(
      'https://github.example.com/acme/web/actions/runs/123456/attempts/2'
    )
  })
})
