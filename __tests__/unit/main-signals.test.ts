import { afterEach, describe, expect, it, jest } from '@jest/globals'
import { releaseSignals } from '../../src/main.js'

const handler = () => undefined

afterEach(() => {
  process.off('SIGINT', handler)
  process.off('SIGTERM', handler)
  jest.restoreAllMocks()
})

describe('releaseSignals', () => {
  it('stops handling signals after a run that was not cancelled, and lets the process end by itself', () => {
    const exit = jest.spyOn(process, 'exit').mockImplementation(() => undefined as never)
    process.on('SIGINT', handler)
    process.on('SIGTERM', handler)

    releaseSignals(handler, false, 0)

    expect(process.listeners('SIGINT')).not.toContain(handler)
    expect(process.listeners('SIGTERM')).not.toContain(handler)
    expect(exit).not.toHaveBeenCalled()
  })

  it('after a cancel, keeps a late SIGTERM harmless and exits soon, whatever is still retrying', async () => {
    const exit = jest.spyOn(process, 'exit').mockImplementation(() => undefined as never)
    process.on('SIGINT', handler)
    process.on('SIGTERM', handler)

    releaseSignals(handler, true, 5)

    expect(process.listeners('SIGTERM')).toContain(handler)
    expect(exit).not.toHaveBeenCalled()
    await new Promise(resolve => setTimeout(resolve, 30))
    expect(exit).toHaveBeenCalledTimes(1)
  })
})
