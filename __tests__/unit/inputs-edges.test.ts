// The edges of readSettings that mutation testing showed untested: whitespace around values, the
// late-data environment variable, and a plan whose recorded text is exactly a tag's 256 characters.
import { describe, expect, it } from '@jest/globals'
import { LATE_DATA_ENV, readSettings } from '../../src/inputs/inputs.js'
import { formatPlan, parsePlan } from '../../src/engine/plan.js'
import { parseSwitch } from '../../src/inputs/switch.js'

const RULE =
  'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee'
const ENV = { AWS_REGION: 'us-east-1' }

function read(inputs: Record<string, string>, env: NodeJS.ProcessEnv = ENV) {
  const all: Record<string, string> = {
    cluster: 'web-cluster',
    services: 'web-blue web-green',
    'listener-rules': RULE,
    ...inputs
  }
  return readSettings(name => all[name] ?? '', env)
}

/**
 * A `stages` value whose recorded form (formatPlan, what the tag holds) is exactly `length`
 * characters: 1%, 2%, … with 1 s bakes, then 100%, padded by lengthening bakes from 1s to 10s.
 */
function stagesOfLength(length: number): string {
  const recorded = (entries: string[]) => formatPlan(parsePlan(entries.join(' '), 60_000)).length
  const entries: string[] = []
  for (let p = 1; recorded([...entries, `${p}:1s`, '100:1s']) <= length; p++)
    entries.push(`${p}:1s`)
  entries.push('100:1s')
  for (let i = 0; recorded(entries) < length; i++) entries[i] = entries[i].replace(':1s', ':10s')
  return entries.join(' ')
}

describe('readSettings edges', () => {
  it('trims the whitespace around an input and around the region', () => {
    const s = read({ cluster: '  web-cluster\n' }, { AWS_REGION: ' eu-west-1 ' })
    expect(s.cluster).toBe('web-cluster')
    expect(s.region).toBe('eu-west-1')
  })

  it('reads the late-data wait from the environment, and a blank one as the 3m default', () => {
    expect(read({}, { ...ENV, [LATE_DATA_ENV]: '90s' }).lateDataMs).toBe(90_000)
    expect(read({}, { ...ENV, [LATE_DATA_ENV]: '   ' }).lateDataMs).toBe(180_000)
    expect(read({}).lateDataMs).toBe(180_000)
    expect(LATE_DATA_ENV).toBe('ECS_CANARY_LATE_DATA_WAIT')
  })

  it('records a plan of exactly 256 characters, and refuses one of 257 naming its start', () => {
    const exact = stagesOfLength(256)
    expect(formatPlan(parsePlan(exact, 60_000))).toHaveLength(256)
    expect(read({ stages: exact }).plan).toHaveLength(exact.split(' ').length)

    const over = stagesOfLength(257)
    const recorded = formatPlan(parsePlan(over, 60_000))
    expect(recorded).toHaveLength(257)
    expect(() => read({ stages: over })).toThrow(
      `Input 'stages': the plan is too long to record on the rules (257 characters as '${recorded.slice(0, 40)}…', at most 256): use fewer stages`
    )
  })
})

describe('status-context', () => {
  it('is kept when given, trimmed, and absent when empty', () => {
    expect(read({ 'status-context': ' ecs-canary/web ' }).statusContext).toBe('ecs-canary/web')
    expect(read({}).statusContext).toBeUndefined()
    expect('statusContext' in read({})).toBe(false)
  })
})

describe('parseSwitch edges', () => {
  it('trims a yes/no word before reading it', () => {
    expect(parseSwitch('dry-run', '  on\n', false)).toBe(true)
    expect(parseSwitch('dry-run', ' off ', true)).toBe(false)
    expect(parseSwitch('dry-run', '   ', true)).toBe(true)
  })
})
