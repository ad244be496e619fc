/**
 * The activities by name, with their handlers' types. Orchestrators import this module only:
 * the handlers come in as types (erased at compile time), so no orchestrator loads an SDK, and a
 * call's input and result are checked against the activity's own signature (see
 * orchestrators/orchestrationApi.ts, callActivity).
 */
import type { invokeFirmwareUpdate } from './invokeFirmwareUpdate';
import type { readDeviceTwins } from './readDeviceTwins';
import type { resolveTargets } from './resolveTargets';

export interface Activities {
  resolveTargets: typeof resolveTargets;
  invokeFirmwareUpdate: typeof invokeFirmwareUpdate;
  readDeviceTwins: typeof readDeviceTwins;
}

export type ActivityName = keyof Activities;
export type { FirmwareMethodCall } from './invokeFirmwareUpdate';
export type ActivityInput<N extends ActivityName> = Parameters<Activities[N]>[0];
export type ActivityResult<N extends ActivityName> = Awaited<ReturnType<Activities[N]>>;

export const ACTIVITY_NAMES = ['resolveTargets', 'invokeFirmwareUpdate', 'readDeviceTwins'] as const satisfies readonly ActivityName[];
