import { createServer, request as httpRequest } from 'node:http'
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { faultResponse, identify, isWrite } from './aws-wire.js'
import type { AwsRequest, Fault } from './aws-wire.js'
import { StrictStandIn } from './aws-strict.js'
import type { StrictOptions, StrictRule } from './aws-strict.js'
import { motoUrl } from './moto-url.js'
import { clampAfterRegister, TARGET_PREFIX } from './strict-scaling.js'
import type { MotoCall } from './strict-scaling.js'

export type { Fault } from './aws-wire.js'
export type { StrictOptions, StrictRule } from './aws-strict.js'

/** What to break, and when. */
export interface FaultSpec {
  /** The AWS operation name, e.g. `ModifyRule`, `UpdateService`, `DescribeAlarms`. */
  operation: string
  /** The first call (counted from this injection, retries included) to break. Default 1. */
  nth?: number
  /** How many calls in a row to break from the nth on. Default 1. */
  times?: number | 'always'
  /**
   * `stall` holds the request for `stallMs` and then passes it on (a slow API); without
   * `stallMs` it holds until the client gives up. The others answer with the service's own
   * error in its own wire format.
   */
  fault: Fault | 'stall'
  stallMs?: number
}

/** One request the proxy saw. */
export interface ProxyCall extends AwsRequest {
  write: boolean
  /** The fault injected into this call, if any. */
  fault?: FaultSpec['fault']
  /** The HTTP status the client got (undefined while stalled or if it hung up). */
  status?: number
  /**
   * The client hung up before its answer was sent: its own timeout, a budget that ran out, or
   * the process was killed. On a loaded machine moto can answer after that; the client never saw it.
   */
  abandoned?: boolean
  /** The strict rules that refused or rewrote this call's answer, if any. */
  strict?: StrictRule[]
  /** The request body as sent (form or JSON text). */
  body: string
  at: number
}

/** A local proxy between the action and moto that counts calls and injects faults. */
export interface FaultProxy {
  /** Give this to the action as AWS_ENDPOINT_URL. */
  url: string
  /** Calls per operation since the last reset, retries included. */
  counts(): Record<string, number>
  calls(): ProxyCall[]
  /** Calls of operations that change state (see isWrite), retries included. */
  writes(): number
  /** Forgets the calls seen (not the faults). */
  reset(): void
  inject(spec: FaultSpec): void
  /** Removes every fault. */
  clear(): void
  /**
   * AWS-strict mode (see aws-strict.ts): on by default with every rule; `options` replace the
   * previous ones (turn rules off, change the windows), `false` turns it off. The harness
   * restores the defaults before each test.
   */
  strict(options?: StrictOptions | false): void
  /** Ends any read lag of earlier writes (the rules were reset behind the proxy's back). */
  forgetWrites(): void
  /**
   * Resolves once no rule or listener reads back as it was before a write (the strict
   * `rule-read-lag` of the writes seen so far has run out), as a person starting the next run
   * would find it. Waits for that moment, however long the writes took to land.
   */
  readLagOver(): Promise<void>
  /**
   * Rewrites the body of requests before they reach moto (`undefined`: stop). Only for calls
   * AWS does not sign, such as AssumeRoleWithWebIdentity, e.g. to ask for a short session.
   */
  rewriteRequests(rewrite?: (request: AwsRequest, body: Buffer) => Buffer): void
  close(): Promise<void>
}

interface ArmedFault {
  spec: FaultSpec
  seen: number
  fired: number
}

/**
 * Starts a proxy on a free port of 127.0.0.1 that forwards to `target` (moto by default), in
 * AWS-strict mode unless `options.strict` says otherwise.
 */
