import { describe, expect, it } from '@jest/globals'
import { readPatiently } from '../../src/post.js'
import type { RuleView } from '../../src/engine/types.js'
import { FakeClock } from './fakes.js'

const view: RuleView = { arn: 'rule-1', kind: 'rule', forwardActions: 1, targets: [], tags: {} }
const denied = new Error('DescribeRules failed for rule-1: AccessDenied: not authorized')

/** Rules whose first `failures` reads fail. */
function rules(failures: number) {
  let reads = 0
  return {
    get reads() {
      return reads
    },
    async read() {
      if (reads++ < failures) throw denied
      return [view]
    }
  }
}

describe('readPatiently', () => {
  it('reads again after a refused read, saying so, instead of giving traffic up', async () => {
    const clock = new FakeClock()
    const warnings: string[] = []
    const traffic = rules(1)

    await expect(readPatiently(traffic, clock, w => warnings.push(w))).resolves.toEqual([view])

    expect(traffic.reads).toBe(2)
    expect(warnings).toEqual([
      `ecs-canary post: could not read the rules (${denied.message}); again in 250ms.`
    ])
  })

  it('gives up with the last error once its budget is spent', async () => {
    const clock = new FakeClock()
    const started = clock.now()
    const traffic = rules(Infinity)

    await expect(readPatiently(traffic, clock, () => undefined, 20_000)).rejects.toBe(denied)

    expect(clock.now() - started).toBeLessThanOrEqual(20_000)
    expect(traffic.reads).toBeGreaterThan(3)
  })
})

describe('readPatiently and errors no retry fixes', () => {
  it('gives up at once on an AWS denial, so the commands are printed without waiting 20 s', async () => {
    const clock = new FakeClock()
    const started = clock.now()
    const awsDenial = Object.assign(new Error('not authorized to perform: DescribeRules'), {
      name: 'AccessDenied',
      $metadata: { httpStatusCode: 403 }
    })
    const wrapped = new Error(`DescribeRules failed for rule-1: AccessDenied`, { cause: awsDenial })
    let reads = 0
    const traffic = {
      async read(): Promise<RuleView[]> {
        reads++
        throw wrapped
      }
    }

    await expect(readPatiently(traffic, clock, () => undefined)).rejects.toBe(wrapped)

    expect(reads).toBe(1)
    expect(clock.now()).toBe(started)
  })
})
