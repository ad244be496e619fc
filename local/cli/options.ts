import { InvalidArgumentError, Option } from 'commander';
import { HUB_TIERS, parseHubScale, type HubScale, type HubTier } from '../../contracts/iotHubQuotas';
import { parseDeviceModel, type DeviceModel } from '../../contracts/signing/signedManifest';

/** commander parser for port flags: 0-65535, with a message naming the flag's problem. */
export function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidArgumentError(`'${value}' is not a port number (0-65535).`);
  return port;
}

export function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`'${value}' is not a positive whole number.`);
  return n;
}

export function parseMilliseconds(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < 0)
    throw new InvalidArgumentError(`'${value}' is not a whole number of milliseconds (0 or more).`);
  return n;
}

export function parseProbability(value: string): number {
  const p = Number(value);
  if (value.trim() === '' || !Number.isFinite(p) || p < 0 || p > 1)
    throw new InvalidArgumentError(`'${value}' is not a probability between 0 and 1.`);
  return p;
}

export function parseJsonObject(value: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch (error) {
    throw new InvalidArgumentError(`not valid JSON: ${(error as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new InvalidArgumentError('must be a JSON object.');
  return parsed as Record<string, unknown>;
}

/** `--model [manufacturer/]model`: a device model (what a device is, or what an image is for). */
export function parseModel(value: string): DeviceModel {
  try {
    return parseDeviceModel(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

/** A repeatable `--model`'s models, in the order given. */
export function collectModels(value: string, previous: DeviceModel[] = []): DeviceModel[] {
  return [...previous, parseModel(value)];
}

/** A repeatable option's values, in the order given. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** `--tier` and `--units` of the commands that start the IoT Hub emulator. */
export interface HubScaleFlags {
  tier?: HubTier;
  units?: string;
}

export function tierOption(): Option {
  const description = `enforce the operation throttles of an IoT Hub of this tier: ${HUB_TIERS.join(', ')} (default: no throttling)`;
  return new Option('--tier <tier>', description).argParser(parseTier);
}

export function unitsOption(): Option {
  return new Option('--units <n>', 'units of that tier (default 1)');
}

function parseTier(value: string): HubTier {
  try {
    return parseHubScale(value).tier;
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

/** The hub scale to throttle as; undefined without --tier. The unit count is checked against the tier's maximum. */
export function hubScaleOf({ tier, units }: HubScaleFlags): HubScale | undefined {
  if (tier === undefined) {
    if (units !== undefined) throw new Error("option '--units <n>' needs --tier: units are units of a tier");
    return undefined;
  }
  try {
    return parseHubScale(tier, units ?? 1);
  } catch (error) {
    throw new Error(`option '--units <n>': ${(error as Error).message}`);
  }
}
