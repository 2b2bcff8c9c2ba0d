import { describe, expect, it } from '@jest/globals'
import { Tag } from '../../src/names.js'
import { decodeState, encodeState, ownerUrl, type RecordedState } from '../../src/engine/state.js'

// Tag values a record may carry that are not quite what this action writes.

const SHA = '8f14e45fceea167a5a36dedd4bea2543e2e7c0a1'
const base = { [Tag.phase]: 'paused', [Tag.live]: 'web-blue', [Tag.idle]: 'web-green' }

describe('the commit tag read back', () => {
  it.each(['not-a-sha', `${SHA}0`, `x${SHA}`, SHA.toUpperCase()])(
    'is ignored unless it is exactly 40 lower-case hex: %j',
    commit => {
      expect(decodeState({ ...base, [Tag.commit]: commit })).not.toHaveProperty('commit')
    }
  )

  it('is kept when it is a full sha', () => {
    expect(decodeState({ ...base, [Tag.commit]: SHA })?.commit).toBe(SHA)
  })
})

describe('the commit tag written', () => {
  const state: RecordedState = {
    live: 'web-blue',
    idle: 'web-green',
    plan: '100:5m',
    phase: 'in-progress',
    revision: 'web:8',
    owner: 'acme/web/runs/42/1',
    updated: '2026-12-06T03:00:00Z',
    reason: ''
  }
  it.each([`${SHA}0`, `x${SHA}`])('is written empty for %j', commit => {
    expect(encodeState({ ...state, commit })[Tag.commit]).toBe('')
  })
})

describe('the alarms tag read back', () => {
  it('drops empty names left by a stray separator', () => {
    expect(decodeState({ ...base, [Tag.alarms]: 'web-5xx / web-latency / ' })?.alarms).toEqual([
      'web-5xx',
      'web-latency'
    ])
  })
})

describe('ownerUrl of text that only ends like a run', () => {
  it('does not link it', () => {
    expect(ownerUrl('note\nacme/web/runs/42/1', {})).toBe('note\nacme/web/runs/42/1')
  })
})
