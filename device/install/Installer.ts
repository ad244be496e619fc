import type { ApplyErrorCode, FirmwareUpdateRequest } from '../../contracts/firmwareUpdate';

export interface InstallContext {
  imagePath: string;
  request: FirmwareUpdateRequest;
}

export type InstallOutcome = { ok: true; rebootRequired: boolean } | { ok: false; code: ApplyErrorCode; message: string };
export type BootOutcome = { ok: true } | { ok: false; code: ApplyErrorCode; message: string };

/** How an image gets onto the device. The agent owns the state machine; installers only do the work. */
export interface Installer {
  readonly name: string;
  /** Whether install() may simply run again after the agent was killed in the middle of it. */
  readonly resumable: boolean;
  install(context: InstallContext): Promise<InstallOutcome>;
  /** After the reboot an install asked for: did the new image come up? */
  verifyBoot(context: InstallContext): Promise<BootOutcome>;
}
