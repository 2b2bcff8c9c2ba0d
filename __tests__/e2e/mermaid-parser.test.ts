import { describe, expect, it } from '@jest/globals'
import { parseMermaid } from './support/mermaid.js'

describe('the Mermaid parser used on summaries', () => {
  it('accepts a well-formed xychart and rejects a broken one', async () => {
    const [good, broken] = await parseMermaid([
      'xychart-beta\n  x-axis "t" ["0s", "1s"]\n  y-axis "%" 0 --> 100\n  line [0, 10]',
      'xychart-beta\n  x-axis "t" ["0s", "1s"\n  line [0'
    ])
    expect(good).toBeNull()
    expect(broken).toMatch(/Parse error/)
  })
})
