import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DownloadError, downloadImage } from '../../device/download/downloadImage';
import { FirmwareFixture } from '../support/firmwareFixture';

describe('streaming image download with verification and resume', () => {
  const fw = new FirmwareFixture();
  const work = mkdtempSync(join(tmpdir(), 'fleetwave-dl-'));
  let n = 0;
  const target = () => join(work, `image-${++n}.img`);
  beforeAll(() => fw.start());
  afterAll(async () => {
    await fw.stop();
    rmSync(work, { recursive: true, force: true });
  });

  test('downloads and verifies an image, reporting progress', async () => {
    const image = fw.image('1.2.3', 300 * 1024);
    const path = target();
    const progress: number[] = [];
    await downloadImage({
      uri: image.uri,
      size: image.size,
      sha256: image.sha256,
      path,
      agent: fw.agent(),
      onProgress: (bytes) => progress.push(bytes),
    });
    expect(createHash('sha256').update(readFileSync(path)).digest('hex')).toBe(image.sha256);
    expect(progress[progress.length - 1]).toBe(image.size);
  });

  async function failure(options: Parameters<typeof downloadImage>[0]): Promise<DownloadError> {
    const error = await downloadImage(options).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DownloadError);
    return error as DownloadError;
  }

  test('a wrong hash is hashMismatch and leaves no file', async () => {
    const image = fw.image('1.2.4');
    const path = target();
    const error = await failure({ uri: image.uri, size: image.size, sha256: 'f'.repeat(64), path, agent: fw.agent() });
    expect(error.code).toBe('hashMismatch');
    expect(existsSync(path)).toBe(false);
  });

  test('a wrong size is sizeMismatch', async () => {
    const image = fw.image('1.2.5');
    expect((await failure({ uri: image.uri, size: image.size - 1, sha256: image.sha256, path: target(), agent: fw.agent() })).code).toBe(
      'sizeMismatch',
    );
    expect((await failure({ uri: image.uri, size: image.size + 1, sha256: image.sha256, path: target(), agent: fw.agent() })).code).toBe(
      'sizeMismatch',
    );
  });

  test('a 404 is httpError, not retried', async () => {
    const error = await failure({ uri: fw.server.url('missing.bin'), size: 10, sha256: 'a'.repeat(64), path: target(), agent: fw.agent() });
    expect(error.code).toBe('httpError');
    expect(error.message).toMatch(/HTTP 404/);
  });

  test('a refused connection is network', async () => {
    const port = await freePort();
    const error = await failure({
      uri: `https://localhost:${port}/x.bin`,
      size: 10,
      sha256: 'a'.repeat(64),
      path: target(),
      agent: fw.agent(),
      attempts: 1,
    });
    expect(error.code).toBe('network');
  });

  test('a server that goes silent is timeout', async () => {
    const bytes = Buffer.alloc(64 * 1024, 7);
    const slow = await fw.slowServer(bytes, { sliceBytes: 1024, pauseMs: 1, stallAfter: 4096 });
    const error = await failure({
      uri: slow.url,
      size: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      path: target(),
      agent: fw.agent(),
      idleTimeoutMs: 300,
      attempts: 1,
    });
    await slow.close();
    expect(error.code).toBe('timeout');
  });

  test('a partial file is resumed with a Range request', async () => {
    const bytes = Buffer.from(Array.from({ length: 100_000 }, (_, i) => i % 251));
    const slow = await fw.slowServer(bytes, { sliceBytes: 10_000, pauseMs: 1 });
    const path = target();
    writeFileSync(path, bytes.subarray(0, 40_000));
    await downloadImage({
      uri: slow.url,
      size: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      path,
      agent: fw.agent(),
    });
    await slow.close();
    expect(slow.ranges).toEqual(['bytes=40000-']);
    expect(readFileSync(path).equals(bytes)).toBe(true);
  });

  test('a corrupt partial file is caught by the hash and not installed', async () => {
    const bytes = Buffer.from(Array.from({ length: 50_000 }, (_, i) => i % 13));
    const slow = await fw.slowServer(bytes, { sliceBytes: 10_000, pauseMs: 1 });
    const path = target();
    writeFileSync(path, Buffer.alloc(20_000, 0xff));
    const error = await failure({
      uri: slow.url,
      size: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      path,
      agent: fw.agent(),
    });
    await slow.close();
    expect(error.code).toBe('hashMismatch');
    expect(existsSync(path)).toBe(false);
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
