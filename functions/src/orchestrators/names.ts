/**
 * Orchestration and external-event names, and the events' payloads: the contract between the
 * orchestrators, the HTTP API and the twin-change handler. Constants and types only.
 */
import type { FirmwareUpdateReport } from '../../../contracts/firmwareUpdate';
import type { ControlOperation } from '../rollout';

export const ORCHESTRATION = {
  rollout: 'rollout',
  wave: 'rolloutWave',
  batch: 'rolloutBatch',
  device: 'rolloutDevice',
} as const;

export const EVENT = {
  /** On a device orchestration: the device reported through its twin (raised by the event handler). */
  twinReport: 'twinReport',
  /** On a wave orchestration: one of its batches is done (raised by the batch, via the sendEvent activity). */
  batchDone: 'batchDone',
  /** On a rollout orchestration: an operator command was recorded in the control entity (raised by the HTTP API). */
  control: 'control',
} as const;

/**
 * The twin-change handler's `twinReport` event: one device's reports from one batch of twin
 * changes, in the order IoT Hub enqueued them (one raise per device per batch, not per report).
 */
export interface TwinReportsEvent {
  reports: TwinReportEvent[];
}

/** One report: the reported section's $version and what it said. */
export interface TwinReportEvent {
  twinVersion: number;
  /** null: the device cleared its firmware update. */
  firmwareUpdate: FirmwareUpdateReport | null;
  currentFwVersion?: string;
  /** When IoT Hub enqueued the change, for the audit trail. */
  enqueuedTime?: string;
}

/** A wake-up: the command itself is in the control entity, which the rollout reads. */
export interface ControlEvent {
  operation: ControlOperation;
  requestedAt: string;
}
