/**
 * Tag writes that go to each listener rule on its own. ELBv2 AddTags takes one resource per
 * call on real AWS ("Only one resource can be tagged at a time"; aws-sdk-go-v2 issue 2715,
 * fog-aws PR 539), whatever its model's `ResourceArns` list suggests.
 */
import {
  AddTagsCommand,
  type ElasticLoadBalancingV2Client
} from '@aws-sdk/client-elastic-load-balancing-v2'
import { wrap } from './rules.js'
import { within } from './within.js'

/**
 * Adds `tags` to every ARN, one AddTags call each, all at once. Each call (retries included)
 * ends after `withinMs`. Rejects with the first failure, naming the call and the ARN.
 */
export async function tagEach(
  client: ElasticLoadBalancingV2Client,
  arns: readonly string[],
  tags: Readonly<Record<string, string>>,
  withinMs: number
): Promise<void> {
  const Tags = Object.entries(tags).map(([Key, Value]) => ({ Key, Value }))
  if (Tags.length === 0) return
  await Promise.all(
    arns.map(async arn => {
      try {
        await within(withinMs, 'AddTags', abortSignal =>
          client.send(new AddTagsCommand({ ResourceArns: [arn], Tags }), { abortSignal })
        )
      } catch (err) {
        throw wrap('AddTags', arn, err)
      }
    })
  )
}
