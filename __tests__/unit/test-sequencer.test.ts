// scripts/test-sequencer.mjs: on a fresh clone (no jest cache) `npm test` starts the files that
// took longest in the measured run, as a warm run does, instead of the biggest files.
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { describe, expect, it } from '@jest/globals'

const root = resolve(import.meta.dirname, '..', '..')
const script = join(root, 'scripts', 'test-sequencer.mjs')

interface FakeTest {
  path: string
  context: { config: { cache: boolean }; hasteFS: { getSize(path: string): number } }
}

/** jest's Test objects as the sequencer sees them; jest's cache off, so none has a figure. */
function tests(rootDir: string, files: Record<string, number>): FakeTest[] {
  const context = {
    config: { cache: false },
    hasteFS: { getSize: (path: string) => files[path.slice(rootDir.length + 1)] ?? 0 }
  }
  return Object.keys(files).map(file => ({ path: join(rootDir, file), context }))
}

/** A project root whose scripts/test-durations.json holds `table`. */
function project(table: Record<string, number>): string {
  const dir = mkdtempSync(join(tmpdir(), 'sequencer-'))
  mkdirSync(join(dir, 'scripts'))
  writeFileSync(join(dir, 'scripts', 'test-durations.json'), JSON.stringify(table))
  return dir
}

async function sorted(rootDir: string, sizes: Record<string, number>): Promise<string[]> {
  const { default: Sequencer } = await import(script)
  const sequencer = new Sequencer({ globalConfig: { rootDir }, contexts: [] })
  const order: FakeTest[] = await sequencer.sort(tests(rootDir, sizes))
  return order.map(test => test.path.slice(rootDir.length + 1))
}

describe('the test sequencer with no jest cache', () => {
  it('starts the slowest measured files first, not the biggest', async () => {
    const rootDir = project({
      '__tests__/e2e/slow.test.ts': 300,
      '__tests__/e2e/middling.test.ts': 60,
      '__tests__/unit/quick.test.ts': 0
    })
    // File sizes that put them in the opposite order, as on this project's fresh clone.
    const order = await sorted(rootDir, {
      '__tests__/unit/quick.test.ts': 30_000,
      '__tests__/e2e/middling.test.ts': 20_000,
      '__tests__/e2e/slow.test.ts': 10_000
    })
    expect(order).toEqual([
      '__tests__/e2e/slow.test.ts',
      '__tests__/e2e/middling.test.ts',
      '__tests__/unit/quick.test.ts'
    ])
  })

  it('runs a file the table does not know first, as jest runs files it has not timed', async () => {
    const rootDir = project({ '__tests__/e2e/slow.test.ts': 300 })
    const order = await sorted(rootDir, {
      '__tests__/e2e/slow.test.ts': 10_000,
      '__tests__/e2e/new.test.ts': 1_000
    })
    expect(order).toEqual(['__tests__/e2e/new.test.ts', '__tests__/e2e/slow.test.ts'])
  })

  it('fails rather than fall back to file size when the table does not parse', async () => {
    const rootDir = project({})
    writeFileSync(join(rootDir, 'scripts', 'test-durations.json'), '{"a.test.ts": 1,')
    await expect(sorted(rootDir, { 'a.test.ts': 10 })).rejects.toThrow(SyntaxError)
  })

  it('orders by file size, as jest does, when there is no table', async () => {
    const rootDir = mkdtempSync(join(tmpdir(), 'sequencer-'))
    const order = await sorted(rootDir, { 'a.test.ts': 10, 'b.test.ts': 20 })
    expect(order).toEqual(['b.test.ts', 'a.test.ts'])
  })
})

describe("this project's table", () => {
  it('puts the long e2e files first', () => {
    const table: Record<string, number> = JSON.parse(
      readFileSync(join(root, 'scripts', 'test-durations.json'), 'utf8')
    )
    const slowest = Object.entries(table)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 4)
      .map(([file]) => file)
    expect(slowest).toEqual(
      expect.arrayContaining(['__tests__/e2e/fault-matrix.test.ts', '__tests__/e2e/iam.test.ts'])
    )
  })

  it('is what the script makes of a jest --json result', async () => {
    const { durationsOf } = await import(script)
    const result = {
      testResults: [
        { name: join(root, '__tests__/unit/a.test.ts'), startTime: 0, endTime: 400 },
        { name: join(root, '__tests__/e2e/b.test.ts'), startTime: 1_000, endTime: 91_600 }
      ]
    }
    expect(Object.entries(durationsOf(result, root))).toEqual([
      ['__tests__/e2e/b.test.ts', 91],
      ['__tests__/unit/a.test.ts', 0]
    ])
  })
})
