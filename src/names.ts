/** Every public name in one place: inputs, outputs, saved state and the tags kept on the rules. */

export const Input = {
  cluster: 'cluster',
  services: 'services',
  listenerRules: 'listener-rules',
  taskDefinition: 'task-definition',
  stages: 'stages',
  bakeTime: 'bake-time',
  alarms: 'alarms',
  pollInterval: 'poll-interval',
  insufficientData: 'insufficient-data',
  mode: 'mode',
  canaryCapacity: 'canary-capacity',
  afterPromotion: 'after-promotion',
  serviceTimeout: 'service-timeout',
  allowFamilyChange: 'allow-family-change',
  analysis: 'analysis',
  maxErrorRate: 'max-error-rate',
  maxLatency: 'max-latency',
  minRequests: 'min-requests',
  statusContext: 'status-context',
  githubToken: 'github-token',
  dryRun: 'dry-run',
  to: 'to',
  allowRedeploy: 'allow-redeploy',
  healthGate: 'health-gate',
  canaryHeadroom: 'canary-headroom',
  canaryMinTasks: 'canary-min-tasks',
  rollbackNow: 'rollback-now',
  staleAfter: 'stale-after',
  maxPause: 'max-pause',
  roleToAssume: 'role-to-assume',
  testListenerRules: 'test-listener-rules',
  audience: 'audience'
} as const

export const Output = {
  result: 'result',
  percent: 'percent',
  liveService: 'live-service',
  idleService: 'idle-service',
  taskDefinitionArn: 'task-definition-arn',
  reason: 'reason',
  /** The service the test rules send test traffic to at the end; '' without test rules. */
  testService: 'test-service'
} as const

/** Keys of `core.saveState`; the post step reads them back as `STATE_<key>`. */
export const State = {
  /** Set by main at its very start: its presence tells the bundle it runs as the post step. */
  isPost: 'is-post',
  /** JSON of `Guard`: what post needs to put traffic back if main dies mid-rollout. */
  guard: 'guard',
  /** Set by main once traffic is safe (verified promoted, rolled back or paused). */
  settled: 'settled'
} as const

/**
 * Tags on every listener rule (or listener) that record the rollout. ELB tag values allow
 * letters, digits, spaces and `_ . : / = + - @`, at most 255 characters (the ALB guide): free
 * text is encoded to fit (`engine/tag-text.ts`), and a long reason or alarm list continues in
 * `KEY:2`, `KEY:3`, `KEY:4`.
 */
export const Tag = {
  live: 'ecs-canary:live',
  idle: 'ecs-canary:idle',
  plan: 'ecs-canary:plan',
  phase: 'ecs-canary:phase',
  revision: 'ecs-canary:revision',
  owner: 'ecs-canary:owner',
  updated: 'ecs-canary:updated',
  reason: 'ecs-canary:reason',
  /**
   * The services whose auto scaling scale-in this action suspended and must resume, separated
   * by spaces, or `none`. Written before the suspension, cleared after the resume.
   */
  scaleIn: 'ecs-canary:scale-in-suspended',
  /** UTC time the owning run last showed it is alive (refreshed at least once a minute). */
  heartbeat: 'ecs-canary:heartbeat',
  /** The commit being deployed, where every later run posts its status. */
  commit: 'ecs-canary:commit',
  /** The alarms watching the rollout, recorded at a pause so reconcile can keep watching. */
  alarms: 'ecs-canary:alarms',
  /** The owning job's name in its workflow (`GITHUB_JOB`): the owner is a job, not a run. */
  job: 'ecs-canary:job',
  /** The owning job's id, where GitHub could be asked for it ('' when not). */
  jobId: 'ecs-canary:job-id'
} as const
