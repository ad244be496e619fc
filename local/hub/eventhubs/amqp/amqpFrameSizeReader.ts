import type { FrameSizeReader } from '../../frameSizeGuard';

/** AMQP 1.0 §2.4.1: before the open is exchanged, frames are at most MIN-MAX-FRAME-SIZE bytes. */
const MIN_MAX_FRAME_SIZE = 512;
const PROTOCOL_HEADER = Buffer.from('AMQP');
const SASL_PROTOCOL_ID = 3;

/**
 * Frame sizes of one inbound AMQP 1.0 connection whose open advertises `maxFrameSize`. A frame
 * starts with its 4-byte SIZE, header included (§2.3.1). Where a protocol header may come (first,
 * and after the SASL frames, §5.3.2), "AMQP" is one: 8 bytes, the id saying whether SASL frames or
 * the connection follow. SASL frames (§5.3.1) and the open, the first frame of the connection,
 * come before any size is agreed and are held to 512 bytes (§2.4.1); later frames to ours (§2.7.1).
 */
export function amqpFrameSizeReader(maxFrameSize: number): FrameSizeReader {
  let expecting: 'protocolHeader' | 'sasl' | 'open' | 'frames' = 'protocolHeader';
  return (header) => {
    if (header.length < 4) return undefined;
    const mayBeProtocolHeader = expecting === 'protocolHeader' || expecting === 'sasl';
    if (mayBeProtocolHeader && header.subarray(0, 4).equals(PROTOCOL_HEADER)) {
      if (header.length < 5) return undefined;
      expecting = header[4] === SASL_PROTOCOL_ID ? 'sasl' : 'open';
      return { length: 8, limit: 8 };
    }
    const length = header.readUInt32BE(0);
    if (expecting === 'frames') return { length, limit: maxFrameSize };
    if (expecting === 'open') expecting = 'frames';
    return { length, limit: MIN_MAX_FRAME_SIZE };
  };
}
