/**
 * IoT Hub's operation throttles per tier and unit count, as Microsoft's "IoT Hub quotas and
 * throttling" reference states them (the Free, B1 and S1 column, B2/S2 and B3/S3). The emulator
 * meters its operations by this table, the app sizes its rollouts' pace by it, and the rollout
 * benchmark works out a fleet's quota floor from it: one table, so the three cannot disagree.
 */

export const HUB_TIERS = ['F1', 'S1', 'S2', 'S3'] as const;
export type HubTier = (typeof HUB_TIERS)[number];

/** A hub's size: its tier and how many units of it. */
export interface HubScale {
  tier: HubTier;
  units: number;
}

/** Units a hub of each tier may have (the Free tier has exactly one). */
export const MAX_UNITS: Record<HubTier, number> = { F1: 1, S1: 200, S2: 200, S3: 10 };

export const THROTTLED_OPERATIONS = [
  'identityRegistry',
  'deviceConnections',
  'directMethods',
  'queries',
  'twinReads',
  'twinUpdates',
] as const;
/** The throttles a firmware rollout meets (device-to-cloud telemetry, jobs, file upload … are not metered here). */
export type ThrottledOperation = (typeof THROTTLED_OPERATIONS)[number];

export interface OperationLimit {
  /** Sustained rate in meter units per second, for the whole hub. */
  perSecond: number;
  /** The window the reference states the limit in; the hub lets one window's worth through at once. */
  window: 'second' | 'minute';
  /** Bytes per meter unit (direct methods: a payload of up to 4 KB counts once, up to 8 KB twice …). */
  meterBytes?: number;
}

const perMinute = (n: number): OperationLimit => ({ perSecond: n / 60, window: 'minute' });
const perSecond = (n: number): OperationLimit => ({ perSecond: n, window: 'second' });
/** Direct methods: KB per second per unit, metered in 4 KB units. */
const methodBytes = (kbPerSecond: number): OperationLimit => ({ perSecond: kbPerSecond / 4, window: 'second', meterBytes: 4096 });

/** The throttle of `operation` on a hub of this tier and unit count. */
export function operationLimit({ tier, units }: HubScale, operation: ThrottledOperation): OperationLimit {
  const s3 = tier === 'S3';
  const s2 = tier === 'S2';
  switch (operation) {
    case 'identityRegistry':
      return perMinute((s3 ? 5000 : 100) * units);
    case 'deviceConnections':
      return perSecond(s3 ? 6000 * units : s2 ? 120 * units : Math.max(100, 12 * units));
    case 'directMethods':
      return methodBytes((s3 ? 24 * 1024 : s2 ? 480 : 160) * units);
    case 'queries':
      return perMinute((s3 ? 1000 : 20) * units);
    case 'twinReads':
      return perSecond(s3 ? 500 * units : s2 ? Math.max(100, 10 * units) : 100);
    case 'twinUpdates':
      return perSecond(s3 ? 250 * units : s2 ? Math.max(50, 5 * units) : 50);
  }
}

/** Meter units a request of `bytes` costs (1 for operations not metered by size). */
export function meterUnits(limit: OperationLimit, bytes: number): number {
  return limit.meterBytes === undefined ? 1 : Math.max(1, Math.ceil(bytes / limit.meterBytes));
}

/**
 * What one firmware update costs a device's hub, per the device agent's contract: the method
 * call; a twin update per step of the state machine (waiting, downloading, downloadComplete,
 * applying, applyComplete) plus a download progress report (one more per further second of
 * download); after the simulated reboot, a new connection and the twin read of its reconnect.
 */
export const OPERATIONS_PER_DEVICE_UPDATE: Readonly<Partial<Record<ThrottledOperation, number>>> = {
  directMethods: 1,
  twinUpdates: 6,
  deviceConnections: 1,
  twinReads: 1,
};

/**
 * Devices per second a hub of this scale can update, the throttles alone considered: the
 * tightest of the operations each update needs (on S1 the twin updates: 50/s ÷ 6).
 */
export function deviceUpdatesPerSecond(scale: HubScale): number {
  let rate = Infinity;
  for (const [operation, count] of Object.entries(OPERATIONS_PER_DEVICE_UPDATE) as [ThrottledOperation, number][]) {
    rate = Math.min(rate, operationLimit(scale, operation).perSecond / count);
  }
  return rate;
}

/** Parses a tier name and unit count (app settings, CLI options); throws an error naming what is wrong. */
export function parseHubScale(tier: string, units: string | number = 1): HubScale {
  const name = tier.trim().toUpperCase();
  if (!(HUB_TIERS as readonly string[]).includes(name))
    throw new Error(`unknown IoT Hub tier '${tier}': expected one of ${HUB_TIERS.join(', ')}`);
  const count = typeof units === 'number' ? units : Number(units.trim());
  const max = MAX_UNITS[name as HubTier];
  if (!Number.isInteger(count) || count < 1 || count > max) {
    throw new Error(`IoT Hub units must be a whole number from 1 to ${max} for tier ${name}, got '${units}'`);
  }
  return { tier: name as HubTier, units: count };
}
