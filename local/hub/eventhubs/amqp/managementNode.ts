import { types, type Message } from 'rhea';
import type { EventHubAuthenticator } from '../../authentication/EventHubAuthenticator';
import { isWithinScope } from '../../authentication/sharedAccessSignature';
import type { EventLog } from '../persistence/EventLog';
import { entityPathOf, type ConnectionState } from './connectionState';
import { reply } from './replies';

export interface ManagementContext {
  entityPath: string;
  createdAtMs: number;
  log: EventLog;
  authenticator: EventHubAuthenticator;
}

/**
 * The `$management` node's READ operation for com.microsoft:eventhub and com.microsoft:partition,
 * with the AMQP types the SDK expects (timestamps, longs, string offsets).
 */
export function handleManagementRequest(request: Message, state: ConnectionState, ctx: ManagementContext): Message {
  const props = (request.application_properties ?? {}) as Record<string, unknown>;
  if (!isAuthorized(props.security_token, state, ctx)) {
    return reply(request, 401, `Unauthorized access to '${ctx.entityPath}/$management': put a token for it or pass security_token.`);
  }
  if (props.operation !== 'READ') return reply(request, 400, `Unsupported $management operation '${String(props.operation)}'.`);
  if (typeof props.name !== 'string' || props.name.toLowerCase() !== ctx.entityPath.toLowerCase()) {
    return reply(request, 404, `The messaging entity '${String(props.name)}' could not be found.`);
  }
  switch (props.type) {
    case 'com.microsoft:eventhub':
      return reply(request, 200, 'OK', {
        name: ctx.entityPath,
        type: 'com.microsoft:eventhub',
        created_at: types.wrap_timestamp(ctx.createdAtMs),
        partition_count: types.wrap_int(ctx.log.partitionIds.length),
        partition_ids: [...ctx.log.partitionIds],
      });
    case 'com.microsoft:partition': {
      const partition = String(props.partition);
      if (!ctx.log.partitionIds.includes(partition)) {
        return reply(request, 404, `The messaging entity '${ctx.entityPath}/Partitions/${partition}' could not be found.`);
      }
      const info = ctx.log.info(partition);
      return reply(request, 200, 'OK', {
        name: ctx.entityPath,
        type: 'com.microsoft:partition',
        partition,
        begin_sequence_number: types.wrap_long(info.beginSequenceNumber),
        last_enqueued_sequence_number: types.wrap_long(info.lastEnqueuedSequenceNumber),
        last_enqueued_offset: info.lastEnqueuedOffset,
        last_enqueued_time_utc: types.wrap_timestamp(info.lastEnqueuedTimeUtc),
        is_partition_empty: info.isEmpty,
      });
    }
    default:
      return reply(request, 400, `Unsupported $management type '${String(props.type)}'.`);
  }
}

function isAuthorized(securityToken: unknown, state: ConnectionState, ctx: ManagementContext): boolean {
  const managementPath = `${ctx.entityPath}/$management`;
  if (state.isAuthorized(managementPath)) return true;
  if (typeof securityToken !== 'string') return false;
  const check = ctx.authenticator.check(securityToken);
  return check.ok && isWithinScope(entityPathOf(managementPath), entityPathOf(check.token.resource));
}
