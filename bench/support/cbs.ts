import { randomUUID } from 'node:crypto';
import type { Connection } from 'rhea';

/** A CBS put-token on `connection` (its own reply link); resolves with the status the endpoint answered. */
export function putToken(connection: Connection, token: string, audience: string): Promise<{ status: number; description: string }> {
  return new Promise((resolve) => {
    const replyTo = `cbs-${randomUUID()}`;
    connection.open_receiver({ source: { address: '$cbs' }, name: replyTo }).on('message', (ctx) => {
      const properties = ctx.message!.application_properties!;
      resolve({ status: Number(properties['status-code']), description: String(properties['status-description']) });
    });
    const sender = connection.open_sender({ target: { address: '$cbs' } });
    sender.once('sendable', () =>
      sender.send({
        message_id: randomUUID(),
        reply_to: replyTo,
        body: token,
        application_properties: { operation: 'put-token', type: 'servicebus.windows.net:sastoken', name: audience },
      }),
    );
  });
}
