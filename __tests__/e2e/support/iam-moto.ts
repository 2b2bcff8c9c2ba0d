import { createServer, request as httpRequest } from 'node:http'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { clientError, faultResponse, identify } from './aws-wire.js'
import type { AwsRequest } from './aws-wire.js'
import { startEmulator } from './emulator.js'
import type { MotoServer } from './emulator.js'

/**
 * A moto server of its own with IAM enforcement that can be switched on and off, for the IAM
 * test file only. moto checks IAM for every request once `INITIAL_NO_AUTH_ACTION_COUNT`
 * requests have been served (moto/core/authorization.py, `_authenticate_and_authorize_action`);
 * its `/moto-api/reset-auth` endpoint sets that count at run time
 * (moto/moto_api/_internal/responses.py, `reset_auth_response`). The switch is server-wide, not
 * per account, so it cannot be turned on in the shared server without breaking every other
 * file: this one starts a second server, off while a stack is built, on while the action runs.
 *
 * In front of it sits a small rewriter, because moto is not AWS in two ways the test relies on:
 * - moto answers every denial in the query protocol's XML (`AccessDeniedError` is an XML
 *   `_RESTError`), which the SDK cannot parse for ECS (JSON 1.1) or CloudWatch (JSON 1.0): they
 *   are rewritten into each protocol's own error format (aws-wire.ts `faultResponse`), with
 *   moto's message and the IAM prefix AWS writes (`cloudwatch:`, where moto writes the SigV4
 *   signing name `monitoring:`). Helper "strict" is building the same rewrite into the fault
 *   proxy's strict mode; until it lands, this one stands in.
 * - moto evaluates only the permission named after the operation called. AWS also checks
 *   `ecs:TagResource` when RegisterTaskDefinition carries tags ("tag on create" authorization,
 *   ECS developer guide: "Grant permission to tag resources on creation") and `iam:PassRole` for
 *   the roles a task definition names (ECS developer guide: "Task execution IAM role"). Those
 *   two are checked here, against the permissions the test gave the action's user.
 */
export interface IamMoto {
  /** Where test-side clients and the fault proxy send requests (the rewriter). */
  url: string
  /** IAM checks on every request (true) or none (false). */
  enforce(on: boolean): Promise<void>
  /**
   * The next call of `operation` reaches moto, but its answer never reaches the client, which
   * times out: a call AWS carried out whose answer was lost. `undefined` disarms.
   */
  loseNextAnswer(operation: string | undefined): void
  /** The action's user: its access key and the IAM actions its policy allows (for the implicit checks). */
  actAs(accessKeyId: string, allowed: ReadonlySet<string>): void
  stop(): Promise<void>
}

/** Checks AWS makes inside an operation besides the operation's own permission (exported for its unit test). */
export const IMPLICIT: {
  operation: string
  action: string
  applies: (body: Record<string, unknown>) => boolean
  /** The action calls this itself before it ever reaches `operation`: its own call fails first. */
  calledFirst?: true
  /** The error the service answers with (AccessDenied unless said). */
  error?: 'ValidationException'
}[] = [
  // Application Auto Scaling checks the caller's own permissions on the target before it
  // registers it ("Permissions validation for Application Auto Scaling API calls on target
  // resources", Application Auto Scaling user guide: it "fails the request and returns an error
  // to the user containing information about the missing permission", a ValidationException);
  // for ECS services those are ecs:DescribeServices and ecs:UpdateService (ECS developer guide,
  // "IAM permissions required for Amazon ECS service auto scaling").
  {
    operation: 'RegisterScalableTarget',
    action: 'ecs:DescribeServices',
    applies: body => body.ServiceNamespace === 'ecs',
    calledFirst: true,
    error: 'ValidationException'
  },
  {
    operation: 'RegisterScalableTarget',
    action: 'ecs:UpdateService',
    applies: body => body.ServiceNamespace === 'ecs',
    error: 'ValidationException'
  },
  {
    operation: 'RegisterTaskDefinition',
    action: 'ecs:TagResource',
    applies: body => Array.isArray(body.tags) && body.tags.length > 0
  },
  {
    operation: 'RegisterTaskDefinition',
    action: 'iam:PassRole',
    applies: body => Boolean(body.taskRoleArn || body.executionRoleArn)
  }
]

/**
 * The operation through which AWS checks `action`: RegisterTaskDefinition for the implicit
 * ones, the action's own name otherwise (`elasticloadbalancing:ModifyRule` → `ModifyRule`).
 */
export function callChecking(action: string): string {
  const implicit = IMPLICIT.find(check => check.action === action && !check.calledFirst)
  return implicit?.operation ?? action.split(':')[1]
}

