import { createHash, type Hash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, statSync, truncateSync, unlinkSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { DownloadErrorCode } from '../../contracts/firmwareUpdate';

export class DownloadError extends Error {
  constructor(
    readonly code: DownloadErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'DownloadError';
  }
}

export interface DownloadOptions {
  uri: string;
  /** Expected size in bytes and SHA-256 (lower-case hex): checked while streaming. */
  size: number;
  sha256: string;
  /** Where the image goes; a partial file there is resumed with a Range request. */
  path: string;
  /** An https.Agent trusting the right CAs (e.g. the local stack's). */
  agent?: https.Agent;
  /** No byte for this long ends the attempt as a timeout. Default 30 s. */
  idleTimeoutMs?: number;
  /** Attempts for transient failures (network, timeout, 5xx), resuming each time. Default 3. */
  attempts?: number;
  onProgress?: (bytes: number, total: number) => void;
  signal?: AbortSignal;
}

/**
 * Streams a firmware image to disk, verifying size and SHA-256 as the bytes arrive. A partial
 * file (from an earlier attempt or before a restart) is hashed again and continued with
 * `Range: bytes=N-`; a server that ignores Range gets a fresh download. Transient failures are
 * retried with backoff; a mismatch or a 4xx is final. On failure the file is kept only when it
 * is a valid prefix worth resuming.
 */
export async function downloadImage(options: DownloadOptions): Promise<void> {
  const attempts = options.attempts ?? 3;
  for (let attempt = 1; ; attempt++) {
    try {
      await attemptDownload(options);
      return;
    } catch (error) {
      const failure = asDownloadError(error);
      const transient =
        failure.code === 'network' || failure.code === 'timeout' || (failure.code === 'httpError' && /HTTP 5\d\d/.test(failure.message));
      if (!transient || attempt >= attempts || options.signal?.aborted) throw failure;
      await delay(500 * 2 ** (attempt - 1), options.signal);
    }
  }
}

async function attemptDownload(options: DownloadOptions): Promise<void> {
  let existing = partialSize(options.path, options.size);
  if (existing === options.size) {
    if ((await hashFile(options.path)) === options.sha256) return;
    truncateSync(options.path, 0);
    existing = 0;
  }
  const watch = { timedOut: false };
  const response = await get(options, existing, watch);
  const status = response.statusCode ?? 0;
  if (existing > 0 && status === 416) {
    response.resume();
    truncateSync(options.path, 0);
    return attemptDownload(options);
  }
  if (status !== 200 && status !== 206) {
    response.resume();
    throw new DownloadError('httpError', `HTTP ${status} ${response.statusMessage ?? ''} from ${options.uri}`.trim());
  }
  // A 200 to a Range request means the server sends the whole image again.
  const offset = status === 206 ? rangeStart(response.headers['content-range']) : 0;
  if (status === 206 && offset !== existing) {
    response.resume();
    throw new DownloadError('httpError', `The server resumed at byte ${offset}, not at ${existing}.`);
  }
  const length = Number(response.headers['content-length'] ?? NaN);
  if (!Number.isNaN(length) && offset + length !== options.size) {
    response.resume();
    throw new DownloadError('sizeMismatch', `The server has ${offset + length} bytes; the update says ${options.size}.`);
  }

  const hash = createHash('sha256');
  if (offset > 0) await feed(hash, options.path);
  else if (existsSync(options.path)) truncateSync(options.path, 0);
  const counter = new VerifyingCounter(hash, offset, options);
  try {
    await pipeline(response, counter, createWriteStream(options.path, { flags: 'a' }));
  } catch (error) {
    if (error instanceof DownloadError) {
      if (error.code === 'sizeMismatch') discard(options.path);
      throw error;
    }
    // The idle timer destroys the socket; the body stream then only sees the abort.
    if (watch.timedOut) throw timeoutError(options);
    throw classify(error, options);
  }
  if (counter.bytes !== options.size) {
    discard(options.path);
    throw new DownloadError('sizeMismatch', `Received ${counter.bytes} bytes; the update says ${options.size}.`);
  }
  const digest = hash.digest('hex');
  if (digest !== options.sha256) {
    discard(options.path);
    throw new DownloadError('hashMismatch', `SHA-256 of the image is ${digest}; the update says ${options.sha256}.`);
  }
}

/** Counts, hashes and reports progress; fails as soon as the image grows past its size. */
class VerifyingCounter extends Transform {
  constructor(
    private readonly hash: Hash,
    public bytes: number,
    private readonly options: DownloadOptions,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.options.size) {
      done(new DownloadError('sizeMismatch', `The image is larger than the ${this.options.size} bytes the update says.`));
      return;
    }
    this.hash.update(chunk);
    this.options.onProgress?.(this.bytes, this.options.size);
    done(null, chunk);
  }
}

function get(options: DownloadOptions, from: number, watch: { timedOut: boolean }): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const url = new URL(options.uri);
    const headers: Record<string, string> = from > 0 ? { range: `bytes=${from}-` } : {};
    const client = url.protocol === 'https:' ? https : http;
    const request = client.get(
      url,
      { headers, ...(url.protocol === 'https:' && options.agent ? { agent: options.agent } : {}), signal: options.signal },
      resolve,
    );
    request.setTimeout(options.idleTimeoutMs ?? 30_000, () => {
      watch.timedOut = true;
      request.destroy(timeoutError(options));
    });
    request.on('error', (error) => reject(classify(error, options)));
  });
}

function timeoutError(options: DownloadOptions): DownloadError {
  return new DownloadError('timeout', `No data from ${new URL(options.uri).host} for ${(options.idleTimeoutMs ?? 30_000) / 1000} s.`);
}

function classify(error: unknown, options: DownloadOptions): DownloadError {
  if (error instanceof DownloadError) return error;
  const e = error as NodeJS.ErrnoException;
  if (e.name === 'AbortError') return new DownloadError('network', 'The download was cancelled.');
  if (e.code === 'ETIMEDOUT') return new DownloadError('timeout', `Timed out reaching ${options.uri}.`);
  return new DownloadError('network', `${e.code ?? e.name}: ${e.message} (${options.uri})`);
}

function asDownloadError(error: unknown): DownloadError {
  return error instanceof DownloadError ? error : new DownloadError('network', String((error as Error)?.message ?? error));
}

/** Bytes of a usable partial file: none when it is missing or longer than the image. */
function partialSize(path: string, size: number): number {
  if (!existsSync(path)) return 0;
  const bytes = statSync(path).size;
  if (bytes > size) {
    truncateSync(path, 0);
    return 0;
  }
  return bytes;
}

function rangeStart(contentRange: string | undefined): number {
  const match = /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(contentRange ?? '');
  return match ? Number(match[1]) : -1;
}

async function feed(hash: Hash, path: string): Promise<void> {
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
}

export async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  await feed(hash, path);
  return hash.digest('hex');
}

function discard(path: string): void {
  if (existsSync(path)) unlinkSync(path);
}

function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
