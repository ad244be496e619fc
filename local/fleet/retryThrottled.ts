import { setTimeout as sleep } from 'node:timers/promises';
import { backoffDelay, type ReconnectBackoff } from '../../device/agent/HubConnection';

export interface ThrottledRetryOptions {
  backoff: ReconnectBackoff;
  /** How long a call may stay throttled before giving up. */
  giveUpAfterMs: number;
}

/**
 * For a fleet's setup calls. Past its traffic shaping IoT Hub answers 429, which azure-iothub's
 * Registry throws at once; a call still throttled after 5 minutes means a hub far too small for the fleet.
 */
export const SETUP_RETRY: ThrottledRetryOptions = { backoff: { initialMs: 500, maxMs: 10_000 }, giveUpAfterMs: 5 * 60_000 };

/**
 * Runs a hub call, and again after an exponential backoff with jitter for as long as IoT Hub
 * throttles it (429), up to a bound; any other failure is thrown at once. `what` names the
 * operation in the error given up with.
 */
export async function retryThrottled<T>(what: string, call: () => Promise<T>, options: ThrottledRetryOptions = SETUP_RETRY): Promise<T> {
  const giveUpAt = Date.now() + options.giveUpAfterMs;
  for (let failures = 0; ; failures++) {
    try {
      return await call();
    } catch (error) {
      if (!isThrottled(error)) throw error;
      const remainingMs = giveUpAt - Date.now();
      if (remainingMs <= 0) {
        throw new Error(
          `${what}: IoT Hub still throttled it (429) after ${options.giveUpAfterMs / 1000} s of retries with backoff: ` +
            (error as Error).message,
          { cause: error },
        );
      }
      await sleep(Math.min(backoffDelay(options.backoff, failures), remainingMs));
    }
  }
}

/** azure-iothub's translation of an HTTP 429. */
function isThrottled(error: unknown): boolean {
  return (error as Error | undefined)?.name === 'ThrottlingError';
}
