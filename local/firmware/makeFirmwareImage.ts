import { createHash } from 'node:crypto';
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import writeFileAtomic from 'write-file-atomic';

/** What a rollout needs to know about an image: POST /api/rollouts takes these as `firmware`. */
export interface FirmwareManifest {
  version: string;
  sha256: string;
  size: number;
  /** File name of the image, next to the manifest. */
  file: string;
}

const VERSION = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$/;

/**
 * Writes a demo firmware image of `size` bytes and its manifest. The bytes are derived from the
 * version, so the same version always yields the same image and hash.
 */
export function makeFirmwareImage(options: { version: string; size: number; outDir: string }): FirmwareManifest {
  if (!VERSION.test(options.version)) {
    throw new Error(
      `Version '${options.version}' must be 1-64 characters of letters, digits and . _ + - (starting with a letter or digit).`,
    );
  }
  if (!Number.isSafeInteger(options.size) || options.size <= 0)
    throw new Error(`Size must be a positive whole number of bytes, not ${options.size}.`);
  mkdirSync(options.outDir, { recursive: true });
  const file = `firmware-${options.version}.bin`;
  const hash = createHash('sha256');
  const fd = openSync(join(options.outDir, file), 'w');
  try {
    let block = createHash('sha256').update(`fleetwave firmware ${options.version}`).digest();
    const chunk = Buffer.alloc(64 * 1024);
    for (let written = 0; written < options.size;) {
      let filled = 0;
      while (filled < chunk.length) {
        block.copy(chunk, filled);
        filled += block.length;
        block = createHash('sha256').update(block).digest();
      }
      const length = Math.min(chunk.length, options.size - written);
      writeSync(fd, chunk, 0, length);
      hash.update(chunk.subarray(0, length));
      written += length;
    }
  } finally {
    closeSync(fd);
  }
  const manifest: FirmwareManifest = { version: options.version, sha256: hash.digest('hex'), size: options.size, file };
  writeFileAtomic.sync(join(options.outDir, `firmware-${options.version}.json`), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}
