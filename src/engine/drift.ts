/**
 * The drift check: before each shift the weights on every rule must be what this run left there;
 * anything else means another actor, and the engine stops without writing.
 */
import { percentText, shareOf } from './plan.js'
import type { TrafficPort } from './ports.js'
import type { GroupPair, RuleView, Tenths } from './types.js'
import { finishOrUndo } from './wayout.js'

/** Weights on the rules are not what this run left there: someone else is acting. */
export class DriftError extends Error {
  override name = 'DriftError'
  /** The idle share found on the first rule that moved (-1: not a split of the pair at all). */
  constructor(
    message: string,
    readonly found = -1
  ) {
    super(message)
  }
}

/** The services behind the pair's groups, to label weights with. */
export interface ServiceNames {
  readonly live: string
  readonly idle: string
}

/**
 * Reads the rules and throws `DriftError` unless every production rule carries exactly `tenths`
 * on idle, and every test rule `testTenths` (0 before the test route opens, 1000 after).
 */
export async function expectShare(
  traffic: TrafficPort,
  groups: GroupPair,
  tenths: Tenths,
  names?: ServiceNames,
  signal?: AbortSignal,
  testTenths: Tenths = 0
) {
  // A cancel cuts the read short, so the restore starts at once.
  const views = await traffic.read(signal ? { signal } : {})
  const wrong = views
    .map(view => ({ view, found: describeShare(view, groups, names) }))
    .filter(({ view, found }) => found.tenths !== (view.test ? testTenths : tenths) || !found.ours)
  if (wrong.length === 0) return
  // The share production is found at: a moved test rule leaves production where it was.
  const first = wrong.find(w => !w.view.test)?.found ?? { ours: true, tenths }
  const idle = names ? ` on ${names.idle}` : ' on the new revision'
  throw new DriftError(
    `the weights changed under this run: expected ${percentText(tenths)}${idle}, found ` +
      wrong
        .map(({ view, found }) =>
          view.test
            ? `${found.text} on test rule ${view.arn} (expected ${percentText(testTenths)})`
            : `${found.text} on ${view.arn}`
        )
        .join('; ') +
      `. Someone else is acting on these rules (a manual change or another tool); this run stops without writing. Once you know why, ${finishOrUndo()}`,
    first.ours ? first.tenths : -1
  )
}

/** The idle share on one rule, and whether the rule still forwards to exactly our two groups. */
export function describeShare(view: RuleView, groups: GroupPair, names?: ServiceNames) {
  const weight = (arn: string) => view.targets.find(t => t.arn === arn)?.weight ?? 0
  const others = view.targets.filter(t => t.arn !== groups.live && t.arn !== groups.idle)
  const share = shareOf({ live: weight(groups.live), idle: weight(groups.idle) })
  const ours = others.length === 0 && view.forwardActions === 1
  const tenths = share?.tenths ?? -1
  const text = !ours
    ? `a forward to other target groups (${view.targets.map(t => `${t.arn}=${t.weight}`).join(', ')})`
    : share
      ? `${percentText(share.tenths)} (weights ${names ? `${names.idle}=` : ''}${weight(groups.idle)}/${names ? `${names.live}=` : ''}${weight(groups.live)})`
      : 'no traffic at all'
  return { tenths, ours, text }
}
