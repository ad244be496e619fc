import type { Message } from 'rhea';
import type { EventHubAuthenticator } from '../../authentication/EventHubAuthenticator';
import { isWithinScope } from '../../authentication/sharedAccessSignature';
import type { ConnectionState } from './connectionState';
import { reply } from './replies';

const SAS_TOKEN_TYPE = 'servicebus.windows.net:sastoken';

/**
 * The `$cbs` node: claims-based security. A client puts a SAS token for an audience before it
 * attaches links under it; the service answers 202 or an error status, never by closing links.
 */
export function handleCbsRequest(request: Message, state: ConnectionState, authenticator: EventHubAuthenticator): Message {
  const props = (request.application_properties ?? {}) as Record<string, unknown>;
  if (props.operation !== 'put-token') return reply(request, 400, `Unsupported $cbs operation '${String(props.operation)}'.`);
  if (props.type !== SAS_TOKEN_TYPE)
    return reply(request, 400, `Unsupported token type '${String(props.type)}'; only ${SAS_TOKEN_TYPE} is accepted.`);
  const audience = props.name;
  if (typeof audience !== 'string' || audience === '') return reply(request, 400, 'The put-token request names no audience.');
  const check = authenticator.check(typeof request.body === 'string' ? request.body : undefined);
  if (!check.ok) return reply(request, 401, check.reason);
  if (!isWithinScope(audience, check.token.resource)) {
    return reply(request, 401, `The token is for '${check.token.resource}', not for '${audience}'.`);
  }
  state.authorize(audience, check.token.se * 1000);
  return reply(request, 202, 'Accepted');
}
