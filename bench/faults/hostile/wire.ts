import net from 'node:net';
import type { Duplex } from 'node:stream';
import { streamOversizeFrame } from '../../../local/probes/oversizeFrame';
import { since } from './cases';

/** What a connection-oriented peer (MQTT, AMQP) did with a case. */
export interface WireAnswer {
  /** What came back, in order, in words: "CONNACK 5", "put-token 401", "SDK error UnauthorizedError: …". */
  replies: string[];
  /** When the peer closed the connection, in ms after the case's input went out; null when it stayed open; absent when not watched. */
  closedAfterMs?: number | null;
  /** For a frame announcing more than the limit: the body bytes the socket took before the close. */
  written?: number;
}

/** The peer closed the connection, within `withinMs` of the input when given. */
export const closed = (answer: WireAnswer, withinMs = Infinity): boolean =>
  typeof answer.closedAfterMs === 'number' && answer.closedAfterMs < withinMs;

export function describeWire(answer: WireAnswer): string {
  const replies = answer.replies.length > 0 ? answer.replies.join('; ') : 'nothing sent back';
  const { closedAfterMs, written } = answer;
  const close =
    closedAfterMs === undefined ? '' : closedAfterMs === null ? '; connection left open' : `; connection closed after ${closedAfterMs} ms`;
  const taken = written === undefined ? '' : `, ${(written / 2 ** 20).toFixed(1)} MiB of the body accepted by the socket before that`;
  return `${replies}${close}${taken}`;
}

/** A plain TCP connection, once connected. */
export function tcpConnect(host: string, port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, host, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Writes `bytes` on a connected socket and watches for the peer's close for `waitMs`. */
export function sendAndWatchClose(socket: Duplex, bytes: Buffer, waitMs: number): Promise<WireAnswer> {
  socket.on('error', () => undefined);
  const start = performance.now();
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve({ replies: [], closedAfterMs: null }), waitMs);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve({ replies: [], closedAfterMs: since(start) });
    });
    socket.write(bytes);
  });
}

/** A header announcing a frame far over the limit, then its body streamed until the peer closes (see streamOversizeFrame). */
export async function oversizeFrame(socket: Duplex, header: Buffer): Promise<WireAnswer> {
  const start = performance.now();
  const result = await streamOversizeFrame(socket, header);
  return { replies: [], closedAfterMs: result.closed ? since(start) : null, written: result.written };
}
