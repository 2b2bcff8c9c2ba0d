import type { Observation, RuleState } from './matrix-lane.js'

/** Where a case left traffic, when it was safe. */
export type EndState =
  | 'promoted'
  | 'paused'
  | 'rolled back'
  | 'untouched'
  | 'restored by post'
  /** A post step that could not restore failed, printing commands that do. */
  | 'handed over'
  /** The runner killed main while it waited on a hanging write; the post step restored. */
  | 'killed, restored by post'
  /** The runner was lost; the watchdog restored. */
  | 'restored by reconcile'
  /** The watchdog met the fault, wrote no traffic and failed naming it; the next run restored. */
  | 'restored by the next reconcile'

/**
 * SAFE: traffic verified on live, or at a reached stage recorded as paused, or never moved; and
 * every output true. NOT EXERCISED: the fault never fired (on a loaded machine an earlier call
 * ran out of time first, or the run never reached the phase the fault was placed in), and
 * nothing unsafe happened meanwhile; the matrix runs such a case again.
 */
export interface Verdict {
  readonly safe: boolean
  readonly end: EndState | 'unsafe' | 'not exercised'
  /** What made it unsafe, one line each. */
  readonly problems: string[]
}

const PHASE = 'ecs-canary:phase'

/**
 * Judges one case from what was observed: the weights and tags on the rules (read from moto),
 * the exit code, outputs, saved state and annotations of the main step, the calls the proxy
 * saw, and the post step when main left traffic unsettled.
 */
