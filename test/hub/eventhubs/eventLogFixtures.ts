import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NewEvent } from '../../../local/hub/eventhubs/eventData';

/** A fresh temp directory per test file; remove() deletes it with every SQLite file in it. */
export function tempDir(): { path: string; file(name: string): string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), 'fleetwave-eventlog-'));
  return { path, file: (name) => join(path, name), remove: () => rmSync(path, { recursive: true, force: true }) };
}

export function newEvent(label: string, deviceId = 'device-1'): NewEvent {
  return {
    body: Buffer.from(JSON.stringify({ label })),
    properties: { label, count: 3, flag: true, nothing: null },
    annotations: { 'iothub-connection-device-id': deviceId, 'iothub-enqueuedtime': 1700000000000 },
    amqpProperties: {
      messageId: `m-${label}`,
      contentType: 'application/json',
      contentEncoding: 'utf-8',
      absoluteExpiryTime: 1800000000000,
    },
    partitionKey: deviceId,
  };
}
