import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import type {
  FirmwareUpdateError,
  FirmwareUpdateReport,
  FirmwareUpdateRequest,
  FirmwareUpdateStatus,
} from '../../contracts/firmwareUpdate';
import { parseTrust, type Trust } from '../../contracts/signing/trust';

/** The running update, as persisted: enough to resume or fail it correctly after a crash. */
export interface UpdateState {
  request: FirmwareUpdateRequest;
  status: FirmwareUpdateStatus;
  error: FirmwareUpdateError | null;
  progress?: number;
  times: {
    startedWaitingTime: string | null;
    startedDownloadingTime: string | null;
    downloadCompleteTime: string | null;
    startedApplyingImage: string | null;
    lastFirmwareUpdate: string | null;
  };
  /** Where an interrupted apply stood, for installers that can resume (the simulated A/B one). */
  applyStep?: 'installing' | 'rebooting';
}

export interface AgentState {
  currentFwVersion: string;
  update: UpdateState | null;
}

const STATE_FILE = 'agent-state.json';
/** The trust adopted from the newest valid trust bundle (its payload), when the agent verifies signatures. */
const TRUST_FILE = 'trust.json';

/**
 * The agent's state in its state dir, replaced atomically (write to a temp file, fsync, rename)
 * on every transition, so a crash or power cut leaves either the old or the new state. Without
 * fsync only a process crash is covered (the kernel still has the rename), not a power cut.
 */
export class StateStore {
  private readonly fsync: boolean;

  constructor(
    readonly dir: string,
    options: { fsync?: boolean } = {},
  ) {
    this.fsync = options.fsync ?? true;
    mkdirSync(join(dir, 'downloads'), { recursive: true });
  }

  load(initialFwVersion: string): AgentState {
    let text: string;
    try {
      text = readFileSync(join(this.dir, STATE_FILE), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { currentFwVersion: initialFwVersion, update: null };
      throw error;
    }
    try {
      return JSON.parse(text) as AgentState;
    } catch (error) {
      throw new Error(
        `The agent state in ${join(this.dir, STATE_FILE)} is not valid JSON (${(error as Error).message}); move it away to start afresh.`,
      );
    }
  }

  save(state: AgentState): void {
    writeFileAtomic.sync(join(this.dir, STATE_FILE), `${JSON.stringify(state, null, 2)}\n`, { fsync: this.fsync });
  }

  /** The trust adopted from a bundle earlier, or null when none was. */
  loadTrust(): Trust | null {
    const path = join(this.dir, TRUST_FILE);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
    const trust = parseTrust(text);
    if (!trust.ok) throw new Error(`The adopted trust in ${path} is not valid (${trust.message}); move it away to use the pinned roots.`);
    return trust.trust;
  }

  /** Replaces the adopted trust atomically: a crash leaves the old trust or the new one, never a torn file. */
  saveTrust(trust: Trust): void {
    writeFileAtomic.sync(join(this.dir, TRUST_FILE), `${JSON.stringify(trust, null, 2)}\n`, { fsync: this.fsync });
  }

  /** Where the image of an update is downloaded (named by hash, so a resume finds its partial file). */
  imagePath(request: FirmwareUpdateRequest): string {
    return join(this.dir, 'downloads', `${request.sha256}.img`);
  }
}

/** The reported-property view of an update. */
export function toReport(update: UpdateState): FirmwareUpdateReport {
  const report: FirmwareUpdateReport = {
    status: update.status,
    rolloutId: update.request.rolloutId,
    fwVersion: update.request.fwVersion,
    fwPackageUri: update.request.fwPackageUri,
    tracker: update.request.tracker ?? null,
    error: update.error,
    ...update.times,
  };
  if (update.status === 'downloading' && update.progress !== undefined) report.progress = update.progress;
  return report;
}
