import { connect, type Connection, type Message } from 'rhea';
import { createSas } from '../../local/hub/authentication/sharedAccessSignature';
import type { HubConnectionInfo } from '../../local/hub/connectionInfo';
import { putToken } from './cbs';

/**
 * A bare AMQP consumer (rhea) on every partition of the built-in endpoint, starting at the end:
 * it shows the endpoint's own delivery latency, without the batching window (20 ms) that
 * EventHubConsumerClient adds before it hands a batch to processEvents.
 */
export async function rawEventHubReceiver(info: HubConnectionInfo, onMessage: (message: Message) => void): Promise<Connection> {
  const key = /SharedAccessKey=([^;]+)/.exec(info.eventHubs.connectionString)![1];
  const keyName = /SharedAccessKeyName=([^;]+)/.exec(info.eventHubs.connectionString)![1];
  const audience = `sb://${info.eventHubs.host}:${info.eventHubs.port}/${info.eventHubs.entityPath}`;
  const connection = connect({ host: info.eventHubs.host, port: info.eventHubs.port, reconnect: false });
  await new Promise((resolve) => connection.once('connection_open', resolve));
  const { status, description } = await putToken(connection, createSas(audience, Buffer.from(key, 'utf8'), keyName, 3600), audience);
  if (status !== 202) throw new Error(`put-token answered ${status}: ${description}`);
  for (let p = 0; p < info.eventHubs.partitionCount; p++) {
    const receiver = connection.open_receiver({
      source: {
        address: `${info.eventHubs.entityPath}/ConsumerGroups/$Default/Partitions/${p}`,
        filter: { 'apache.org:selector-filter:string': "amqp.annotation.x-opt-offset > '@latest'" },
      } as never,
      credit_window: 1000,
    });
    receiver.on('message', (ctx) => onMessage(ctx.message!));
    await new Promise((resolve) => receiver.once('receiver_open', resolve));
  }
  return connection;
}
