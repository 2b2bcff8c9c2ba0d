import { randomUUID } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'

/**
 * The wire protocols the SDK clients speak. With the versions in package.json: ELBv2 (and STS,
 * EC2) use `query` (form body, `Action=ModifyRule`); ECS uses `json` 1.1 (`X-Amz-Target:
 * AmazonEC2ContainerServiceV20141113.UpdateService`); CloudWatch uses `json` 1.0 in
 * query-compatible mode (`X-Amz-Target: GraniteServiceVersion20100801.DescribeAlarms`,
 * `x-amzn-query-mode: true`). CloudWatch's model also lists Smithy RPC v2 CBOR
 * (`/service/GraniteServiceVersion20100801/operation/DescribeAlarms`), which moto 5.2.5 cannot
 * parse: such a request is recognised here so that a switch in a future SDK shows up plainly.
 */
export type Protocol = 'query' | 'json' | 'rpc-v2-cbor' | 'unknown'

/** What a request to AWS is. */
export interface AwsRequest {
  /** The SigV4 signing name: elasticloadbalancing, ecs, monitoring, sts, ec2... */
  service: string
  operation: string
  protocol: Protocol
  /** json 1.0 services that keep their query-era error codes (CloudWatch). */
  queryCompatible: boolean
  /** The SDK's attempt number (1 for the first try, 2 for the first retry...). */
  attempt: number
  /** For `json`: the content type the request came in (and its answer goes out) with. */
  contentType?: string
}

/** Reads service, operation and protocol from a raw request as the SDK sent it. */
export function identify(path: string, headers: IncomingHttpHeaders, body: Buffer): AwsRequest {
  const scope = /Credential=[^/]+\/[^/]+\/[^/]+\/([^/]+)\//.exec(header(headers, 'authorization'))
  const attempt = Number(/attempt=(\d+)/.exec(header(headers, 'amz-sdk-request'))?.[1] ?? 1)
  const base = { service: scope?.[1] ?? 'unknown', attempt }
  const target = header(headers, 'x-amz-target')
  const queryCompatible = header(headers, 'x-amzn-query-mode') === 'true'
  const cbor = /\/service\/[^/]+\/operation\/([^/?]+)/.exec(path)
  if (cbor || header(headers, 'smithy-protocol') === 'rpc-v2-cbor') {
    return { ...base, operation: cbor?.[1] ?? 'unknown', protocol: 'rpc-v2-cbor', queryCompatible }
  }
  if (target) {
    const contentType = header(headers, 'content-type') || 'application/x-amz-json-1.1'
    return {
      ...base,
      operation: target.split('.').pop()!,
      protocol: 'json',
      queryCompatible,
      contentType
    }
  }
  const action = new URLSearchParams(body.toString('utf8')).get('Action')
  if (action) return { ...base, operation: action, protocol: 'query', queryCompatible: false }
  return { ...base, operation: 'unknown', protocol: 'unknown', queryCompatible: false }
}

function header(headers: IncomingHttpHeaders, name: string): string {
  const value = headers[name]
  return Array.isArray(value) ? value.join(',') : (value ?? '')
}

/** The faults the proxy can inject. */
export type Fault = 'throttle' | 'error500' | 'denied'

/** A canned HTTP response. */
export interface WireResponse {
  status: number
  headers: Record<string, string>
  body: string
}

/** What an AWS error is made of, whatever the protocol. */
export interface ErrorShape {
  status: number
  /** The code a query-protocol service puts in <Code> (and CloudWatch in x-amzn-query-error). */
  queryCode: string
  /** The __type a JSON service sends. */
  jsonType: string
  type: 'Sender' | 'Receiver'
  message: string
}

