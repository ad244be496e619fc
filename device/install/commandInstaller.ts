import { spawn } from 'node:child_process';
import type { BootOutcome, InstallContext, InstallOutcome, Installer } from './Installer';

export interface CommandInstallerOptions {
  /** Shell command; the image path is appended as its last argument. */
  command: string;
  /** A command running longer than this fails the install. Default 30 min. */
  timeoutMs?: number;
}

/**
 * Installs by running the user's command with the image path (e.g. a RAUC/SWUpdate/Mender
 * wrapper on a real Linux device); exit code 0 means installed. FIRMWARE_VERSION and
 * FIRMWARE_SHA256 are in its environment. Not resumable: a command interrupted by a restart of the
 * agent is reported as failed rather than run twice.
 */
export class CommandInstaller implements Installer {
  readonly name = 'command';
  readonly resumable = false;

  constructor(private readonly options: CommandInstallerOptions) {}

  install({ imagePath, request }: InstallContext): Promise<InstallOutcome> {
    return new Promise((resolve) => {
      const child = spawn('/bin/sh', ['-c', `${this.options.command} "$0"`, imagePath], {
        env: { ...process.env, FIRMWARE_VERSION: request.fwVersion, FIRMWARE_SHA256: request.sha256 },
        stdio: ['ignore', 'ignore', 'pipe'],
        timeout: this.options.timeoutMs ?? 30 * 60 * 1000,
      });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
      child.on('error', (error) =>
        resolve({ ok: false, code: 'installFailed', message: `Could not run the install command: ${error.message}` }),
      );
      child.on('close', (code, signal) => {
        if (code === 0) return resolve({ ok: true, rebootRequired: false });
        const how = signal ? `was stopped by ${signal}` : `exited with code ${code}`;
        resolve({ ok: false, code: 'installFailed', message: `The install command ${how}${stderr.trim() ? `: ${stderr.trim()}` : ''}` });
      });
    });
  }

  async verifyBoot(): Promise<BootOutcome> {
    return { ok: true };
  }
}
