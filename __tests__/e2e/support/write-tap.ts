import { createServer, request as httpRequest } from 'node:http'
import type { AddressInfo } from 'node:net'

/** One ELBv2 ModifyRule / ModifyListener request as the action sent it, and how it ended. */
export interface TappedWrite {
  operation: 'ModifyRule' | 'ModifyListener'
  /** RuleArn or ListenerArn. */
  arn: string
  /** Target group ARN → weight, as sent in the forward action. */
  weights: Record<string, number>
  /** The action types in the order sent, with their Order when given (`forward:2`). */
  actions: string[]
  /** The HTTP status the action got back (after the fault proxy). */
  status?: number
  /**
   * The action hung up before the answer reached it: the SDK's request timeout on a loaded
   * machine, after which it sends the same write again (moto may still have applied this one).
   */
  abandoned?: boolean
}

/** A recorder of the action's listener writes, between the action and the fault proxy. */
export interface WriteTap {
  /** Give this to the action as its AWS endpoint. */
  url: string
  writes(): TappedWrite[]
  /**
   * The writes whose answer reached the action: its sequence as it saw it, without an attempt
   * the SDK gave up on and sent again. Under load that retry repeats a write (issue 28).
   */
  answered(): TappedWrite[]
  close(): Promise<void>
}

/**
 * The fault proxy counts calls but keeps no bodies; a test that must see which weights a write
 * carried (a lockstep revert) puts this tap in front of it. It forwards every request unchanged
 * to `target` and decodes the query-protocol body of ELBv2 writes.
 */
export async function startWriteTap(target: string): Promise<WriteTap> {
  const upstream = new URL(target)
  const writes: TappedWrite[] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const body = Buffer.concat(chunks)
      const write = decodeWrite(body.toString('utf8'))
      if (write) {
        writes.push(write)
        res.on('close', () => {
          if (!res.writableFinished) write.abandoned = true
        })
      }
      const out = httpRequest(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers: req.headers
        },
        answer => {
          if (write) write.status = answer.statusCode
          res.writeHead(answer.statusCode ?? 502, answer.headers)
          answer.pipe(res)
        }
      )
      out.on('error', () => res.destroy())
      out.end(body)
    })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    writes: () => [...writes],
    answered: () => writes.filter(w => !w.abandoned),
    async close() {
      server.closeAllConnections()
      await new Promise<void>(resolve => server.close(() => resolve()))
    }
  }
}

/** Decodes `Action=ModifyRule&RuleArn=…&Actions.member.1.ForwardConfig…` form bodies. */
function decodeWrite(body: string): TappedWrite | undefined {
  const form = new URLSearchParams(body)
  const operation = form.get('Action')
  if (operation !== 'ModifyRule' && operation !== 'ModifyListener') return undefined
  const list = operation === 'ModifyRule' ? 'Actions' : 'DefaultActions'
  const groups = new Map<string, { arn?: string; weight?: number }>()
  const types = new Map<number, string>()
  for (const [key, value] of form) {
    const group = new RegExp(
      `^${list}\\.member\\.(\\d+)\\.ForwardConfig\\.TargetGroups\\.member\\.(\\d+)\\.(TargetGroupArn|Weight)$`
    ).exec(key)
    if (group) {
      const slot = groups.get(`${group[1]}.${group[2]}`) ?? {}
      if (group[3] === 'Weight') slot.weight = Number(value)
      else slot.arn = value
      groups.set(`${group[1]}.${group[2]}`, slot)
    }
    const type = new RegExp(`^${list}\\.member\\.(\\d+)\\.Type$`).exec(key)
    if (type) {
      const order = form.get(`${list}.member.${type[1]}.Order`)
      types.set(Number(type[1]), order ? `${value}:${order}` : value)
    }
  }
  const weights: Record<string, number> = {}
  for (const { arn, weight } of groups.values()) if (arn) weights[arn] = weight ?? NaN
  return {
    operation,
    arn: form.get(operation === 'ModifyRule' ? 'RuleArn' : 'ListenerArn') ?? '',
    weights,
    actions: [...types.entries()].sort(([a], [b]) => a - b).map(([, type]) => type)
  }
}
