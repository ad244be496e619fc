/**
 * The app settings the function app reads in code (binding settings such as the Event Hubs
 * connection are resolved by the Functions host from the names in the registrations). Every one
 * of them is listed and explained in local.settings.example.json and functions/README.md.
 */
import { parseHubScale } from '../../contracts/iotHubQuotas';
import type { HubScale } from '../../contracts/iotHubQuotas';

/** The IoT Hub service connection string (a policy with registry read and service connect). */
export const IOTHUB_CONNECTION_STRING = 'IOTHUB_CONNECTION_STRING';
/** 'true' accepts http:// firmware URIs (local stacks without TLS); https:// only otherwise. */
export const ALLOW_INSECURE_FIRMWARE_URI = 'FLEETWAVE_ALLOW_INSECURE_FIRMWARE_URI';
/** The hub's tier (F1, S1, S2, S3) and units: rollouts pace themselves to its throttles. Unset: no pacing. */
export const HUB_TIER = 'FLEETWAVE_HUB_TIER';
export const HUB_UNITS = 'FLEETWAVE_HUB_UNITS';
/** on: POST /api/rollouts requires firmware.manifest, a signed manifest that verifies against FIRMWARE_TRUST. */
export const REQUIRE_SIGNED_FIRMWARE = 'FLEETWAVE_REQUIRE_SIGNED_FIRMWARE';
/** The firmware roots file (JSON inline, or a path to it) the app verifies signed manifests against. */
export const FIRMWARE_TRUST = 'FLEETWAVE_FIRMWARE_TRUST';
/** Optional: the current root-signed trust bundle (JSON inline, or a path), verified with and handed to devices. */
export const FIRMWARE_TRUST_BUNDLE = 'FLEETWAVE_FIRMWARE_TRUST_BUNDLE';
/** Set by Azure on a Function App connected to Application Insights; set, log events also go there as traces. */
export const APPLICATIONINSIGHTS_CONNECTION_STRING = 'APPLICATIONINSIGHTS_CONNECTION_STRING';

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

export class InvalidSettingError extends Error {
  constructor(
    readonly setting: string,
    problem: string,
  ) {
    super(`The app setting ${setting} is invalid: ${problem}; see local.settings.example.json.`);
    this.name = 'InvalidSettingError';
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

const SWITCH_VALUES: ReadonlyMap<string, boolean> = new Map([
  ['', false],
  ['off', false],
  ['false', false],
  ['on', true],
  ['true', true],
]);

/** An on/off setting: on or true, off or false (case-insensitive); unset or empty is off; anything else is an error. */
export function switchSetting(name: string, env: NodeJS.ProcessEnv = process.env): boolean {
  const value = (env[name] ?? '').trim();
  const on = SWITCH_VALUES.get(value.toLowerCase());
  if (on === undefined) throw new InvalidSettingError(name, `'${value}' is not on or off`);
  return on;
}

/** The hub's size from FLEETWAVE_HUB_TIER / FLEETWAVE_HUB_UNITS, or null when no tier is set. */
export function hubScaleSetting(env: NodeJS.ProcessEnv = process.env): HubScale | null {
  const tier = (env[HUB_TIER] ?? '').trim();
  const units = (env[HUB_UNITS] ?? '').trim();
  if (tier === '') {
    if (units !== '') throw new InvalidSettingError(HUB_UNITS, `it is set to '${units}' but ${HUB_TIER} is not`);
    return null;
  }
  try {
    parseHubScale(tier);
  } catch (error) {
    throw new InvalidSettingError(HUB_TIER, (error as Error).message);
  }
  try {
    return parseHubScale(tier, units === '' ? 1 : units);
  } catch (error) {
    throw new InvalidSettingError(HUB_UNITS, (error as Error).message);
  }
}

/** An instrumentation key as the Azure Monitor exporter accepts it (lower-case hex). */
const INSTRUMENTATION_KEY = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * APPLICATIONINSIGHTS_CONNECTION_STRING, or null when it is not set. The instrumentation key is
 * checked the way the Azure Monitor exporter reads it: without one it accepts, it drops every trace.
 */
export function appInsightsConnectionSetting(env: NodeJS.ProcessEnv = process.env): string | null {
  const value = (env[APPLICATIONINSIGHTS_CONNECTION_STRING] ?? '').trim();
  if (value === '') return null;
  const pairs = value.split(';').map((pair) => pair.split('='));
  const key = pairs.find((pair) => pair.length === 2 && pair[0].toLowerCase() === 'instrumentationkey')?.[1];
  if (key === undefined || !INSTRUMENTATION_KEY.test(key)) {
    throw new InvalidSettingError(APPLICATIONINSIGHTS_CONNECTION_STRING, 'it needs InstrumentationKey=<GUID in lower case>');
  }
  return value;
}
