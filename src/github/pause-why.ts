/** The pause's wording, shared by the summary and the job log. */
/** Why a run paused, as a tail: nothing for a planned pause, which the share already says. */
export function pauseWhy(reason: string): string {
  const first = reason.split('\n')[0].trim()
  if (!first) return ''
  return /as planned$/.test(first) ? ', as the plan says' : `: ${first.replace(/\.$/, '')}`
}