export function judge(o: Observation): Verdict {
  if (o.kase.scenario === 'killed' || o.kase.scenario === 'reconcile') {
    const missed = setupMissed(o)
    if (missed) return missed
    return o.kase.scenario === 'killed' ? judgePost(o) : judgeReconcile(o)
  }
  const problems: string[] = []
  const { main, kase } = o
  const out = main.outputs
  const shares = o.afterMain.map(r => r.greenTenths)
  const all = (value: number, rules: readonly RuleState[] = o.afterMain) =>
    rules.every(r => r.greenTenths === value)
  const phases = new Set(o.afterMain.map(r => r.tags[PHASE]))
  const recorded = (phase: string) => phases.size === 1 && phases.has(phase)
  // One AddTags per rule: a record that could not be written (warned about) may have landed on
  // some rules and not others. The rules then hold the new phase or an earlier one of this run.
  const lagging = (phase: string) =>
    [...phases].every(p => p === phase || p === 'in-progress' || p === 'paused')
  const percent = Math.round(Number(out.percent) * 10)
  const settled = main.state.settled === 'true'
  const errors = main.commands.filter(c => c.command === 'error').map(c => c.message)
  const said = [out.reason ?? '', ...errors].join('\n')
  const moved = o.calls.filter(c => /^Modify(Rule|Listener)$/.test(c.operation) && !c.fault)
  const fired = o.calls.some(c => c.operation === kase.operation && c.fault)
  // Recording is what failed: the record may then lag behind the traffic, with a warning.
  const recordFails =
    kase.operation === 'AddTags' &&
    /Could not record|the record on the rules could not be written/.test(main.stdout)

  // A record is written only after a restore that worked: one that ran out of time (on a
  // loaded machine) never gets there.
  const unreached = kase.operation === 'AddTags' && !settled && kase.afterStage !== undefined
  // Not fired: what the run did is still judged, all but naming a failure it never met.
  const exercised = fired || unreached
  // A cancel that finds a write hanging waits for it (abandoned, it could land after the
  // rollback read the rule back as restored); the runner's kill then leaves the restore to
  // the post step. Main must not have reported anything it did not do.
  // On a loaded machine any cancel's restore can outlast the runner's 10 s the same way: the
  // post step is then the way back, and is judged so.
  const killedByRunner = kase.scenario === 'cancel' && main.signal === 'SIGKILL' && !out.result
  if (killedByRunner) return judgeKilledByRunner(o, problems)
  // The runner's SIGTERM or SIGKILL may meet a step that has reported and is exiting.
  if (!out.result) {
    problems.push(`main set no result output${main.signal ? ` (killed by ${main.signal})` : ''}`)
  }
  if (moved.length > 0 && !main.state.guard) problems.push('moved traffic before saving the guard')
  if (out.percent && Number.isNaN(percent)) problems.push(`percent output '${out.percent}'`)

  let end: EndState | undefined
  switch (out.result) {
    case 'promoted':
      end = 'promoted'
      expect(main.code === 0, `promoted but exit code ${main.code}`)
      expect(all(1000), `promoted but the rules show ${shares.join('/')} on web-green`)
      expect(percent === 1000, `promoted with percent ${out.percent}`)
      // A promotion record that never lands leaves a healthy release promoted, with a warning.
      expect(
        recorded('promoted') || (recordFails && lagging('promoted')),
        `promoted but recorded ${[...phases].join('/')}`
      )
      expect(settled, 'promoted without marking traffic settled')
      break
    case 'paused': {
      end = 'paused'
      const planned = kase.scenario === 'pause' && /as planned/.test(out.reason ?? '')
      expect((main.code === 0) === planned, `paused (${out.reason}) with exit code ${main.code}`)
      expect(all(shares[0]) && shares[0] > 0 && shares[0] < 1000, `paused on ${shares.join('/')}`)
      expect(percent === shares[0], `paused with percent ${out.percent}, rules ${shares.join('/')}`)
      expect(recorded('paused'), `paused but recorded ${[...phases].join('/')}`)
      expect(settled, 'paused without marking traffic settled')
      break
    }
    case 'unchanged':
      end = 'untouched'
      expect(main.code !== 0, 'nothing moved, yet exit code 0')
      expect(
        moved.length === 0,
        `unchanged after ${moved.length} ModifyRule/ModifyListener call(s)`
      )
      expect(all(0), `unchanged but the rules show ${shares.join('/')} on web-green`)
      // A refusal before the rules could be read knows no share: no percent then.
      expect(!out.percent || percent === 0, `unchanged with percent ${out.percent}`)
      expect(
        !phases.has('in-progress') || recordFails,
        'ended, but the rules still record a rollout in progress'
      )
      break
    case 'rolled-back':
      // `rolled-back` means traffic is verified back on live; anything else is restore-failed.
      end = 'rolled back'
      expect(main.code !== 0, 'rolled back with exit code 0')
      expect(settled, 'rolled-back without marking traffic settled')
      expect(all(0), `rolled back but the rules show ${shares.join('/')} on web-green`)
      expect(percent === 0, `rolled back with percent ${out.percent}`)
      expect(
        recorded('rolled-back') || (recordFails && lagging('rolled-back')),
        `rolled back but recorded ${[...phases].join('/')}`
      )
      break
    case 'restore-failed':
      end = 'restored by post'
      expect(main.code !== 0, 'restore-failed with exit code 0')
      expect(!settled, 'restore-failed, yet traffic marked settled')
      expect(/could NOT be restored/.test(said), 'restore-failed that does not say so')
      handedOver(o, errors.join('\n'), expect)
      break
    default:
      if (out.result) problems.push(`unknown result '${out.result}'`)
  }

  // A failure names the call that failed, so an operator knows where to look: the faulted
  // one, or (a restore out of time on a loaded machine) the one that was cut short.
  const failed =
    kase.scenario === 'promote' || kase.scenario === 'pause'
      ? !!out.result && main.code !== 0
      : !settled
  const failing = new Set(
    o.calls.filter(c => c.fault || c.status === undefined || c.abandoned).map(c => c.operation)
  )
  if (exercised && failed && ![...failing].some(op => said.includes(op))) {
    problems.push(`failed without naming ${[...failing].join(' or ')}: ${firstLine(out.reason)}`)
  }

  if (main.state.guard && !settled) {
    if (!o.post) problems.push('main left traffic unsettled and the post step did not run')
    else {
      expect(o.post.code === 0, `post step exit code ${o.post.code}`)
      expect(all(0, o.afterPost), 'the post step did not restore traffic')
      const after = new Set(o.afterPost?.map(r => r.tags[PHASE]))
      expect(
        after.size === 1 &&
          (after.has('rolled-back') || (!after.has('in-progress') && moved.length === 0)),
        `after the post step the rules record ${[...after].join('/')}`
      )
    }
  }
  if (problems.length === 0 && !exercised) return { safe: true, end: 'not exercised', problems }
  return {
    safe: problems.length === 0,
    end: problems.length === 0 && end ? end : 'unsafe',
    problems
  }

  function expect(ok: boolean, problem: string) {
    if (!ok) problems.push(problem)
  }
}

