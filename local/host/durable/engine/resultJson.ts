import type { RpcTypedData } from '../../worker/coreTypes';

/** A function's return value (RPC typed data) as the JSON text durable history keeps. */
export function resultJson(data: RpcTypedData | null | undefined): string {
  if (!data) return 'null';
  if (data.json !== undefined && data.json !== null) return data.json;
  if (data.string !== undefined && data.string !== null) return JSON.stringify(data.string);
  if (typeof data.int === 'number') return String(data.int);
  if (typeof data.double === 'number') return JSON.stringify(data.double);
  if (data.bytes) return JSON.stringify(Buffer.from(data.bytes).toString('base64'));
  if (data.collectionString?.string) return JSON.stringify(data.collectionString.string);
  if (data.collectionDouble?.double) return JSON.stringify(data.collectionDouble.double);
  if (data.collectionSint64?.sint64) return JSON.stringify(data.collectionSint64.sint64.map(Number));
  if (data.collectionBytes?.bytes) return JSON.stringify(data.collectionBytes.bytes.map((b) => Buffer.from(b).toString('base64')));
  return 'null';
}
