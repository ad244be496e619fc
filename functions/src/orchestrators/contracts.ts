/**
 * Orchestration and external-event names, and the events' payloads: the contract between the
 * orchestrators, the HTTP API and the twin-change handler. Constants and types only.
 */
import type { ControlOperation, EventReport } from '../rollout';

export const ORCHESTRATION = {
  rollout: 'rollout',
  wave: 'rolloutWave',
  /** A batch of a wave's devices; also their tracker, which follows them all to a verdict. */
  batch: 'rolloutBatch',
} as const;

export const EVENT = {
  /** On a batch orchestration (a tracker): its devices reported through their twins (raised by the event handler). */
  twinReport: 'twinReport',
  /** On a rollout orchestration: an operator command was recorded in the control entity (raised by the HTTP API). */
  control: 'control',
} as const;

/**
 * The twin-change handler's `twinReport` event: a tracker's devices' reports from one batch of
 * twin changes, in the order IoT Hub enqueued them (one raise per tracker per batch).
 */
export interface TwinReportsEvent {
  reports: TwinReportEvent[];
}

/** One report: the device, the reported section's $version and what it said. */
export interface TwinReportEvent {
  deviceId: string;
  twinVersion: number;
  /** null: the device cleared its firmware update. */
  firmwareUpdate: EventReport | null;
  currentFwVersion?: string;
  /** When IoT Hub enqueued the change, for the audit trail. */
  enqueuedTime?: string;
}

/** A wake-up: the command itself is in the control entity, which the rollout reads. */
export interface ControlEvent {
  operation: ControlOperation;
  requestedAt: string;
}
