import type { HostResponse } from './hostResponse';

/** A request the host refuses, carrying the response it answers with. Built only through hostErrors. */
export class HostHttpError extends Error {
  constructor(
    message: string,
    readonly response: HostResponse,
  ) {
    super(message);
    this.name = 'HostHttpError';
  }
}

/** `{"message": "…"}`, the error body of the Durable extension's HTTP API and the admin routes. */
function refused(status: number, message: string, headers?: Record<string, string>): HostHttpError {
  return new HostHttpError(message, { status, body: { message }, ...(headers ? { headers } : {}) });
}

/** Without a body, as the Functions host answers what it has no route or no answer for. */
function bodiless(status: number, message: string, headers?: Record<string, string>): HostHttpError {
  return new HostHttpError(message, { status, ...(headers ? { headers } : {}) });
}

/** The rewind route answers in plain text, as the Durable extension does. */
function refusedAsText(status: number, message: string): HostHttpError {
  return new HostHttpError(message, { status, body: message });
}

/**
 * The single place that knows the dev host's error responses: those of the Functions host (function
 * routes, its admin routes) and of the Durable extension's HTTP API, which clients parse.
 */
export const hostErrors = {
  badRequest(message: string): HostHttpError {
    return refused(400, message);
  },
  conflict(message: string): HostHttpError {
    return refused(409, message);
  },
  notFound(message: string): HostHttpError {
    return refused(404, message);
  },
  instanceNotFound(instanceId: string): HostHttpError {
    return refused(404, `No instance with ID '${instanceId}' found.`);
  },
  instanceFinished(instanceId: string): HostHttpError {
    return refused(410, `The instance '${instanceId}' has already finished.`);
  },
  entityNotFound(name: string, key: string): HostHttpError {
    return refused(404, `Entity '@${name}@${key}' does not exist.`);
  },
  otherTaskHub(served: string, asked: string): HostHttpError {
    return refused(404, `This host serves the task hub '${served}', not '${asked}'.`);
  },
  /** A path segment of the Durable HTTP API that is not valid percent-encoding. */
  undecodableSegment(text: string): HostHttpError {
    return refused(400, `'${text}' is not valid percent-encoding.`);
  },
  /** A function route's parameter that is not valid percent-encoding. */
  invalidRouteParameter(parameter: string, text: string): HostHttpError {
    const message = `The route parameter '${parameter}' is not valid percent-encoding: ${text}`;
    return new HostHttpError(message, { status: 400, body: { error: 'invalidRouteParameter', parameter, message } });
  },
  /** 405 with the methods the path answers; the admin routes say so in a message too. */
  methodNotAllowed(allowed: string[], message?: string): HostHttpError {
    const headers = { allow: allowed.join(', ') };
    return message === undefined ? bodiless(405, `Only ${headers.allow}.`, headers) : refused(405, message, headers);
  },
  noRoute(): HostHttpError {
    return bodiless(404, 'No route matches the request.');
  },
  bodyTooLarge(): HostHttpError {
    return bodiless(413, 'The request body is larger than the host accepts.', { connection: 'close' });
  },
  /** The request failed inside the host or the function; the failure is logged, not sent. */
  serverError(): HostHttpError {
    return bodiless(500, 'The request failed.');
  },
  rewindInstanceNotFound(instanceId: string): HostHttpError {
    return refusedAsText(404, `No instance with ID '${instanceId}' found.`);
  },
  rewindNotFailed(): HostHttpError {
    return refusedAsText(412, 'The rewind operation is only supported on failed orchestration instances.');
  },
  rewindUnsupported(): HostHttpError {
    return refusedAsText(501, 'The rewind operation is not supported by this host (it is deprecated in Durable Functions).');
  },
};
