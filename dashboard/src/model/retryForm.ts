import type { RetryableDeviceState, RetryRequest } from '../../../contracts/rolloutApi';

/** The POST …/retry body: the states ticked, and the error codes typed (comma- or space-separated) when any. */
export function retryRequestBody(states: readonly RetryableDeviceState[], errorCodes: string): RetryRequest {
  const codes = errorCodes
    .split(/[\s,]+/)
    .map((code) => code.trim())
    .filter((code) => code !== '');
  return { states: [...states], ...(codes.length === 0 ? {} : { errorCodes: codes }) };
}
