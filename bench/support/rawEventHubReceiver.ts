import { connect, type Connection, type Message } from 'rhea';
import { createSas } from '../../local/hub/authentication/sharedAccessSignature';
import type { HubConnectionInfo } from '../../local/hub/connectionInfo';

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
  await new Promise<void>((resolve, reject) => {
    connection.open_receiver({ source: { address: '$cbs' }, name: 'cbs-reply' }).on('message', (ctx) => {
      const status = Number(ctx.message!.application_properties!['status-code']);
      if (status === 202) resolve();
      else reject(new Error(`put-token answered ${status}`));
    });
    const sender = connection.open_sender({ target: { address: '$cbs' } });
    sender.once('sendable', () =>
      sender.send({
        message_id: 'token',
        reply_to: 'cbs-reply',
        body: createSas(audience, Buffer.from(key, 'utf8'), keyName, 3600),
        application_properties: { operation: 'put-token', type: 'servicebus.windows.net:sastoken', name: audience },
      }),
    );
  });
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
