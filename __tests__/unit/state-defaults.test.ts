// Edges of the tag record the mutation run (issue 17) found untested: the defaults a sparse
// record decodes to, the run identity outside GitHub, and owner tags that only look like a run.
import { describe, expect, it } from '@jest/globals'
import { Tag } from '../../src/names.js'
import { decodeState, ownerUrl, runOwner, tagValue } from '../../src/engine/state.js'

describe('decodeState of a sparse record', () => {
  it('reads absent fields as empty text, so messages never show invented values', () => {
    const tags = { [Tag.phase]: 'paused', [Tag.live]: 'web-blue', [Tag.idle]: 'web-green' }
    expect(decodeState(tags)).toEqual({
      live: 'web-blue',
      idle: 'web-green',
      plan: '',
      phase: 'paused',
      revision: '',
      owner: '',
      updated: '',
      reason: ''
    })
  })
})

describe('tagValue', () => {
  it('writes a refused character as =XX (UTF-8), and keeps allowed ones as they are', () => {
    expect(tagValue('rolled back (alarm)')).toBe('rolled back =28alarm=29')
    expect(tagValue('a,b=c')).toBe('a=2Cb=3Dc')
    expect(tagValue('ok: web-1 @ 5.0/s + 2')).toBe('ok: web-1 @ 5.0/s + 2')
  })
})

describe('runOwner', () => {
  it('names a local run with placeholders a later run can still parse', () => {
    expect(runOwner({})).toBe('local/runs/0/1')
    expect(ownerUrl(runOwner({}), {})).toBe('https://github.com/local/actions/runs/0/attempts/1')
  })
})

describe('ownerUrl', () => {
  it('links a run whose attempt has several digits', () => {
    expect(ownerUrl('acme/web/runs/42/12', {})).toBe(
      'https://github.com/acme/web/actions/runs/42/attempts/12'
    )
  })

  it('leaves an owner with text after the attempt as written', () => {
    expect(ownerUrl('acme/web/runs/42/1-retry', {})).toBe('acme/web/runs/42/1-retry')
  })
})
