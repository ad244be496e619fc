import type { RawResponse } from '../../../local/probes/hubHttpsRequest';
import { isRecord } from '../../../contracts/guards';

/** An HTTP answer and how long it took. */
export interface HttpAnswer extends RawResponse {
  ms: number;
  /** The error an SDK made of the answer, when an SDK sent the request. */
  sdkError?: string;
}

/** Status, IoT Hub's error code header, the body (IoT Hub's nested Message unwrapped, tracking ids elided) and the time. */
export function describeHttp(answer: HttpAnswer): string {
  const code = answer.headers['iothub-errorcode'];
  const sdk = answer.sdkError ? `; the SDK throws ${answer.sdkError}` : '';
  return `${answer.status}${code ? ` [iothub-errorcode ${code}]` : ''} ${compactBody(answer.body)}${sdk} (${answer.ms} ms)`;
}

function compactBody(body: string): string {
  const json = parseJson(body);
  if (!isRecord(json)) return body === '' ? '(empty body)' : body;
  const message = typeof json.Message === 'string' ? parseJson(json.Message) : undefined;
  if (isRecord(message)) {
    return JSON.stringify({ Message: { errorCode: message.errorCode, message: message.message }, ExceptionMessage: json.ExceptionMessage });
  }
  return JSON.stringify(json).replace(/Tracking ID:[^"]*/, 'Tracking ID:…');
}

/** A fleetwave API error: `{ error, message }`, and for a 400 the problem naming `field`. */
export function isApiError(answer: HttpAnswer, status: number, error: string, field?: string, message?: RegExp): boolean {
  const json = parseJson(answer.body);
  if (answer.status !== status || !isRecord(json) || json.error !== error || typeof json.message !== 'string') return false;
  if (field === undefined) return true;
  const problems = Array.isArray(json.problems) ? json.problems.filter(isRecord) : [];
  return problems.some((p) => p.field === field && typeof p.message === 'string' && (message === undefined || message.test(p.message)));
}

export interface IotHubErrorDetail {
  /** The six-digit code of a nested body; absent for the legacy body. */
  errorCode?: number;
  message?: RegExp;
}

/**
 * IoT Hub's error answer: the status, the `iothub-errorcode` header (one of `names`) and the body
 * of the endpoint's style: legacy `{"Message":"ErrorCode:<name>;…","ExceptionMessage":"Tracking ID:…"}`,
 * or nested `{"Message":"{\"errorCode\":<code>,…}","ExceptionMessage":""}` when an errorCode is given.
 */
export function isIotHubError(answer: HttpAnswer, status: number, names: string[], detail: IotHubErrorDetail = {}): boolean {
  const json = parseJson(answer.body);
  const name = answer.headers['iothub-errorcode'];
  if (answer.status !== status || typeof name !== 'string' || !names.includes(name)) return false;
  if (!isRecord(json) || typeof json.Message !== 'string') return false;
  if (detail.errorCode === undefined) {
    const legacy = json.Message.startsWith(`ErrorCode:${name};`) && String(json.ExceptionMessage).startsWith('Tracking ID:');
    return legacy && (detail.message === undefined || detail.message.test(json.Message));
  }
  const inner = parseJson(json.Message);
  return (
    isRecord(inner) && inner.errorCode === detail.errorCode && (detail.message === undefined || detail.message.test(String(inner.message)))
  );
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
