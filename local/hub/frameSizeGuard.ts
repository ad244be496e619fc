import type { Duplex } from 'node:stream';

/** What a frame header says about its frame. */
export interface FrameSize {
  /** Bytes in the whole frame, header included. */
  length: number;
  /** The largest frame the peer may send at this point of the connection. */
  limit: number;
}

/**
 * One connection's framing as far as sizes go. Fed the first bytes of a frame (one more on each
 * call), it returns the frame's size once its header tells it, and undefined until then.
 */
export type FrameSizeReader = (header: Buffer) => FrameSize | undefined;

/**
 * Closes `socket` as soon as a frame header announces more than its limit. The protocol libraries
 * buffer a frame whole before they look at it, whatever size it claims; this watches the bytes
 * they read (a 'data' listener sees every chunk, whether the library reads in flowing mode or with
 * read()) and skips frame bodies, so it keeps no more than one header.
 * Attach it after the library has taken the socket, so it does not change the socket's read mode.
 */
export function guardFrameSizes(socket: Duplex, read: FrameSizeReader): void {
  let header: number[] = [];
  let bodyLeft = 0;
  socket.on('data', (chunk: Buffer) => {
    let offset = 0;
    while (offset < chunk.length) {
      if (bodyLeft > 0) {
        const skipped = Math.min(bodyLeft, chunk.length - offset);
        bodyLeft -= skipped;
        offset += skipped;
        continue;
      }
      header.push(chunk[offset++]);
      const size = read(Buffer.from(header));
      if (!size) continue;
      // A length shorter than the header read so far cannot be a frame: the peer is not speaking the protocol.
      if (size.length > size.limit || size.length < header.length) {
        socket.destroy();
        return;
      }
      bodyLeft = size.length - header.length;
      header = [];
    }
  });
}
