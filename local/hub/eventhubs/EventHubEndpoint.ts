import { create_container, type Connection, type Container, type EventContext, type Receiver, type Sender } from 'rhea';
import type { AddressInfo, Server, Socket } from 'node:net';
import type { EventHubAuthenticator } from '../authentication/EventHubAuthenticator';
import { guardFrameSizes } from '../frameSizeGuard';
import { amqpFrameSizeReader } from './amqp/amqpFrameSizeReader';
import { AmqpErrors, type AmqpError } from './amqp/amqpErrors';
import { handleCbsRequest } from './amqp/cbsNode';
import { ConnectionState } from './amqp/connectionState';
import { FilterError, parseEventPositionFilter, type StartPosition } from './amqp/eventPositionFilter';
import { handleManagementRequest } from './amqp/managementNode';
import { PartitionReceiverLink } from './amqp/PartitionReceiverLink';
import type { StoredEvent } from './eventData';
import type { EventLog } from './persistence/EventLog';

export interface EventHubEndpointOptions {
  /** The Event Hub-compatible name (IoT Hub's "Event Hub-compatible name"). */
  entityPath: string;
  /** Consumer groups besides $Default. */
  consumerGroups: string[];
  log: EventLog;
  authenticator: EventHubAuthenticator;
  createdAtMs: number;
}

/** Event Hubs' quota of non-exclusive (no ownerLevel) readers per partition and consumer group. */
const MAX_READERS_PER_PARTITION = 5;
/** The max-frame-size our open advertises: Event Hubs' own (its open says 65536). */
const MAX_FRAME_SIZE = 65536;
const RECEIVER_ADDRESS = /^([^/]+)\/ConsumerGroups\/([^/]+)\/Partitions\/([^/]+)$/i;

/**
 * IoT Hub's built-in Event Hub-compatible endpoint: AMQP 1.0 on rhea, read-only, as the
 * unmodified @azure/event-hubs consumer uses it — SASL ANONYMOUS or none, CBS put-token,
 * `$management` READ, and partition receivers with start filters, ownerLevel and credit-based flow.
 */
export class EventHubEndpoint {
  private readonly container: Container;
  private server?: Server;
  private readonly states = new WeakMap<Connection, ConnectionState>();
  private readonly connections = new Set<Connection>();
  /** Receive links by `<consumer group>/<partition>` (lower-cased group). */
  private readonly receivers = new Map<string, Set<PartitionReceiverLink>>();
  private readonly linkOf = new WeakMap<Sender, { key: string; link: PartitionReceiverLink }>();
  private readonly consumerGroups: Set<string>;