export async function startFaultProxy(
  target: string = motoUrl(),
  options: { strict?: StrictOptions | false } = {}
): Promise<FaultProxy> {
  const upstream = new URL(target)
  const strict = new StrictStandIn(options.strict ?? {})
  let calls: ProxyCall[] = []
  let faults: ArmedFault[] = []
  let rewrite: ((request: AwsRequest, body: Buffer) => Buffer) | undefined
  const held = new Set<{ timer?: NodeJS.Timeout; res: ServerResponse }>()

  function pickFault(operation: string): FaultSpec | undefined {
    let chosen: FaultSpec | undefined
    for (const armed of faults) {
      if (armed.spec.operation !== operation) continue
      armed.seen += 1
      const times = armed.spec.times ?? 1
      const due = armed.seen >= (armed.spec.nth ?? 1)
      if (!chosen && due && (times === 'always' || armed.fired < times)) {
        armed.fired += 1
        chosen = armed.spec
      }
    }
    return chosen
  }

  function forward(req: IncomingMessage, body: Buffer, res: ServerResponse, call: ProxyCall) {
    const out = httpRequest(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        // A rewritten body has its own length.
        headers:
          req.headers['content-length'] === undefined
            ? req.headers
            : { ...req.headers, 'content-length': String(body.length) }
      },
      answer => {
        const chunks: Buffer[] = []
        answer.on('data', (chunk: Buffer) => chunks.push(chunk))
        answer.on('error', () => res.destroy())
        answer.on('end', async () => {
          const status = answer.statusCode ?? 502
          // `aas-capacity` (strict-scaling.ts): AWS moves the ECS count inside Min..Max before
          // it answers; the answer waits for the stand-in's UpdateService.
          if (
            status < 300 &&
            call.service === 'application-autoscaling' &&
            call.operation === 'RegisterScalableTarget' &&
            strict.on('aas-capacity')
          ) {
            const moved = await clampAfterRegister(
              JSON.parse(body.toString('utf8') || '{}') as Record<string, unknown>,
              motoCall(req.headers)
            ).catch(() => undefined)
            if (moved) call.strict = ['aas-capacity']
          }
          let text = Buffer.concat(chunks).toString('utf8')
          let headers: OutgoingHttpHeaders = { ...answer.headers }
          const strictAnswer = strict.rewrite(call, body, { status, body: text }, Date.now())
          if (strictAnswer) {
            call.strict = [...(call.strict ?? []), ...strictAnswer.rules]
            headers = strictAnswer.headers ?? headers
            call.status = strictAnswer.status
            text = strictAnswer.body
          }
          call.status ??= status
          delete headers['content-length']
          delete headers['transfer-encoding']
          headers['content-length'] = String(Buffer.byteLength(text))
          res.writeHead(call.status, headers)
          res.end(text)
        })
      }
    )
    out.on('error', error => {
      call.status = 502
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' })
      res.end(`e2e fault proxy: moto unreachable: ${error.message}`)
    })
    out.end(body)
  }

  /**
   * A JSON call to moto as the caller of the request in hand: its Authorization header with the
   * credential scope's service changed (moto routes by it, and checks no signature unless IAM is
   * enforced, when the stand-in's calls fail and it leaves the service alone).
   */
  function motoCall(headers: IncomingMessage['headers']): MotoCall {
    return (target, operation, input) =>
      new Promise(resolve => {
        const payload = Buffer.from(JSON.stringify(input), 'utf8')
        const scope = target === 'ecs' ? 'ecs' : 'application-autoscaling'
        const authorization = String(headers.authorization ?? '').replace(
          /(Credential=[^/]+\/[^/]+\/[^/]+\/)[^/]+\//,
          `$1${scope}/`
        )
        const out = httpRequest(
          {
            host: upstream.hostname,
            port: upstream.port,
            method: 'POST',
            path: '/',
            headers: {
              authorization,
              'x-amz-date': String(headers['x-amz-date'] ?? ''),
              'x-amz-target': `${TARGET_PREFIX[target]}.${operation}`,
              'content-type': 'application/x-amz-json-1.1',
              'content-length': String(payload.length)
            }
          },
          answer => {
            const parts: Buffer[] = []
            answer.on('data', (chunk: Buffer) => parts.push(chunk))
            answer.on('end', () => {
              if ((answer.statusCode ?? 500) >= 300) return resolve(undefined)
              try {
                resolve(JSON.parse(Buffer.concat(parts).toString('utf8')))
              } catch {
                resolve(undefined)
              }
            })
          }
        )
        out.on('error', () => resolve(undefined))
        out.end(payload)
      })
  }

  function stall(
    req: IncomingMessage,
    body: Buffer,
    res: ServerResponse,
    call: ProxyCall,
    stallMs: number | undefined
  ) {
    const hold: { timer?: NodeJS.Timeout; res: ServerResponse } = { res }
    held.add(hold)
    // A client that gives up (SDK timeout, killed action) ends the stall without forwarding:
    // the request then never reached AWS, which keeps what the test observes deterministic.
    res.on('close', () => {
      clearTimeout(hold.timer)
      held.delete(hold)
    })
    if (stallMs === undefined) return
    hold.timer = setTimeout(() => {
      held.delete(hold)
      if (!res.destroyed) forward(req, body, res, call)
    }, stallMs)
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const sent = Buffer.concat(chunks)
      const request = identify(req.url ?? '/', req.headers, sent)
      const body = rewrite ? rewrite(request, sent) : sent
      const call: ProxyCall = {
        ...request,
        write: isWrite(request.operation),
        body: body.toString('utf8'),
        at: Date.now()
      }
      calls.push(call)
      res.on('close', () => {
        if (!res.writableFinished) call.abandoned = true
      })
      const spec = pickFault(request.operation)
      call.fault = spec?.fault
      if (!spec) {
        const refusal = strict.refuse(request, body)
        if (refusal) {
          call.strict = [refusal.rule]
          call.status = refusal.answer.status
          res.writeHead(refusal.answer.status, refusal.answer.headers)
          return res.end(refusal.answer.body)
        }
        return forward(req, strict.sent(request, body, Date.now()), res, call)
      }
      if (spec.fault === 'stall') return stall(req, body, res, call, spec.stallMs)
      const answer = faultResponse(request, spec.fault)
      call.status = answer.status
      res.writeHead(answer.status, answer.headers)
      res.end(answer.body)
    })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo

  return {
    url: `http://127.0.0.1:${port}`,
    counts() {
      const counts: Record<string, number> = {}
      for (const call of calls) counts[call.operation] = (counts[call.operation] ?? 0) + 1
      return counts
    },
    calls: () => [...calls],
    writes: () => calls.filter(call => call.write).length,
    reset() {
      calls = []
    },
    inject(spec) {
      faults.push({ spec, seen: 0, fired: 0 })
    },
    clear() {
      faults = []
    },
    strict(strictOptions = {}) {
      strict.configure(strictOptions)
    },
    forgetWrites() {
      strict.forgetWrites()
    },
    async readLagOver() {
      for (let left = strict.lagEndsAt() - Date.now(); left >= 0;) {
        await new Promise(resolve => setTimeout(resolve, left + 1))
        left = strict.lagEndsAt() - Date.now()
      }
    },
    rewriteRequests(next) {
      rewrite = next
    },
    async close() {
      for (const hold of held) {
        clearTimeout(hold.timer)
        hold.res.destroy()
      }
      held.clear()
      server.closeAllConnections()
      await new Promise<void>(resolve => server.close(() => resolve()))
    }
  }
}
