import { describe, expect, it } from '@jest/globals'
import { DEFAULT_FOLLOW, followCount } from '../../src/engine/capacity.js'

describe('followCount at 100%', () => {
  it.each([1, 3, 60, 1000])(
    'gives the canary exactly the live count, %p, whatever the policy',
    live => {
      expect(followCount(live, 1000, DEFAULT_FOLLOW)).toBe(live)
      expect(followCount(live, 1000, { headroomTenths: 0, minTasks: 1 })).toBe(live)
      expect(followCount(live, 1000, { headroomTenths: 1000, minTasks: live + 5 })).toBe(live)
    }
  )
})
