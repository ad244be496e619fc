/**
 * The hub's Event Hub-compatible endpoint (AMQP 1.0, plain TCP as the Event Hubs emulator): frames
 * over the size limits, SAS tokens that must not cover the entity, entities that do not exist and
 * bytes that are not AMQP. Raw cases use rhea or a bare socket; the @azure/event-hubs cases show
 * what the SDK reports.
 */
import net from 'node:net';
import { EventHubConsumerClient, earliestEventPosition } from '@azure/event-hubs';
import { connect, types, type Connection } from 'rhea';
import { createSas } from '../../../local/hub/authentication/sharedAccessSignature';
import { putToken } from '../../support/cbs';
import type { HubProcess } from '../../../local/stack/HubProcess';
import { amqpFrameHeader as frameHeader, PROMPT_CLOSE } from '../../../local/probes/oversizeFrame';
import type { Case, Edge } from './cases';
import { since } from './cases';
import { closed, describeWire, oversizeFrame, sendAndWatchClose, tcpConnect, type WireAnswer } from './wire';

const WAIT_MS = 2000;
const CLOSE_MS = 2000;
/** How long an SDK case waits for the SDK to report an error. */
const SDK_WAIT_MS = 10_000;

const SASL_PROTOCOL_HEADER = Buffer.from('AMQP\x03\x01\x00\x00', 'latin1');
const AMQP_PROTOCOL_HEADER = Buffer.from('AMQP\x00\x01\x00\x00', 'latin1');
const FOUR_GB = frameHeader(0xffffffff, 0);
const FOUR_GB_SASL = frameHeader(0xffffffff, 1);

