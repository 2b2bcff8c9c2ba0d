import { describe, expect, it } from '@jest/globals'
import { pauseWhy } from '../../src/github/pause-why.js'

describe('pauseWhy', () => {
  it('says a planned pause once, without repeating the share', () => {
    expect(pauseWhy('paused at 50% as planned')).toBe(', as the plan says')
  })

  it('gives any other reason after a colon, on one line', () => {
    expect(pauseWhy('expected 10% on web-green, found 50%.\nmore')).toBe(
      ': expected 10% on web-green, found 50%'
    )
    expect(pauseWhy('')).toBe('')
  })
})
