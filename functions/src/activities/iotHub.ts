/**
 * The app's IoT Hub service clients (azure-iothub, from the IOTHUB_CONNECTION_STRING app setting),
 * how many calls an activity makes at once, and how their failures read. Only activities import
 * this module.
 */
import { Client, Registry } from 'azure-iothub';
import { mapBounded } from '../mapBounded';
import { IOTHUB_CONNECTION_STRING, requiredSetting } from '../settings';

interface Clients {
  registry: Registry;
  client: Client;
}

const cache = new Map<string, Clients>();

/**
 * Clients for the configured hub, created once per connection string and reused across
 * invocations (keep-alive connections). The service Client's own retry policy (up to four
 * minutes inside one call) is switched off: a device method answers in seconds or not at all, and
 * the device's tracker (the batch orchestration) decides when to try again with durable timers.
 */
export function iotHub(): Clients {
  const connectionString = requiredSetting(IOTHUB_CONNECTION_STRING);
  let clients = cache.get(connectionString);
  if (clients === undefined) {
    const client = Client.fromConnectionString(connectionString);
    client.setRetryPolicy(NO_RETRY as Parameters<Client['setRetryPolicy']>[0]);
    clients = { registry: Registry.fromConnectionString(connectionString), client };
    cache.set(connectionString, clients);
  }
  return clients;
}

const NO_RETRY = {
  shouldRetry: (): boolean => false,
  nextRetryTimeout: (): number => 0,
};

/** Hub calls in flight at once per activity execution: a batch's devices are served in parallel, the hub is not flooded. */
export const HUB_CALLS_IN_FLIGHT = 25;

/**
 * One hub call per device, at most HUB_CALLS_IN_FLIGHT at once: an activity serves all the devices
 * of a batch in one execution, since durable work is paid per execution, not per device. The
 * results come in the order of deviceIds, each with its device's id.
 */
export function callPerDevice<R extends object>(
  deviceIds: readonly string[],
  call: (deviceId: string) => Promise<R>,
): Promise<({ deviceId: string } & R)[]> {
  return mapBounded(deviceIds, HUB_CALLS_IN_FLIGHT, async (deviceId) => ({ deviceId, ...(await call(deviceId)) }));
}

/** What a failed azure-iothub call tells: HTTP status, IoT Hub's numeric error code, the error name. */
export interface HubFailure {
  status: number | null;
  /** IoT Hub's six-digit code (404103 DeviceNotOnline, 404001 DeviceNotFound, 504101 GatewayTimeout …). */
  errorCode: number | null;
  name: string;
  message: string;
}

/**
 * The SDK turns an error answer into an Error whose class it does not export, with the response on
 * `response` and the body text on `responseBody`. IoT Hub nests its JSON error in a `Message`
 * string (`{"Message":"{\"errorCode\":404103,…}"}`), so the code is searched in the raw text too.
 */
export function hubFailure(error: unknown): HubFailure {
  const e = (typeof error === 'object' && error !== null ? error : {}) as {
    name?: unknown;
    message?: unknown;
    statusCode?: unknown;
    response?: { statusCode?: unknown };
    responseBody?: unknown;
  };
  const status =
    typeof e.response?.statusCode === 'number' ? e.response.statusCode : typeof e.statusCode === 'number' ? e.statusCode : null;
  const body = typeof e.responseBody === 'string' ? e.responseBody : '';
  const code = /errorCode\\*"?\s*:\s*(\d{6})/i.exec(body)?.[1];
  return {
    status,
    errorCode: code === undefined ? null : Number(code),
    name: typeof e.name === 'string' ? e.name : 'Error',
    message: typeof e.message === 'string' ? e.message : String(error),
  };
}

/** The hub's throttle refused the request (429, ThrottlingException 429001 or a backlog code 4290xx): try later. */
export function isThrottled(failure: HubFailure): boolean {
  return failure.status === 429;
}

/** The hub refused the request itself (HTTP 400): sending it again gets the same answer, so no retry. */
export function isRejectedRequest(failure: HubFailure): boolean {
  return failure.status === 400;
}

export function describeFailure(failure: HubFailure): string {
  const parts = [failure.status === null ? 'no HTTP status' : `HTTP ${failure.status}`];
  if (failure.errorCode !== null) parts.push(`IoT Hub error ${failure.errorCode}`);
  return `${parts.join(', ')}: ${failure.name}: ${failure.message}`;
}