// What the real services answer, by protocol. The SDK retries Throttling/ThrottlingException
// (by name) and 5xx (by status), and gives up at once on AccessDenied(Exception).
function errorShape(request: AwsRequest, fault: Fault): ErrorShape {
  const ecs = request.service === 'ecs'
  switch (fault) {
    case 'throttle':
      return {
        status: 400,
        queryCode: 'Throttling',
        jsonType: request.queryCompatible
          ? 'com.amazon.coral.availability#ThrottlingException'
          : 'ThrottlingException',
        type: 'Sender',
        message: 'Rate exceeded'
      }
    case 'error500':
      return {
        status: 500,
        queryCode: request.queryCompatible ? 'InternalServiceError' : 'InternalFailure',
        jsonType: ecs ? 'ServerException' : 'com.amazonaws.cloudwatch#InternalServiceFault',
        type: 'Receiver',
        message: 'An internal error occurred. Try again.'
      }
    case 'denied': {
      const action = `${iamPrefix(request.service)}:${request.operation}`
      return {
        // ECS documents AccessDeniedException as HTTP 400; query services answer 403.
        status: ecs ? 400 : 403,
        queryCode: 'AccessDenied',
        jsonType: request.queryCompatible
          ? 'com.amazon.coral.service#AccessDeniedException'
          : 'AccessDeniedException',
        type: 'Sender',
        message: `User: arn:aws:sts::000000000000:assumed-role/ecs-canary-e2e/ecs-canary-e2e is not authorized to perform: ${action} because no identity-based policy allows the ${action} action`
      }
    }
  }
}

function iamPrefix(service: string): string {
  return service === 'monitoring' ? 'cloudwatch' : service
}

/** The response a real service gives for `fault`, in the request's own wire format. */
export function faultResponse(request: AwsRequest, fault: Fault, message?: string): WireResponse {
  const shape = errorShape(request, fault)
  return wireError(request, message === undefined ? shape : { ...shape, message })
}

/**
 * A client error (HTTP 400, type Sender) as the service would send it: `code` in <Code> for a
 * query service and in x-amzn-query-error for a query-compatible JSON one, and `jsonType` (the
 * code by default) as a JSON service's __type.
 */
export function clientError(
  request: AwsRequest,
  code: string,
  message: string,
  jsonType: string = code
): WireResponse {
  return wireError(request, { status: 400, queryCode: code, jsonType, type: 'Sender', message })
}

/** An error in the request's own wire format. */
export function wireError(request: AwsRequest, error: ErrorShape): WireResponse {
  const requestId = randomUUID()
  if (request.protocol === 'query') {
    return {
      status: error.status,
      headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId },
      body:
        `<ErrorResponse xmlns="http://${request.service}.amazonaws.com/doc/">` +
        `<Error><Type>${error.type}</Type><Code>${error.queryCode}</Code>` +
        `<Message>${escapeXml(error.message)}</Message></Error>` +
        `<RequestId>${requestId}</RequestId></ErrorResponse>`
    }
  }
  if (request.protocol === 'json') {
    const headers: Record<string, string> = {
      'content-type': request.contentType ?? 'application/x-amz-json-1.1',
      'x-amzn-requestid': requestId,
      'x-amzn-errortype': error.jsonType
    }
    if (request.queryCompatible) headers['x-amzn-query-error'] = `${error.queryCode};${error.type}`
    return {
      status: error.status,
      headers,
      body: JSON.stringify({ __type: error.jsonType, message: error.message })
    }
  }
  // No CBOR encoder here on purpose: moto cannot serve CBOR, so such a run fails regardless.
  return {
    status: 501,
    headers: { 'content-type': 'text/plain' },
    body: `e2e fault proxy: cannot fake ${error.queryCode} in protocol ${request.protocol}`
  }
}

/** Escapes text for an XML element. */
export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

/**
 * Whether an operation changes state. Anything but a read counts, so a write the action was
 * never meant to make (a SetAlarmState, a DeleteRule) is caught too.
 */
export function isWrite(operation: string): boolean {
  return !/^(Describe|List|Get|BatchGet|Assume|Decode)/.test(operation)
}
