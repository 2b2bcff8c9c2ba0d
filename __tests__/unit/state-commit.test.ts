import { describe, expect, it } from '@jest/globals'
import { Tag } from '../../src/names.js'
import { decodeState, encodeState, type RecordedState } from '../../src/engine/state.js'

const state: RecordedState = {
  live: 'web-blue',
  idle: 'web-green',
  plan: '10:pause 100:5m',
  phase: 'paused',
  revision: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/web:8',
  owner: 'acme/web/runs/42/1',
  updated: '2026-12-06T03:00:00Z',
  reason: '',
  commit: '8f14e45fceea167a5a36dedd4bea2543e2e7c0a1'
}

describe('the deployed commit in the record', () => {
  it('is kept under ecs-canary:commit as the full 40-hex sha and read back', () => {
    const tags = encodeState(state)
    expect(Tag.commit).toBe('ecs-canary:commit')
    expect(tags['ecs-canary:commit']).toBe(state.commit)
    expect(decodeState(tags)?.commit).toBe(state.commit)
  })

  it('is written empty when unknown, so a deploy never inherits the last one', () => {
    const tags = encodeState({ ...state, commit: 'abc1234' })
    expect(tags['ecs-canary:commit']).toBe('')
    expect(decodeState(tags)?.commit).toBeUndefined()
  })
})
