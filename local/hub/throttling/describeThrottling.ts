import { operationLimit, type HubScale, type OperationLimit, type ThrottledOperation } from '../../../contracts/iotHubQuotas';

/** Operation names as people read them, in the order a firmware rollout meets the throttles most. */
const OPERATION_NAMES: Record<ThrottledOperation, string> = {
  twinUpdates: 'twin updates',
  twinReads: 'twin reads',
  directMethods: 'direct methods',
  deviceConnections: 'new device connections',
  queries: 'queries',
  identityRegistry: 'identity registry operations',
};

export function operationName(operation: ThrottledOperation): string {
  return OPERATION_NAMES[operation];
}

/** "S1 × 1 unit", "S3 × 2 units". */
export function scaleText({ tier, units }: HubScale): string {
  return `${tier} × ${units} unit${units === 1 ? '' : 's'}`;
}

/** A limit in the unit the reference states it in: "50/s", "20/min", "160 KB/s". */
export function limitText(limit: OperationLimit): string {
  if (limit.meterBytes !== undefined) return `${round((limit.perSecond * limit.meterBytes) / 1024)} KB/s`;
  return limit.window === 'minute' ? `${round(limit.perSecond * 60)}/min` : `${round(limit.perSecond)}/s`;
}

/** The line the CLI prints at start. */
export function describeThrottling(scale: HubScale | null): string {
  if (!scale) return 'IoT Hub throttling: off';
  const limits = (Object.keys(OPERATION_NAMES) as ThrottledOperation[]).map(
    (operation) => `${operationName(operation)} ${limitText(operationLimit(scale, operation))}`,
  );
  return `IoT Hub throttling: ${scaleText(scale)} (${limits.join(', ')})`;
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
