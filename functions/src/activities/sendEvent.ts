/**
 * Activity: raises an external event on another orchestration instance through the Durable
 * client. durable-functions for JavaScript has no orchestration-to-orchestration event, and a
 * batch must tell its wave that it is done while the wave keeps listening (see orchestrators/
 * wave.ts for why the wave cannot simply wait on all its batches' tasks), so the batch's last
 * step is this activity.
 */
import type { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { clientInstanceId } from '../durableClient';
import { logEvent } from '../logging';
import type { ActivityName } from './catalog';

export interface SendEventInput {
  instanceId: string;
  eventName: string;
  payload: unknown;
}

/** `delivered` also when the instance had already finished (the Durable API answers 410 then). */
export type SendEventResult = { delivered: true } | { delivered: false; reason: 'notFound' };

export async function sendEvent(input: SendEventInput, context: InvocationContext): Promise<SendEventResult> {
  const client = df.getClient(context);
  try {
    await client.raiseEvent(clientInstanceId(input.instanceId), input.eventName, input.payload);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (/No instance with ID/i.test(message)) {
      logEvent(context, 'warn', 'event.notDelivered', { instanceId: input.instanceId, eventName: input.eventName, reason: 'notFound' });
      return { delivered: false, reason: 'notFound' };
    }
    throw error;
  }
  return { delivered: true };
}

df.app.activity('sendEvent' satisfies ActivityName, { handler: sendEvent, extraInputs: [df.input.durableClient()] });