function judgeKilledByRunner(o: Observation, problems: string[]): Verdict {
  const restored = o.afterPost?.every(r => r.greenTenths === 0) ?? false
  if (o.main.state.settled === 'true') problems.push('killed, yet marked traffic settled')
  if (!o.post) problems.push('killed, and the post step did not run')
  else if (o.post.code !== 0 || !restored)
    problems.push('killed, and the post step did not restore')
  const safe = problems.length === 0
  return { safe, end: safe ? 'killed, restored by post' : 'unsafe', problems }
}

/**
 * Main was killed mid-bake and the post step met the fault. It must restore traffic and say so
 * truly, or fail naming the call, printing commands that restore every rule (run here to
 * check). A fault the SDK retries, or that strikes once, must not defeat it.
 */
function judgePost(o: Observation): Verdict {
  const problems: string[] = []
  const { kase, post } = o
  const expect = (ok: boolean, problem: string) => void (ok || problems.push(problem))
  const all = (rules: readonly RuleState[] | undefined, value: number) =>
    (rules ?? []).every(r => r.greenTenths === value)
  const fired = o.calls.some(c => c.operation === kase.operation && c.fault)
  // What the fault itself should have led to; a fault that never fired led to nothing.
  const expectFired = (ok: boolean, problem: string) =>
    void (ok || !fired || problems.push(problem))
  expect(
    o.afterMain.every(r => r.greenTenths === 500),
    'main was not killed at 50%'
  )
  if (!post) return { safe: false, end: 'unsafe', problems: [...problems, 'no post step'] }
  const errors = post.commands.filter(c => c.command === 'error').map(c => c.message)
  let end: EndState
  if (post.code === 0) {
    end = 'restored by post'
    expect(all(o.afterPost, 0), 'the post step passed, yet traffic is not all on web-blue')
    const phases = new Set(o.afterPost?.map(r => r.tags[PHASE]))
    const unrecorded = kase.operation === 'AddTags' && /could not be recorded/.test(post.stdout)
    expect(
      phases.size === 1 && (phases.has('rolled-back') || (unrecorded && phases.has('in-progress'))),
      `after the post step the rules record ${[...phases].join('/')}`
    )
  } else {
    end = 'handed over'
    // A denial is never retried (issue 12, D5): the commands are printed at once.
    expectFired(
      kase.times === 'always' || kase.fault === 'denied',
      `the post step gave up on a single ${kase.fault}`
    )
    expectFired(
      errors.some(e => e.includes(kase.operation)),
      `the post step failed without naming ${kase.operation}`
    )
    expect(all(o.afterCommands, 0), 'the printed commands do not put all traffic on web-blue')
  }
  if (problems.length === 0 && !fired) return { safe: true, end: 'not exercised', problems }
  return { safe: problems.length === 0, end: problems.length === 0 ? end : 'unsafe', problems }
}

/**
 * The runner was lost at 50% and a reconcile run met the fault. It must restore traffic and
 * record why, or hand over commands that do, or write no traffic, fail naming the call, and
 * leave the rollout to the next scheduled run, which must then restore it.
 */