  constructor(private readonly options: EventHubEndpointOptions) {
    this.consumerGroups = new Set(['$default', ...options.consumerGroups.map((g) => g.toLowerCase())]);
    this.container = create_container({ id: `fleetwave-eventhubs-${options.entityPath}` });
    this.container.on('connection_open', (ctx: EventContext) => {
      this.connections.add(ctx.connection);
      this.states.set(ctx.connection, new ConnectionState());
    });
    this.container.on('sender_open', (ctx: EventContext) => this.onSenderOpen(ctx.sender!));
    this.container.on('receiver_open', (ctx: EventContext) => this.onReceiverOpen(ctx.receiver!));
    this.container.on('message', (ctx: EventContext) => this.onRequest(ctx));
    this.container.on('sendable', (ctx: EventContext) => this.linkOf.get(ctx.sender!)?.link.pump());
    this.container.on('sender_close', (ctx: EventContext) => this.forget(ctx.sender!));
    this.container.on('disconnected', (ctx: EventContext) => this.onDisconnected(ctx.connection));
    this.container.on('connection_close', (ctx: EventContext) => this.onDisconnected(ctx.connection));
    // Malformed frames and protocol errors end that connection only (rhea closes it).
    for (const event of ['error', 'protocol_error', 'connection_error']) this.container.on(event, () => undefined);
  }

  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const server = this.container.listen({ host, port, tcp_no_delay: true, max_frame_size: MAX_FRAME_SIZE } as never) as Server;
      this.server = server;
      // rhea buffers any frame whole, whatever size it announces: frames over the limit end the connection first.
      server.on('connection', (socket: Socket) => guardFrameSizes(socket, amqpFrameSizeReader(MAX_FRAME_SIZE)));
      server.once('error', reject);
      server.once('listening', () => {
        server.off('error', reject);
        resolve((server.address() as AddressInfo).port);
      });
    });
  }

  /** Pushes a newly appended event to the live receivers of its partition. */
  deliver(partitionId: string, event: StoredEvent): void {
    for (const group of this.consumerGroups) {
      for (const link of this.receivers.get(`${group}/${partitionId}`) ?? []) link.offer(event);
    }
  }

  async close(): Promise<void> {
    const server = this.server;
    const closed = new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    for (const connection of this.connections) {
      connection.close();
      (connection as unknown as { socket?: { destroy(): void } }).socket?.destroy();
    }
    await closed;
  }

  private onSenderOpen(sender: Sender): void {
    const address = sender.source?.address ?? '';
    if (address === '$cbs' || address === '$management') {
      this.states.get(sender.connection)?.replyLinks.set(sender.name, sender);
      return;
    }
    const error = this.attachPartitionReceiver(sender, address);
    if (error) sender.close(error);
  }

  private onReceiverOpen(receiver: Receiver): void {
    const address = receiver.target?.address ?? '';
    if (address === '$cbs' || address === '$management') return;
    receiver.close(AmqpErrors.notImplemented(`Sending to '${address}' (the built-in endpoint of an IoT hub is read-only)`));
  }

  private onRequest(ctx: EventContext): void {
    const request = ctx.message!;
    const state = this.states.get(ctx.connection)!;
    const node = ctx.receiver!.target?.address;
    const response =
      node === '$cbs'
        ? handleCbsRequest(request, state, this.options.authenticator)
        : handleManagementRequest(request, state, this.options);
    const replyLink = typeof request.reply_to === 'string' ? state.replyLinks.get(request.reply_to) : undefined;
    replyLink?.send(response);
  }

  private attachPartitionReceiver(sender: Sender, address: string): AmqpError | undefined {
    const match = RECEIVER_ADDRESS.exec(address);
    if (!match || match[1].toLowerCase() !== this.options.entityPath.toLowerCase()) {
      return AmqpErrors.entityNotFound('event hub', match?.[1] ?? address, address);
    }
    const [, , group, partitionId] = match;
    if (!this.consumerGroups.has(group.toLowerCase())) return AmqpErrors.entityNotFound('consumer group', group, address);
    if (!this.options.log.partitionIds.includes(partitionId)) return AmqpErrors.entityNotFound('partition', partitionId, address);
    if (!this.states.get(sender.connection)?.isAuthorized(address)) {
      return AmqpErrors.unauthorized(`No valid token covers '${address}': put one on $cbs first.`);
    }

    let start: StartPosition;
    const filter = selectorFilterOf(sender.source?.filter);
    try {
      start = parseEventPositionFilter(filter);
    } catch (error) {
      if (error instanceof FilterError) return AmqpErrors.invalidFilter(filter ?? '', error.message);
      throw error;
    }
    const next = this.firstSequenceNumber(partitionId, start);
    if (typeof next !== 'number') return next;

    const key = `${group.toLowerCase()}/${partitionId}`;
    const epoch = epochOf(sender.properties);
    const ownershipError = this.claim(key, epoch);
    if (ownershipError) return ownershipError;

    // Pre-settled deliveries: the consumer's acceptance carries no information for a read-only log.
    (sender as unknown as { local: { attach: { snd_settle_mode: number } } }).local.attach.snd_settle_mode = 1;
    sender.set_source({ address, filter: sender.source?.filter } as never);
    const link = new PartitionReceiverLink(sender, partitionId, epoch, this.options.log, next);
    let links = this.receivers.get(key);
    if (!links) this.receivers.set(key, (links = new Set()));
    links.add(link);
    this.linkOf.set(sender, { key, link });
    return undefined;
  }

  /** Where a receiver starts; positions past the end of the partition are refused, as Event Hubs does. */
  private firstSequenceNumber(partitionId: string, start: StartPosition): number | AmqpError {
    const info = this.options.log.info(partitionId);
    switch (start.kind) {
      case 'earliest':
        return info.beginSequenceNumber;
      case 'latest':
        return info.lastEnqueuedSequenceNumber + 1;
      case 'enqueuedTime':
        return this.options.log.firstSequenceNumberAfterTime(partitionId, start.ms);
      case 'sequence': {
        const first = start.inclusive ? start.value : start.value + 1;
        if (first > info.lastEnqueuedSequenceNumber + 1) {
          return AmqpErrors.positionOutOfRange(start.spelledAs, String(start.value), info.lastEnqueuedSequenceNumber);
        }
        return Math.max(first, info.beginSequenceNumber);
      }
    }
  }

  /**
   * ownerLevel (epoch) semantics: a receiver with an owner level takes the partition from every
   * receiver with a lower or no level; one without a level cannot join while a leveled one reads.
   */
  private claim(key: string, epoch: number | undefined): AmqpError | undefined {
    const current = [...(this.receivers.get(key) ?? [])];
    const leveled = current.filter((link) => link.epoch !== undefined);
    const highest = leveled.reduce((max, link) => Math.max(max, link.epoch!), -Infinity);
    if (epoch === undefined) {
      if (leveled.length > 0) return AmqpErrors.epochTooLow(undefined, highest);
      if (current.length >= MAX_READERS_PER_PARTITION) return AmqpErrors.tooManyReaders(MAX_READERS_PER_PARTITION);
      return undefined;
    }
    if (highest > epoch) return AmqpErrors.epochTooLow(epoch, highest);
    for (const link of current) {
      this.forget(link.sender);
      link.close(AmqpErrors.epochStolen(epoch, link.epoch));
    }
    return undefined;
  }

  private forget(sender: Sender): void {
    const entry = this.linkOf.get(sender);
    if (!entry) return;
    this.linkOf.delete(sender);
    this.receivers.get(entry.key)?.delete(entry.link);
  }

  private onDisconnected(connection: Connection): void {
    this.connections.delete(connection);
    for (const links of this.receivers.values()) {
      for (const link of links) if (link.sender.connection === connection) this.forget(link.sender);
    }
  }
}

/** The filter value @azure/event-hubs sends under apache.org:selector-filter:string. */
function selectorFilterOf(filter: unknown): string | undefined {
  if (!filter || typeof filter !== 'object') return undefined;
  const entry = (filter as Record<string, unknown>)['apache.org:selector-filter:string'];
  let value: unknown = entry;
  // rhea hands described types over as {descriptor, value}; unwrap to the string.
  while (value && typeof value === 'object' && 'value' in value) value = (value as { value: unknown }).value;
  return typeof value === 'string' ? value : undefined;
}

function epochOf(properties: Record<string, unknown> | undefined): number | undefined {
  const raw = properties?.['com.microsoft:epoch'];
  if (raw === undefined || raw === null) return undefined;
  const value = typeof raw === 'object' && 'value' in raw ? (raw as { value: unknown }).value : raw;
  const epoch = Number(value);
  return Number.isFinite(epoch) ? epoch : undefined;
}
