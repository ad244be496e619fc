/**
 * The app settings the function app reads in code (binding settings such as the Event Hubs
 * connection are resolved by the Functions host from the names in the registrations). Every one
 * of them is listed and explained in local.settings.example.json and functions/README.md.
 */

/** The IoT Hub service connection string (a policy with registry read and service connect). */
export const IOTHUB_CONNECTION_STRING = 'IOTHUB_CONNECTION_STRING';
/** 'true' accepts http:// firmware URIs (local stacks without TLS); https:// only otherwise. */
export const ALLOW_INSECURE_FIRMWARE_URI = 'FLEETWAVE_ALLOW_INSECURE_FIRMWARE_URI';

/** Binding settings, resolved by the host: the names appear in the event handler's registration. */
export const IOTHUB_EVENTS_CONNECTION = 'IOTHUB_EVENTS_CONNECTION';
export const IOTHUB_EVENTS_NAME = 'IOTHUB_EVENTS_NAME';
export const IOTHUB_EVENTS_CONSUMER_GROUP = 'IOTHUB_EVENTS_CONSUMER_GROUP';

export class MissingSettingError extends Error {
  constructor(readonly setting: string) {
    super(`The app setting ${setting} is not set; see local.settings.example.json.`);
    this.name = 'MissingSettingError';
  }
}

export function requiredSetting(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (value === undefined || value.trim() === '') throw new MissingSettingError(name);
  return value;
}

export function flagSetting(name: string, env: NodeJS.ProcessEnv = process.env): boolean {
  return (env[name] ?? '').trim().toLowerCase() === 'true';
}
