import { afterEach, describe, expect, it, jest } from '@jest/globals'
import { StageGroup } from '../../src/github/log.js'

afterEach(() => {
  jest.restoreAllMocks()
})

/** The workflow commands written to stdout while `run` runs. */
function commands(run: () => void): string[] {
  const lines: string[] = []
  jest.spyOn(process.stdout, 'write').mockImplementation(chunk => {
    lines.push(String(chunk).trim())
    return true
  })
  run()
  jest.restoreAllMocks()
  return lines.filter(line => line.startsWith('::'))
}

describe('StageGroup', () => {
  it('closes the previous stage before opening the next, and closes only once', () => {
    const group = new StageGroup()
    expect(
      commands(() => {
        group.start('Stage 1/2')
        group.start('Stage 2/2')
        group.end()
        group.end()
      })
    ).toEqual(['::group::Stage 1/2', '::endgroup::', '::group::Stage 2/2', '::endgroup::'])
  })

  it('keeps two runs in one process apart: one ending does not close the other', () => {
    const first = new StageGroup()
    const second = new StageGroup()
    expect(
      commands(() => {
        first.start('first run')
        first.end()
        second.end()
        second.start('second run')
        first.end()
        second.end()
      })
    ).toEqual(['::group::first run', '::endgroup::', '::group::second run', '::endgroup::'])
  })
})
