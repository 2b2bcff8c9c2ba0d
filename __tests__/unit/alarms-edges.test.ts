// The alarm gate (src/engine/gates/alarms.ts) at its edges: its name, an OK alarm under
// insufficient-data: alarm, no alarms named at all, and the warning for an alarm without data
// and without a reason.
import { describe, expect, it, jest } from '@jest/globals'
import { AlarmGate } from '../../src/engine/gates/alarms.js'
import type { AlarmReader } from '../../src/engine/gates/alarms.js'
import type { AlarmView, Log } from '../../src/engine/types.js'

const window = { stageStartedAt: 0, now: 0 }

function reader(names: string[], views: AlarmView[]): AlarmReader {
  return { names, describe: async () => views }
}

function view(name: string, state: AlarmView['state'], reason = ''): AlarmView {
  return { name, type: 'metric', state, reason }
}

function fakeLog(): Log & { warn: jest.Mock<(line: string) => void> } {
  return { info: jest.fn(), warn: jest.fn<(line: string) => void>(), debug: jest.fn() }
}

describe('AlarmGate edges', () => {
  it('is named alarms', () => {
    expect(new AlarmGate(reader([], []), 'ok', fakeLog()).name).toBe('alarms')
  })

  it('passes an OK alarm under insufficient-data: alarm, without a warning', async () => {
    const log = fakeLog()
    const gate = new AlarmGate(reader(['web-5xx'], [view('web-5xx', 'OK', 'fine')]), 'alarm', log)
    expect(await gate.read(window)).toEqual({
      verdict: 'pass',
      reason: '',
      detail: 'web-5xx OK'
    })
    expect(log.warn).not.toHaveBeenCalled()
  })

  it('says there are no alarms when none are named', async () => {
    const gate = new AlarmGate(reader([], []), 'ok', fakeLog())
    expect(await gate.read(window)).toEqual({ verdict: 'pass', reason: '', detail: 'no alarms' })
  })

  it('warns of an alarm without data and without a reason, giving no empty parentheses', async () => {
    const log = fakeLog()
    const gate = new AlarmGate(
      reader(['web-5xx'], [view('web-5xx', 'INSUFFICIENT_DATA')]),
      'ok',
      log
    )
    expect((await gate.read(window)).verdict).toBe('pass')
    expect(log.warn.mock.calls).toEqual([
      [
        "Alarm web-5xx is INSUFFICIENT_DATA; counting it as OK because insufficient-data is 'ok'. Set insufficient-data: alarm to stop on missing data instead."
      ]
    ])
  })
})
