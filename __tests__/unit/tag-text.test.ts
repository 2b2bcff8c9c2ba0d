import { describe, expect, it } from '@jest/globals'
import { MAX_TAG_VALUE as STANDIN_MAX, StrictStandIn } from '../e2e/support/aws-strict.js'
import type { AwsRequest } from '../e2e/support/aws-wire.js'
import { Tag } from '../../src/names.js'
import { alarmTags, decodeState, encodeState, type RecordedState } from '../../src/engine/state.js'
import {
  decodeText,
  ELB_TAG_PATTERN,
  encodeParts,
  encodeText,
  MAX_TAG_VALUE,
  readTextTags,
  textTags
} from '../../src/engine/tag-text.js'

/** Texts that broke the old cleaning: quotes, %, (), >, commas, non-ASCII, emoji, edges. */
const HARD = [
  'paused at 50%',
  'rolled back by hand from 20% (https://github.com/acme/web/actions/runs/1)',
  'web-p99-latency ALARM (p99 3.2s > 1s)',
  'Schwellenwert überschritten: Größe ≥ 5 — naïve café 日本語 🚀',
  '  leading and trailing  ',
  'a=b =41 =ZZ',
  'line one\nline two\ttab',
  ''
]

describe('tag-text encoding', () => {
  it('reads every text back exactly, as values ELB accepts', () => {
    for (const text of HARD) {
      const value = encodeText(text)
      expect(value).toMatch(ELB_TAG_PATTERN)
      expect(value).not.toMatch(/^ | $/)
      expect(decodeText(value)).toBe(text)
    }
  })

  it('keeps letters, digits and allowed characters readable', () => {
    expect(encodeText('web-5xx is ALARM: 12:00 @ us-east-1/a + b_c.d')).toBe(
      'web-5xx is ALARM: 12:00 @ us-east-1/a + b_c.d'
    )
    expect(encodeText('50% (p99)')).toBe('50=25 =28p99=29')
  })

  it('reads a record an earlier version wrote (plain text) as it was written', () => {
    expect(decodeText('paused at 50')).toBe('paused at 50')
    expect(decodeText('x=y =G1 =FF')).toBe('x=y =G1 =FF')
  })

  it('splits a long text across parts of at most 255, none starting or ending with a space', () => {
    const text = `${'é '.repeat(300)}🚀 ${'word '.repeat(100)}`
    for (const parts of [1, 2, 4]) {
      const values = encodeParts(text, parts)
      expect(values).toHaveLength(parts)
      for (const v of values) {
        expect(v.length).toBeLessThanOrEqual(MAX_TAG_VALUE)
        expect(v).toMatch(ELB_TAG_PATTERN)
        expect(v).not.toMatch(/^ | $/)
      }
    }
    const tags = textTags('k', text, 8)
    expect(readTextTags(tags, 'k', 8)).toBe(text)
    // Too long for its parts: cut at a character, with a mark.
    const cut = readTextTags(textTags('k', text, 2), 'k', 2) ?? ''
    expect(cut.endsWith('…')).toBe(true)
    expect(text.startsWith(cut.slice(0, -1))).toBe(true)
  })

  it('writes every part, so a shorter text leaves no stale part behind', () => {
    const long = textTags('k', 'x'.repeat(600), 4)
    const short = textTags('k', 'short', 4)
    expect(Object.keys(short)).toEqual(Object.keys(long))
    expect(readTextTags({ ...long, ...short }, 'k', 4)).toBe('short')
  })
})

describe('the record through the tags', () => {
  const state: RecordedState = {
    live: 'web-blue',
    idle: 'web-green',
    plan: '1:5m 50:pause 100:5m',
    phase: 'paused',
    revision: 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:7',
    owner: 'acme/web/runs/42/1',
    updated: '2026-12-07T19:00:00Z',
    reason: HARD[3],
    job: 'deploy (prod)',
    jobId: 99
  }

  it('keeps alarm names with any printable character, and reads the old list format', () => {
    const names = ['web 5xx (prod) [p99]', 'a / b', 'ünïcode, "quoted"']
    const { tags, left } = alarmTags(names)
    expect(left).toEqual([])
    expect(decodeState({ ...encodeState(state), ...tags })?.alarms).toEqual(names)
    // Before the encoding, names were joined with ' / '.
    expect(
      decodeState({ ...encodeState(state), [Tag.alarms]: 'web-5xx / web-p99' })?.alarms
    ).toEqual(['web-5xx', 'web-p99'])
  })

  it('says which alarm names did not fit', () => {
    const names = Array.from(
      { length: 20 },
      (_, i) => `${String(i).padStart(2, '0')}${'n'.repeat(60)}`
    )
    const { tags, left } = alarmTags(names)
    expect(left.length).toBeGreaterThan(0)
    expect(decodeState({ ...encodeState(state), ...tags })?.alarms).toEqual(
      names.slice(0, names.length - left.length)
    )
  })

  it('round-trips the job that owns the rollout', () => {
    expect(decodeState(encodeState(state))).toEqual(state)
  })
})

describe('the strict stand-in against the rule it cites', () => {
  const standIn = new StrictStandIn()
  const request: AwsRequest = {
    service: 'elasticloadbalancing',
    operation: 'AddTags',
    protocol: 'query',
    queryCompatible: false,
    attempt: 1
  }
  const addTags = (tags: Record<string, string>) => {
    const form = new URLSearchParams({ Action: 'AddTags', 'ResourceArns.member.1': 'arn:rule' })
    Object.entries(tags).forEach(([k, v], i) => {
      form.set(`Tags.member.${i + 1}.Key`, k)
      form.set(`Tags.member.${i + 1}.Value`, v)
    })
    return standIn.refuse(request, Buffer.from(form.toString()))?.rule
  }

  it("holds the ALB guide's 255 and ELB's character set, as the action does", () => {
    expect(STANDIN_MAX).toBe(MAX_TAG_VALUE)
    expect(addTags({ k: 'v'.repeat(255) })).toBeUndefined()
    expect(addTags({ k: 'v'.repeat(256) })).toBe('tag-syntax')
    expect(addTags({ k: 'paused at 50%' })).toBe('tag-syntax')
    expect(addTags({ k: 'web 5xx (prod)' })).toBe('tag-syntax')
    expect(addTags({ k: 'Größe ü: 5' })).toBeUndefined()
    expect(addTags({ k: 'a_b.c:d/e=f+g-h@i' })).toBeUndefined()
  })

  it('accepts every record the action writes, however hard the text', () => {
    for (const reason of HARD) {
      const tags = {
        ...encodeState({
          ...{
            live: 'a',
            idle: 'b',
            plan: '',
            phase: 'paused',
            revision: '',
            owner: '',
            updated: ''
          },
          reason
        }),
        ...alarmTags([reason || 'x']).tags
      }
      expect(addTags(tags)).toBeUndefined()
    }
  })
})
