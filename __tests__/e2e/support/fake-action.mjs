// A stand-in for dist/index.js, used only to test the runner itself: it reads inputs, writes
// outputs, state and a summary, prints annotations, and reports the environment it was given.
import { readFileSync } from 'node:fs'
import { clearInterval, setInterval, setTimeout } from 'node:timers'
import * as core from '@actions/core'

const post = core.getState('phase') !== ''

if (post) {
  core.setOutput('post-saw', core.getState('phase'))
  core.info(`post: input listener-rules=${core.getInput('listener-rules')}`)
} else {
  core.setOutput('rules', core.getInput('listener-rules', { required: true }))
  core.setOutput('multi', 'line one\nline two')
  core.saveState('phase', 'in-progress')
  core.warning('alarm web-latency has no data', { title: 'Insufficient data' })
  core.error('rolled back at 10%: alarm web-5xx', { title: 'Rolled back' })
  await core.summary.addHeading('Rollout', 2).addRaw('| stage | share |').write()
  const keys = Object.keys(process.env).filter(
    key => !/^(GITHUB|RUNNER|INPUT|AWS|STATE)_/.test(key)
  )
  core.info(`env: ${JSON.stringify({ keys: keys.sort(), endpoint: process.env.AWS_ENDPOINT_URL })}`)
  const event = JSON.parse(readFileSync(process.env.GITHUB_EVENT_PATH, 'utf8'))
  core.info(`event: ${process.env.GITHUB_EVENT_NAME} head=${event.pull_request?.head.sha ?? '-'}`)
  if (core.getInput('mode') === 'bake') {
    let beats = 0
    const timer = setInterval(() => core.info(`heartbeat ${++beats}`), 50)
    process.on('SIGINT', () => {
      clearInterval(timer)
      core.info('cancelled: restoring traffic')
      setTimeout(() => process.exit(1), 100)
    })
  }
}