export function amqpEdge(hub: HubProcess): Edge<WireAnswer> {
  const { host, port, entityPath, connectionString } = hub.info.eventHubs;
  const keyName = /SharedAccessKeyName=([^;]+)/.exec(connectionString)![1];
  // Event Hubs clients sign with the key text as UTF-8.
  const key = Buffer.from(/SharedAccessKey=([^;]+)/.exec(connectionString)![1], 'utf8');
  const endpoint = `sb://${host}:${port}`;
  const audience = `${endpoint}/${entityPath}`;
  /** A string prefix of the entity that is not a path segment of it: `fleetwave` of `fleetwave-hub`. */
  const entityPrefix = entityPath.slice(0, Math.max(1, entityPath.lastIndexOf('-')));
  const partition0 = `${entityPath}/ConsumerGroups/$Default/Partitions/0`;
  const tcp = () => tcpConnect(host, port);

  const open = (options: { container_id?: string } = {}): Promise<Connection> =>
    new Promise((resolve, reject) => {
      const connection = connect({ host, port, reconnect: false, ...options });
      connection.once('connection_open', () => resolve(connection));
      connection.once('disconnected', (ctx) => reject(ctx.error ?? new Error('disconnected before open')));
    });

  /** put-token with `token`, then a receiver on partition 0 of $Default: the CBS status and whether the attach is refused. */
  const tokenCase = (input: string, token: () => string): Case<WireAnswer> => ({
    input: `put-token with ${input}, then attach a receiver to ${partition0}`,
    expected: 'put-token 401, the attach refused with amqp:unauthorized-access',
    send: async () => {
      const connection = await open();
      try {
        const cbs = await putToken(connection, token(), audience);
        return { replies: [`put-token ${cbs.status} (${cbs.description})`, await attach(connection, partition0)] };
      } finally {
        connection.close();
      }
    },
    expect: (a) => a.replies[0].startsWith('put-token 401') && a.replies[1].startsWith('attach refused: amqp:unauthorized-access'),
  });
  const sdkCase = (input: string, expected: string, code: string, run: () => Promise<unknown>): Case<WireAnswer> => ({
    input,
    expected,
    send: async () => {
      const error = (await run().then(
        () => undefined,
        (e: unknown) => e,
      )) as { code?: string; message: string } | undefined;
      return { replies: [error ? `SDK error ${error.code}: ${error.message}` : 'SDK call succeeded'] };
    },
    expect: (a) => a.replies[0].startsWith(`SDK error ${code}:`),
  });
  const oversize = (input: string, header: Buffer, socket: () => Promise<net.Socket>): Case<WireAnswer> => ({
    input,
    expected: `closed within ${CLOSE_MS} ms, before ${PROMPT_CLOSE / 2 ** 20} MiB of body were accepted`,
    send: async () => oversizeFrame(await socket(), header),
    expect: (a) => closed(a, CLOSE_MS) && a.written! < PROMPT_CLOSE,
  });
  const garbage = (input: string, bytes: Buffer): Case<WireAnswer> => ({
    input,
    expected: `connection closed within ${CLOSE_MS} ms`,
    send: async () => sendAndWatchClose(await tcp(), bytes, CLOSE_MS),
    expect: (a) => closed(a),
  });
  const openWithContainerId = (length: number, opens: boolean): Case<WireAnswer> => ({
    input: `rhea connect with a container id of ${length} characters (open frame ${opens ? 'under' : 'over'} 512 bytes)`,
    expected: opens ? 'connection opened' : 'connection closed before open',
    send: async () => {
      const start = performance.now();
      const connection = await open({ container_id: 'c'.repeat(length) }).catch(() => undefined);
      connection?.close();
      return connection ? { replies: ['connection_open'] } : { replies: [], closedAfterMs: since(start) };
    },
    expect: (a) => (opens ? a.replies[0] === 'connection_open' : a.replies.length === 0 && closed(a)),
  });
  const consumer = (group: string, cs = connectionString) => new EventHubConsumerClient(group, cs, { retryOptions: { maxRetries: 0 } });
  /** Subscribes to one partition: rejects with the first error the SDK reports, resolves when it reports none within SDK_WAIT_MS. */
  const firstProcessError = async (client: EventHubConsumerClient, partitionId: string): Promise<void> => {
    let reported: Error | undefined;
    const subscription = client.subscribe(
      partitionId,
      { processEvents: async () => undefined, processError: async (error) => void (reported ??= error) },
      { startPosition: earliestEventPosition, maxWaitTimeInSeconds: 0.2 },
    );
    const start = performance.now();
    while (!reported && since(start) < SDK_WAIT_MS) await new Promise((resolve) => setTimeout(resolve, 50));
    await subscription.close();
    await client.close();
    if (reported) throw reported;
  };
  const prefixToken = () => createSas(`${endpoint}/${entityPrefix}`, key, keyName, 3600);

  return {
    title: 'IoT Hub emulator, Event Hub-compatible endpoint (AMQP)',
    describe: describeWire,
    cases: [
      oversize('SASL header, then a SASL frame announcing 4 GB, body streamed', Buffer.concat([SASL_PROTOCOL_HEADER, FOUR_GB_SASL]), tcp),
      oversize('AMQP header, then a frame announcing 4 GB before open, body streamed', Buffer.concat([AMQP_PROTOCOL_HEADER, FOUR_GB]), tcp),
      openWithContainerId(400, true),
      openWithContainerId(600, false),
      oversize('after open (max-frame-size 65536), a frame announcing 4 GB, body streamed', FOUR_GB, async () => {
        const connection = await open();
        return (connection as unknown as { socket: net.Socket }).socket;
      }),
      tokenCase(
        `a token for \`${endpoint}/${entityPrefix}\` (a string prefix of the entity \`${entityPath}\`, not a segment)`,
        prefixToken,
      ),
      tokenCase('an expired token (se 60 s ago)', () => createSas(audience, key, keyName, -60)),
      tokenCase('a token signed with a wrong key', () => createSas(audience, Buffer.from('not-the-key'), keyName, 3600)),
      tokenCase('`SharedAccessSignature garbage`', () => 'SharedAccessSignature garbage'),
      {
        input: `attach a receiver to ${partition0} with no token put`,
        expected: 'attach refused with amqp:unauthorized-access',
        send: async () => {
          const connection = await open();
          try {
            return { replies: [await attach(connection, partition0)] };
          } finally {
            connection.close();
          }
        },
        expect: (a) => a.replies[0].startsWith('attach refused: amqp:unauthorized-access'),
      },
      {
        input: `attach a receiver to ${partition0} with a malformed filter \`amqp.annotation.x-opt-offset ~ 12\``,
        expected: 'attach refused with com.microsoft:argument-error',
        send: async () => {
          const connection = await open();
          try {
            const cbs = await putToken(connection, createSas(audience, key, keyName, 3600), audience);
            return { replies: [`put-token ${cbs.status}`, await attach(connection, partition0, 'amqp.annotation.x-opt-offset ~ 12')] };
          } finally {
            connection.close();
          }
        },
        expect: (a) => a.replies[0] === 'put-token 202' && a.replies[1].startsWith('attach refused: com.microsoft:argument-error'),
      },
      sdkCase(
        `EventHubConsumerClient.getPartitionIds() with a SharedAccessSignature for \`${endpoint}/${entityPrefix}\``,
        'UnauthorizedError',
        'UnauthorizedError',
        async () => {
          const signed = `Endpoint=${endpoint}/;SharedAccessSignature=${prefixToken()};EntityPath=${entityPath};UseDevelopmentEmulator=true`;
          const client = consumer('$Default', signed);
          await client.getPartitionIds().finally(() => client.close());
        },
      ),
      sdkCase('EventHubConsumerClient.getPartitionIds() with a wrong key', 'UnauthorizedError', 'UnauthorizedError', async () => {
        const client = consumer('$Default', connectionString.replace(/SharedAccessKey=[^;]+/, 'SharedAccessKey=bm90LXRoZS1rZXk='));
        await client.getPartitionIds().finally(() => client.close());
      }),
      sdkCase(
        `EventHubConsumerClient.subscribe() to partition 99 (the hub has ${hub.info.eventHubs.partitionCount})`,
        'processError with MessagingEntityNotFoundError',
        'MessagingEntityNotFoundError',
        () => firstProcessError(consumer('$Default'), '99'),
      ),
      sdkCase(
        'EventHubConsumerClient.subscribe() in consumer group `no-such-group`',
        'processError with MessagingEntityNotFoundError',
        'MessagingEntityNotFoundError',
        () => firstProcessError(consumer('no-such-group'), '0'),
      ),
      garbage('`AMQP\\x09\\x09\\x09\\x09garbage` (an unknown protocol id)', Buffer.from('AMQP\x09\x09\x09\x09garbage-garbage', 'latin1')),
      garbage('`GET / HTTP/1.1`', Buffer.from('GET / HTTP/1.1\r\n\r\n')),
      garbage(
        'AMQP header, then a 72-byte frame whose body is no performative',
        Buffer.concat([AMQP_PROTOCOL_HEADER, frameHeader(72, 0), Buffer.alloc(64, 0xee)]),
      ),
      {
        input: "after all of the above: EventHubConsumerClient.getPartitionIds() with the hub's connection string",
        expected: `the ${hub.info.eventHubs.partitionCount} partition ids`,
        send: async () => {
          const client = consumer('$Default');
          return { replies: [`partition ids ${(await client.getPartitionIds().finally(() => client.close())).join(',')}`] };
        },
        expect: (a) => a.replies[0] === `partition ids ${Array.from({ length: hub.info.eventHubs.partitionCount }, (_, i) => i).join(',')}`,
      },
    ],
  };
}

/** Attaches a receiver and tells whether the endpoint refused it within WAIT_MS. */
function attach(connection: Connection, address: string, filter?: string): Promise<string> {
  return new Promise((resolve) => {
    const source: Record<string, unknown> = { address };
    if (filter) source.filter = { 'apache.org:selector-filter:string': types.wrap_described(filter, 0x468c00000004) };
    const receiver = connection.open_receiver({ source: source as never, credit_window: 0 });
    const timer = setTimeout(() => resolve('attached, not refused'), WAIT_MS);
    receiver.once('receiver_error', (ctx) => {
      clearTimeout(timer);
      const error = ctx.receiver!.error as { condition: string; description: string };
      resolve(`attach refused: ${error.condition}: ${error.description}`);
    });
  });
}
