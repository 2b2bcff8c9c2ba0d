/**
 * The rollout's record, kept as tags on every listener rule so any later run, from any workflow,
 * can see what is going on. Pure: encoding to and from tag maps.
 */
import { Tag } from '../names.js'
import type { Phase, RuleView } from './types.js'

/** What the tags say about the pair. */
export interface RecordedState {
  readonly live: string
  readonly idle: string
  readonly plan: string
  readonly phase: Phase
  readonly revision: string
  /** `owner/repo/runs/RUN_ID/ATTEMPT`: which workflow run owns the rollout. */
  readonly owner: string
  /** ISO timestamp of the last change. */
  readonly updated: string
  readonly reason: string
  /** When the owning run last showed it is alive (`Tag.heartbeat`), if it ever did. */
  readonly heartbeat?: string
  /** The commit being deployed (`Tag.commit`), where statuses go. */
  readonly commit?: string
  /** The alarm names recorded at a pause (`Tag.alarms`). */
  readonly alarms?: readonly string[]
}

/** Separates alarm names in `Tag.alarms` (ELB tag values allow no comma or newline). */
export const ALARM_SEPARATOR = ' / '

const PHASES: readonly Phase[] = ['in-progress', 'paused', 'promoted', 'rolled-back']

/** Characters ELB refuses in tag values, replaced by a space (`(`, `%`, `,`, quotes...). */
const NOT_ALLOWED = /[^\p{L}\p{N} _.:/=+\-@]/gu
const MAX_VALUE = 256

/** Makes any text a valid ELB tag value. */
export function tagValue(text: string): string {
  const clean = text.replace(NOT_ALLOWED, ' ').replace(/\s+/g, ' ').trim()
  return clean.length <= MAX_VALUE ? clean : `${clean.slice(0, MAX_VALUE - 3)}...`
}

/** The tag map that records `state`. */
export function encodeState(state: RecordedState): Record<string, string> {
  return {
    [Tag.live]: tagValue(state.live),
    [Tag.idle]: tagValue(state.idle),
    [Tag.plan]: tagValue(state.plan),
    [Tag.phase]: state.phase,
    [Tag.revision]: tagValue(state.revision),
    [Tag.owner]: tagValue(state.owner),
    [Tag.updated]: tagValue(state.updated),
    [Tag.reason]: tagValue(state.reason),
    // Always written, '' when unknown, so a deploy never inherits the last rollout's commit.
    // ELBv2 accepts an empty value (API Reference, "Tag": Value minimum length 0).
    [Tag.commit]: state.commit && COMMIT.test(state.commit) ? state.commit : ''
  }
}

const COMMIT = /^[0-9a-f]{40}$/

/** The recorded state, or `undefined` when the rule carries no (or a broken) record. */
export function decodeState(tags: Readonly<Record<string, string>>): RecordedState | undefined {
  const phase = tags[Tag.phase] as Phase | undefined
  if (!phase || !PHASES.includes(phase) || !tags[Tag.live] || !tags[Tag.idle]) return undefined
  return {
    live: tags[Tag.live],
    idle: tags[Tag.idle],
    plan: tags[Tag.plan] ?? '',
    phase,
    revision: tags[Tag.revision] ?? '',
    owner: tags[Tag.owner] ?? '',
    updated: tags[Tag.updated] ?? '',
    reason: tags[Tag.reason] ?? '',
    ...(tags[Tag.heartbeat] ? { heartbeat: tags[Tag.heartbeat] } : {}),
    ...(tags[Tag.commit] && COMMIT.test(tags[Tag.commit]) ? { commit: tags[Tag.commit] } : {}),
    ...(tags[Tag.alarms] ? { alarms: tags[Tag.alarms].split(ALARM_SEPARATOR).filter(Boolean) } : {})
  }
}

/** This run's identity, from the runner's environment. */
export function runOwner(env: NodeJS.ProcessEnv = process.env): string {
  const repo = env.GITHUB_REPOSITORY || 'local'
  return `${repo}/runs/${env.GITHUB_RUN_ID || '0'}/${env.GITHUB_RUN_ATTEMPT || '1'}`
}

/** A link to the run that owns a rollout, for messages. */
export function ownerUrl(owner: string, env: NodeJS.ProcessEnv = process.env): string {
  const m = /^(.+)\/runs\/(\d+)\/(\d+)$/.exec(owner)
  if (!m) return owner
  const server = env.GITHUB_SERVER_URL || 'https://github.com'
  return `${server}/${m[1]}/actions/runs/${m[2]}/attempts/${m[3]}`
}

/**
 * What main saves (core.saveState) before its first write, so the post step can put traffic
 * back if main dies mid-rollout.
 */
export interface Guard {
  readonly region: string
  readonly rules: readonly string[]
  readonly live: string
  readonly idle: string
  readonly liveService: string
  readonly idleService: string
  readonly owner: string
  /** The pair's cluster: the post step resumes the auto scaling scale-in recorded there. */
  readonly cluster?: string
  /** `role-to-assume`, so the post step gets credentials the same way. */
  readonly roleToAssume?: string
  /** `test-listener-rules`: restored to live with the others. */
  readonly testRules?: readonly string[]
  /** `audience` of the OIDC token for `roleToAssume`. */
  readonly audience?: string
}

/** The state recorded on the rules; the first rule that carries one speaks for all. */
export function recordedState(rules: readonly RuleView[]): RecordedState | undefined {
  for (const rule of rules) {
    const state = decodeState(rule.tags)
    if (state) return state
  }
  return undefined
}
