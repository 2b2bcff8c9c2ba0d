import { describe, expect, it } from '@jest/globals'
import { recordPromotion } from '../../src/engine/promotion.js'
import { deps, FakeClock, FakeTraffic, MemoryLog, spec } from './fakes.js'

/** recordPromotion against a recorder that fails with `failure` for the first `fails` tries. */
async function record(failure: unknown, fails = Infinity) {
  const clock = new FakeClock()
  const started = clock.now()
  const log = new MemoryLog()
  const tries: number[] = []
  const { deps: d, controller } = deps({
    traffic: new FakeTraffic(),
    clock,
    log,
    recordPhase: async phase => {
      tries.push(clock.now() - started)
      expect(phase).toBe('promoted')
      if (tries.length <= fails) throw failure
    }
  })
  await recordPromotion(spec(), d)
  return { tries, lines: log.lines, controller }
}

const FIX =
  'Until it is, the rules read as in progress. Fix it on every listener rule: aws elbv2 add-tags --resource-arns RULE_ARN --tags ' +
  'Key=ecs-canary:phase,Value=promoted Key=ecs-canary:live,Value=web-green Key=ecs-canary:idle,Value=web-blue'

describe('recordPromotion', () => {
  it('writes the record once when it lands, saying nothing', async () => {
    const { tries, lines } = await record(new Error('unused'), 0)
    expect(tries).toEqual([0])
    expect(lines).toEqual([])
  })

  it('retries 1 s doubling to 8 s, for 15 s at most, then warns how to fix the record', async () => {
    const { tries, lines } = await record(new Error('AddTags: Throttling'))

    // Tries at 0, 1, 3, 7 and 15 s: a 8 s wait that ends exactly at the budget is still taken.
    expect(tries).toEqual([0, 1_000, 3_000, 7_000, 15_000])
    expect(lines).toEqual([
      'warning: Could not record the promotion (AddTags: Throttling); again in 1s.',
      'warning: Could not record the promotion (AddTags: Throttling); again in 2s.',
      'warning: Could not record the promotion (AddTags: Throttling); again in 4s.',
      'warning: Could not record the promotion (AddTags: Throttling); again in 8s.',
      'warning: Promoted: web-green takes 100% and baked cleanly, but the record on the rules could not be written (AddTags: Throttling). ' +
        FIX
    ])
  })

  it('stops retrying once a retry lands', async () => {
    const { tries, lines } = await record(new Error('AddTags: Throttling'), 2)
    expect(tries).toEqual([0, 1_000, 3_000])
    expect(lines).toHaveLength(2)
  })

  it('names a failure thrown as a string as it is', async () => {
    const { lines } = await record('AddTags: connection reset')
    expect(lines[0]).toBe(
      'warning: Could not record the promotion (AddTags: connection reset); again in 1s.'
    )
    expect(lines.at(-1)).toContain('could not be written (AddTags: connection reset).')
  })

  it('names a failure thrown as neither Error nor string by its JSON', async () => {
    const { lines } = await record({ code: 'Throttling', status: 400 })
    expect(lines[0]).toBe(
      'warning: Could not record the promotion ({"code":"Throttling","status":400}); again in 1s.'
    )
  })

  it('gives up at once, with the fix, when the run is cancelled', async () => {
    const clock = new FakeClock()
    const log = new MemoryLog()
    let tries = 0
    const { deps: d, controller } = deps({
      traffic: new FakeTraffic(),
      clock,
      log,
      recordPhase: async () => {
        tries++
        throw new Error('AddTags: Throttling')
      }
    })
    controller.abort()
    await recordPromotion(spec(), d)
    expect(tries).toBe(1)
    expect(log.lines).toEqual([
      'warning: Promoted: web-green takes 100% and baked cleanly, but the record on the rules could not be written (AddTags: Throttling). ' +
        FIX
    ])
  })
})
