import type { Duplex } from 'node:stream';

export interface OversizeFrameResult {
  /** Whether the server closed the connection before STREAM_LIMIT bytes were sent. */
  closed: boolean;
  /** Body bytes the socket accepted after the header (what reached the kernel, not what the server read). */
  written: number;
}

const CHUNK = Buffer.alloc(64 * 1024);
/** How much body is streamed at most: far more than the socket buffers between client and hub hold. */
const STREAM_LIMIT = 64 * 1024 * 1024;
/**
 * Closed "promptly": before this much body was written. A hub that closes on the header still lets
 * the client fill the loopback socket buffers first (about 4 MB on Linux defaults); one that buffers the
 * frame takes all of STREAM_LIMIT.
 */
export const PROMPT_CLOSE = 16 * 1024 * 1024;

/**
 * Sends a frame header that announces a huge frame, then streams its body as fast as the socket
 * drains until the server closes the connection or STREAM_LIMIT bytes are sent (then the client
 * gives up and closes). A server that buffers the frame keeps reading; one that caps frame sizes
 * closes after the header.
 */
export function streamOversizeFrame(socket: Duplex, header: Buffer): Promise<OversizeFrameResult> {
  return new Promise((resolve) => {
    let written = 0;
    let settled = false;
    const settle = (closed: boolean) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve({ closed, written });
    };
    socket.once('close', () => settle(true));
    socket.on('error', () => undefined);
    const pump = () => {
      while (!settled && written < STREAM_LIMIT) {
        written += CHUNK.length;
        if (!socket.write(CHUNK)) return void socket.once('drain', pump);
      }
      settle(false);
    };
    socket.write(header);
    pump();
  });
}

/** An AMQP frame header (AMQP 1.0 §2.3.1): SIZE, DOFF 2, TYPE (0 AMQP, 1 SASL), channel 0. */
export function amqpFrameHeader(size: number, type: 0 | 1): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt32BE(size, 0);
  header[4] = 2;
  header[5] = type;
  return header;
}
