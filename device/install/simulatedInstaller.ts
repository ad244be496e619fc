import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import type { BootOutcome, InstallContext, InstallOutcome, Installer } from './Installer';

export interface SimulatedInstallerOptions {
  /** Where the A/B slot files live (the agent's state dir). */
  dir: string;
  installMs?: number;
  /** Probabilities of each failure mode, drawn from `random`. */
  failInstall?: number;
  failBoot?: number;
  failHealthCheck?: number;
  random?: () => number;
  /** fsync the slot table (default true); see AgentOptions.fsyncState. */
  fsync?: boolean;
}

interface Slots {
  active: 'a' | 'b';
  /** Written and waiting for its first boot. */
  pending?: 'a' | 'b';
}

/**
 * An A/B-slot device in miniature: the image is copied into the inactive slot, the device
 * "reboots" into it, and a boot check either commits the new slot or falls back to the old one —
 * so failures look like they do on real hardware (installFailed, bootFailed, rolledBack) and the
 * running version only changes when the new slot is committed. Resumable: copying again is safe.
 */
export class SimulatedInstaller implements Installer {
  readonly name = 'simulated';
  readonly resumable = true;
  private readonly random: () => number;

  constructor(private readonly options: SimulatedInstallerOptions) {
    this.random = options.random ?? Math.random;
    mkdirSync(join(options.dir, 'slots'), { recursive: true });
  }

  async install({ imagePath }: InstallContext): Promise<InstallOutcome> {
    await sleep(this.options.installMs ?? 0);
    if (this.random() < (this.options.failInstall ?? 0)) {
      return { ok: false, code: 'installFailed', message: 'Simulated failure writing the inactive slot.' };
    }
    const slots = this.slots();
    const target = slots.active === 'a' ? 'b' : 'a';
    copyFileSync(imagePath, join(this.options.dir, 'slots', `${target}.img`));
    this.save({ active: slots.active, pending: target });
    return { ok: true, rebootRequired: true };
  }

  async verifyBoot(): Promise<BootOutcome> {
    const slots = this.slots();
    if (!slots.pending) return { ok: false, code: 'bootFailed', message: 'No new slot was pending after the reboot.' };
    if (this.random() < (this.options.failBoot ?? 0)) {
      this.save({ active: slots.active });
      return {
        ok: false,
        code: 'bootFailed',
        message: `Simulated: slot ${slots.pending} did not boot; the bootloader fell back to slot ${slots.active}.`,
      };
    }
    if (this.random() < (this.options.failHealthCheck ?? 0)) {
      this.save({ active: slots.active });
      return {
        ok: false,
        code: 'rolledBack',
        message: `Simulated: the health check failed on slot ${slots.pending}; rolled back to slot ${slots.active}.`,
      };
    }
    this.save({ active: slots.pending });
    return { ok: true };
  }

  /** The slot currently running (for tests and tools). */
  activeSlot(): 'a' | 'b' {
    return this.slots().active;
  }

  private slots(): Slots {
    const file = join(this.options.dir, 'slots', 'slots.json');
    return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Slots) : { active: 'a' };
  }

  private save(slots: Slots): void {
    writeFileAtomic.sync(join(this.options.dir, 'slots', 'slots.json'), JSON.stringify(slots), { fsync: this.options.fsync ?? true });
  }
}

function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}
