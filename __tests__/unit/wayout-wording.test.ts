/** The ways out, word for word: people follow them, and suggestedRuns parses them back. */
import { describe, expect, it } from '@jest/globals'
import { finishOrUndo, rollbackTo, runWith, suggestedRuns } from '../../src/engine/wayout.js'

describe('runWith', () => {
  it('names one input alone, with nothing after it when no reason is given', () => {
    expect(runWith({ mode: 'deploy' })).toBe('run with `mode: deploy`')
    expect(runWith({ mode: 'deploy' }, '')).toBe('run with `mode: deploy`')
  })

  it('lists inputs with commas and a last "and", then the reason', () => {
    expect(runWith({ mode: 'deploy', 'allow-redeploy': 'true', to: 'web-blue' }, 'to retry')).toBe(
      'run with `mode: deploy`, `allow-redeploy: true` and `to: web-blue` to retry'
    )
  })
})

describe('rollbackTo', () => {
  it('names every service, the first as "all traffic", the others as "it all"', () => {
    expect(rollbackTo(['web-blue', 'web-green', 'web-red'])).toBe(
      'run with `mode: rollback` and `to: web-blue` to put all traffic on web-blue, or ' +
        'run with `mode: rollback` and `to: web-green` to put it all on web-green, or ' +
        'run with `mode: rollback` and `to: web-red` to put it all on web-red'
    )
  })
})

describe('finishOrUndo', () => {
  it('offers a promote to finish and a rollback to undo', () => {
    const text = finishOrUndo()
    expect(text).toBe(
      'run with `mode: promote` to finish it, or run with `mode: rollback` to undo it'
    )
    expect(suggestedRuns(text)).toEqual([{ mode: 'promote' }, { mode: 'rollback' }])
  })
})