function judgeReconcile(o: Observation): Verdict {
  const problems: string[] = []
  const { kase, post } = o
  const expect = (ok: boolean, problem: string) => void (ok || problems.push(problem))
  const all = (rules: readonly RuleState[] | undefined, value: number) =>
    rules !== undefined && rules.every(r => r.greenTenths === value)
  const fired = o.calls.some(c => c.operation === kase.operation && c.fault)
  // What the fault itself should have led to; a fault that never fired led to nothing.
  const expectFired = (ok: boolean, problem: string) =>
    void (ok || !fired || problems.push(problem))
  expect(all(o.afterMain, 500), 'main was not killed at 50%')
  if (!post) return { safe: false, end: 'unsafe', problems: [...problems, 'no reconcile run'] }
  const said = [post.outputs.reason ?? '', ...post.commands.map(c => c.message)].join('\n')
  const phases = (rules: readonly RuleState[] | undefined) =>
    new Set((rules ?? []).map(r => r.tags[PHASE]))
  let end: EndState
  if (all(o.afterPost, 0)) {
    end = 'restored by reconcile'
    expect(post.code !== 0, 'restored, yet the watchdog job passed (nobody is notified)')
    expect(post.outputs.result === 'rolled-back', `restored with result ${post.outputs.result}`)
    expect(/^runner lost: /.test(post.outputs.reason ?? ''), `reason ${post.outputs.reason}`)
    const after = phases(o.afterPost)
    const unrecorded = kase.operation === 'AddTags' && /could not be recorded/.test(post.stdout)
    expect(
      after.size === 1 && (after.has('rolled-back') || (unrecorded && after.has('in-progress'))),
      `after reconcile the rules record ${[...after].join('/')}`
    )
  } else if (o.afterCommands) {
    end = 'handed over'
    expectFired(
      kase.times === 'always' || kase.fault === 'denied',
      `reconcile gave up on a single ${kase.fault}`
    )
    expectFired(said.includes(kase.operation), `reconcile failed without naming ${kase.operation}`)
    expect(all(o.afterCommands, 0), 'the printed commands do not put all traffic on web-blue')
  } else {
    end = 'restored by the next reconcile'
    expect(post.code !== 0, 'traffic left split, yet the watchdog job passed')
    expect(all(o.afterPost, 500), 'reconcile moved some rules and not others')
    expectFired(said.includes(kase.operation), `reconcile failed without naming ${kase.operation}`)
    expectFired(
      kase.times === 'always' || kase.fault === 'denied',
      `reconcile gave up on a single ${kase.fault}`
    )
    expect(all(o.afterRetry, 0), 'the next reconcile did not restore traffic either')
    expect(phases(o.afterRetry).has('rolled-back'), 'the next reconcile did not record it')
  }
  if (problems.length === 0 && !fired) return { safe: true, end: 'not exercised', problems }
  return { safe: problems.length === 0, end: problems.length === 0 ? end : 'unsafe', problems }
}

/**
 * Killed and reconcile cases set the scene first: main reaches stage 1 (50%) and is killed
 * there. On a loaded machine main may end before that, refused by a pre-flight read that ran
 * out of time, with nothing moved: the fault then met a different scene, and the case is not
 * exercised, as long as traffic is on web-blue at the end.
 */
function setupMissed(o: Observation): Verdict | undefined {
  const onBlue = (rules: readonly RuleState[] | undefined) =>
    rules !== undefined && rules.every(r => r.greenTenths === 0)
  if (!onBlue(o.afterMain)) return undefined
  const last = o.afterRetry ?? o.afterCommands ?? o.afterPost
  if (last && !onBlue(last)) {
    return {
      safe: false,
      end: 'unsafe',
      problems: ['main never moved traffic, yet it ended split']
    }
  }
  return { safe: true, end: 'not exercised', problems: [] }
}

/** A rollback that could not be verified must hand over commands that do restore every rule. */
function handedOver(o: Observation, errors: string, expect: (ok: boolean, p: string) => void) {
  for (const rule of o.afterMain) {
    const command = errors
      .split('\n')
      .find(line => line.startsWith('aws elbv2 modify-') && line.includes(`-arn ${rule.arn} `))
    if (!command) {
      expect(false, `no restore command for ${rule.arn}`)
      continue
    }
    const json = /--(?:default-)?actions '(.*)'$/.exec(command)?.[1]?.replace(/'\\''/g, "'")
    const actions = json ? (JSON.parse(json) as ForwardAction[]) : []
    const groups = actions.find(a => a.Type === 'forward')?.ForwardConfig?.TargetGroups ?? []
    const green = groups.find(g => g.TargetGroupArn?.includes('/web-green-tg/'))
    const blue = groups.find(g => g.TargetGroupArn?.includes('/web-blue-tg/'))
    expect(
      (green?.Weight ?? 0) === 0 && (blue?.Weight ?? 0) > 0,
      `restore command ${command} does not put all on blue`
    )
  }
}

interface ForwardAction {
  Type?: string
  ForwardConfig?: { TargetGroups?: { TargetGroupArn?: string; Weight?: number }[] }
}

function firstLine(text: string | undefined): string {
  return (text ?? '').split('\n')[0].slice(0, 200)
}
