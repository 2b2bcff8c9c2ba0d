/**
 * The one parser for yes/no inputs (`dry-run`, `allow-redeploy`, `analysis`...), so every such
 * input accepts the same words. Pure.
 */
import { InputError } from '../engine/plan.js'

const YES = ['true', 'yes', 'on']
const NO = ['false', 'no', 'off']

/** The words every yes/no input accepts, for messages and the README. */
export const SWITCH_WORDS = 'true/false, yes/no or on/off'

/**
 * `true`, `yes`, `on` → true; `false`, `no`, `off` → false (any case); empty → `fallback`.
 * Anything else is refused, naming the input: a typo must not silently mean "no".
 */
export function parseSwitch(input: string, value: string, fallback: boolean): boolean {
  const text = value.trim().toLowerCase()
  if (text === '') return fallback
  if (YES.includes(text)) return true
  if (NO.includes(text)) return false
  throw new InputError(input, `'${value}' is not one of ${SWITCH_WORDS}`)
}
