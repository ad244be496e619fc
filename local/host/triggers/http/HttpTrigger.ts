import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HostFunction } from '../../catalog/HostFunction';
import { hostErrors } from '../../hostErrors';
import { writeResponse } from '../../hostResponse';
import type { FunctionInvoker } from '../../worker/FunctionInvoker';
import type { RpcHttpData, RpcInvocationResponse } from '../../worker/coreTypes';
import { forwardToStreamProxy } from './forwardToStreamProxy';
import { HttpRouter } from './HttpRouter';
import { toRpcHttpRequest } from './toRpcHttpRequest';
import { writeRpcHttpResponse } from './writeRpcHttpResponse';

/**
 * Runs HTTP-triggered functions: route, method, invoke, answer. Function keys (`code`,
 * x-functions-key) are accepted and not required, as with `func start`.
 */
export class HttpTrigger {
  readonly router: HttpRouter;

  constructor(
    functions: HostFunction[],
    routePrefix: string,
    private readonly invoker: FunctionInvoker,
    /** The library's HTTP proxy when the app enabled HTTP streaming. */
    private readonly streamProxyUri?: string,
  ) {
    this.router = new HttpRouter(functions, routePrefix);
  }

  /** Handles the request if a function route matches its path; false when none does. */
  async handle(req: IncomingMessage, res: ServerResponse, path: string, body: Buffer): Promise<boolean> {
    const match = this.router.match(req.method ?? 'GET', path);
    if (match.kind === 'notFound') return false;
    if (match.kind === 'methodNotAllowed') throw hostErrors.methodNotAllowed(match.allowed);
    if (match.kind === 'undecodableParameter') throw hostErrors.invalidRouteParameter(match.parameter, match.text);
    const fn = match.route.target;
    const request = toRpcHttpRequest(req, body, match.params);
    const invocationId = randomUUID();
    const relayed = this.streamProxyUri ? forwardToStreamProxy(this.streamProxyUri, invocationId, req, body, res) : undefined;
    let response: RpcInvocationResponse;
    try {
      response = await this.invoker.invoke(fn, {
        invocationId,
        inputData: [{ name: fn.trigger.name, data: { http: request } }],
        triggerMetadata: { Headers: { json: JSON.stringify(request.headers) }, ...paramsMetadata(match.params) },
        reason: `This function was programmatically called via the host APIs.`,
      });
    } catch {
      // The invoker has logged the failure; the caller gets what the Functions host gives.
      if (!res.headersSent) writeResponse(res, hostErrors.serverError().response);
      return true;
    }
    if (relayed) {
      await relayed;
      return true;
    }
    writeRpcHttpResponse(res, httpOutput(fn, response));
    return true;
  }
}

function paramsMetadata(params: Record<string, string>): Record<string, { string: string }> {
  return Object.fromEntries(Object.entries(params).map(([name, value]) => [name, { string: value }]));
}

/** The HTTP output: the return value (`$return`) or, when that is empty, a named http output. */
function httpOutput(fn: HostFunction, response: RpcInvocationResponse): RpcHttpData | undefined {
  if (response.returnValue?.http) return response.returnValue.http;
  const named = Object.entries(fn.bindings).filter(
    ([name, b]) => name !== '$return' && b.direction === 'out' && b.type.toLowerCase() === 'http',
  );
  for (const [name] of named) {
    const http = response.outputData?.find((entry) => entry.name === name)?.data?.http;
    if (http) return http;
  }
  return undefined;
}
