import { describe, expect, it, jest } from '@jest/globals'
import { E2E_TEST_TIMEOUT_MS } from './support/harness.js'
import { parseMermaid } from './support/mermaid.js'

// Loading Mermaid in a child process takes seconds on a loaded machine: jest's default 5 s is a
// budget load can exhaust (issue 28).
jest.setTimeout(E2E_TEST_TIMEOUT_MS)

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
