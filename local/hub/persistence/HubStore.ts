import type { SharedAccessPolicy } from '../authentication/accessPolicies';
import type { DeviceRecord } from '../registry/deviceRecord';

/**
 * What the emulator persists. The registry keeps the working set in memory and writes through
 * this interface, so another backend (in-memory for a throwaway hub, say) is a drop-in.
 */
export interface HubStore {
  loadPolicies(): SharedAccessPolicy[] | undefined;
  savePolicies(policies: SharedAccessPolicy[]): void;
  /** When this hub was first created (ms since epoch), recorded on first open. */
  createdAtMs(): number;
  /** Every device, in the order it was first created. */
  loadDevices(): DeviceRecord[];
  /** Inserts or replaces devices atomically (all or none), durable at the next group commit. */
  putDevices(records: DeviceRecord[]): void;
  /** Deletes devices atomically, durable at the next group commit. */
  deleteDevices(deviceIds: string[]): void;
  /** Calls back once every write so far is durable, or with the error that lost them. */
  afterCommit(callback: (error?: Error) => void): void;
  close(): void;
}
