import type { FrameSizeReader } from '../frameSizeGuard';

/**
 * IoT Hub's limit for any one MQTT packet, from a device authenticated or not: 256 KiB ("Maximum
 * Packet Size", as its MQTT 5 endpoint states in CONNACK), counting the whole packet as MQTT 5 does.
 */
const MAX_MQTT_PACKET_BYTES = 256 * 1024;

/**
 * MQTT 3.1.1 §2.2: a byte of packet type and flags, then the remaining length in one to four bytes
 * of seven bits each, least significant first; a fifth length byte is malformed (§2.2.3).
 */
export const readMqttPacketSize: FrameSizeReader = (header) => {
  if (header.length < 2) return undefined;
  if (header[header.length - 1] & 0x80) {
    return header.length < 5 ? undefined : { length: Infinity, limit: MAX_MQTT_PACKET_BYTES };
  }
  let remaining = 0;
  for (let i = header.length - 1; i >= 1; i--) remaining = remaining * 128 + (header[i] & 0x7f);
  return { length: header.length + remaining, limit: MAX_MQTT_PACKET_BYTES };
};
