import { parseQuery, QuerySyntaxError } from '../../../../contracts/twinQuery';
import { TWIN_READ } from '../../authentication/accessPolicies';
import { IotHubErrorFactory } from '../../errors/IotHubErrorFactory';
import { runQuery } from '../../query';
import { twinView } from '../../registry/views';
import type { Route } from '../serviceContext';

const DEFAULT_PAGE = 1000;
const MAX_PAGE = 10000;

/**
 * Twin queries: POST /devices/query with x-ms-max-item-count / x-ms-continuation paging. The
 * continuation token is the offset into the result, opaque to clients; the last page carries none
 * (an empty header would make the SDK loop forever).
 */
export const queryRoutes: Route[] = [
  {
    method: 'POST',
    path: '/devices/query',
    anyOf: TWIN_READ,
    style: 'legacy',
    // One per page: IoT Hub meters each request of a paged query.
    operation: 'queries',
    handle({ headers, body, services }) {
      const text = (body as { query?: unknown } | undefined)?.query;
      if (typeof text !== 'string' || text.trim() === '') {
        throw IotHubErrorFactory.argumentInvalid('The request body must be {"query": "<query text>"}.');
      }
      const pageSize = parsePageSize(headers['x-ms-max-item-count']);
      const offset = parseContinuation(headers['x-ms-continuation']);
      let query;
      try {
        query = parseQuery(text);
      } catch (error) {
        if (error instanceof QuerySyntaxError) throw IotHubErrorFactory.argumentInvalid(error.message);
        throw error;
      }
      const rows = (function* () {
        for (const record of services.registry.list()) yield twinView(record);
      })();
      const { itemType, items } = runQuery(query, rows);
      const page = items.slice(offset, offset + pageSize);
      const responseHeaders: Record<string, string> = { 'x-ms-item-type': itemType };
      if (offset + pageSize < items.length) responseHeaders['x-ms-continuation'] = encodeContinuation(offset + pageSize);
      return { status: 200, body: page, headers: responseHeaders };
    },
  },
];

function parsePageSize(header: string | string[] | undefined): number {
  if (header === undefined) return DEFAULT_PAGE;
  const size = Number(header);
  if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE) {
    throw IotHubErrorFactory.argumentInvalid(`x-ms-max-item-count must be an integer from 1 to ${MAX_PAGE}; got '${header}'.`);
  }
  return size;
}

function encodeContinuation(offset: number): string {
  return Buffer.from(JSON.stringify({ offset })).toString('base64');
}

function parseContinuation(header: string | string[] | undefined): number {
  if (header === undefined || header === '') return 0;
  try {
    const { offset } = JSON.parse(Buffer.from(String(header), 'base64').toString('utf8')) as { offset?: unknown };
    if (typeof offset === 'number' && Number.isInteger(offset) && offset >= 0) return offset;
  } catch {
    // fall through to the error below
  }
  throw IotHubErrorFactory.argumentInvalid('x-ms-continuation is not a continuation token this hub issued.');
}