/** Starts the server (off) and its rewriter. */
export async function startIamMoto(): Promise<IamMoto> {
  const saved = process.env.MOTO_URL
  let server: MotoServer
  try {
    server = await startEmulator()
  } finally {
    // startEmulator points this process at the new server; the rewriter goes in front instead.
    if (saved === undefined) delete process.env.MOTO_URL
    else process.env.MOTO_URL = saved
  }
  const upstream = new URL(server.url)
  let enforcing = false
  let losing: string | undefined
  let user: { accessKeyId: string; allowed: ReadonlySet<string> } | undefined

  function implicitDenial(request: AwsRequest, headers: IncomingMessage['headers'], body: Buffer) {
    if (!enforcing || !user || request.protocol !== 'json') return undefined
    if (!String(headers.authorization ?? '').includes(`Credential=${user.accessKeyId}/`)) {
      return undefined
    }
    const parsed = JSON.parse(body.toString('utf8') || '{}') as Record<string, unknown>
    return IMPLICIT.find(
      check =>
        check.operation === request.operation &&
        check.applies(parsed) &&
        !user!.allowed.has(check.action)
    )
  }

  const rewriter = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const body = Buffer.concat(chunks)
      const request = identify(req.url ?? '/', req.headers, body)
      const implicit = implicitDenial(request, req.headers, body)
      if (implicit) {
        const message = `User: ${user!.accessKeyId} is not authorized to perform: ${implicit.action}`
        if (implicit.error) return refuse(res, request, implicit.error, message)
        return deny(res, request, message)
      }
      forward(req, body, res, request)
    })
  })

  function forward(req: IncomingMessage, body: Buffer, res: ServerResponse, request: AwsRequest) {
    const out = httpRequest(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: req.headers
      },
      answer => {
        if (losing !== undefined && losing === request.operation) {
          // Carried out, answer dropped: the client's request timeout (4 s) ends the call; the
          // connection is dropped after it, as a lost one would be, so nothing waits on it.
          losing = undefined
          answer.resume()
          setTimeout(() => res.destroy(), 5_000).unref()
          return
        }
        const parts: Buffer[] = []
        answer.on('data', (chunk: Buffer) => parts.push(chunk))
        answer.on('end', () => {
          const text = Buffer.concat(parts).toString('utf8')
          const denied = /<Code>AccessDenied<\/Code>\s*<Message>([^<]*)<\/Message>/.exec(text)
          if (answer.statusCode === 403 && denied) return deny(res, request, unescape(denied[1]))
          res.writeHead(answer.statusCode ?? 502, answer.headers)
          res.end(Buffer.concat(parts))
        })
      }
    )
    out.on('error', error => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' })
      res.end(`iam rewriter: moto unreachable: ${error.message}`)
    })
    out.end(body)
  }

  await new Promise<void>(resolve => rewriter.listen(0, '127.0.0.1', resolve))
  const { port } = rewriter.address() as AddressInfo

  return {
    url: `http://127.0.0.1:${port}`,
    async enforce(on) {
      // The count of requests served without checks: 0 checks all from now on, inf none.
      const answer = await fetch(`${server.url}/moto-api/reset-auth`, {
        method: 'POST',
        body: on ? '0' : 'inf'
      })
      if (!answer.ok) throw new Error(`moto reset-auth answered ${answer.status}`)
      enforcing = on
    },
    loseNextAnswer(operation) {
      losing = operation
    },
    actAs(accessKeyId, allowed) {
      user = { accessKeyId, allowed }
    },
    async stop() {
      rewriter.closeAllConnections()
      await new Promise<void>(resolve => rewriter.close(() => resolve()))
      await server.stop()
    }
  }
}

/** A client error (JSON protocol) with `type`: how Application Auto Scaling reports a check. */
function refuse(res: ServerResponse, request: AwsRequest, type: string, message: string) {
  const answer = clientError(request, type, message)
  res.writeHead(answer.status, answer.headers)
  res.end(answer.body)
}

/** AWS's denial in the request's own wire format, with `message` in AWS's IAM prefixes. */
function deny(res: ServerResponse, request: AwsRequest, message: string) {
  const answer = faultResponse(request, 'denied')
  const awsMessage = message.replace(/\bmonitoring:/g, 'cloudwatch:')
  const body =
    request.protocol === 'json'
      ? JSON.stringify({ ...JSON.parse(answer.body), message: awsMessage })
      : answer.body.replace(/<Message>[^<]*<\/Message>/, `<Message>${escape(awsMessage)}</Message>`)
  res.writeHead(answer.status, answer.headers)
  res.end(body)
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

function unescape(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&')
}
