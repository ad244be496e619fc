import {
  EventHubConsumerClient,
  RetryMode,
  earliestEventPosition,
  type EventPosition,
  type ReceivedEventData,
  type RetryOptions,
  type Subscription,
} from '@azure/event-hubs';
import type { HostFunction } from '../../catalog/HostFunction';
import type { HostConfig } from '../../config/hostJson';
import { connectionSetting } from '../../config/resolveSettings';
import type { HostLogger } from '../../HostLogger';
import type { FunctionInvoker } from '../../worker/FunctionInvoker';
import { invokeWithRetry } from '../invokeWithRetry';
import type { CheckpointKey, TriggerStateStore } from '../TriggerStateStore';
import { parseEventHubConnection } from './eventHubConnection';
import { eventHubInvocationInput, type PartitionInfo } from './eventHubInvocationInput';

/** The longest a partition receiver waits for events before it reports back (with none). */
const MAX_WAIT_SECONDS = 1;

/**
 * Runs one Event Hub-triggered function: an EventHubConsumerClient on the binding's connection,
 * event hub and consumer group, one receiver per partition, batches of up to maxEventBatchSize
 * (filled up to minEventBatchSize for at most maxWaitTime, as extension v5 does), and a
 * checkpoint after each batch, so a restart resumes after the last batch processed. When the hub
 * goes away it reconnects as the Functions host does, and reads on after the last event received.
 */
export class EventHubListener {
  private client?: EventHubConsumerClient;
  private readonly subscriptions: Subscription[] = [];
  private stopping = false;

  constructor(
    private readonly fn: HostFunction,
    private readonly config: HostConfig['eventHubs'],
    private readonly state: TriggerStateStore,
    private readonly invoker: FunctionInvoker,
    private readonly logger: HostLogger,
  ) {}

  async start(): Promise<void> {
    this.stopping = false;
    this.subscriptions.length = 0;
    const binding = this.fn.trigger;
    const connection = parseEventHubConnection(connectionSetting(String(binding.connection)));
    const eventHubName = connection.entityPath ?? String(binding.eventHubName ?? '');
    const consumerGroup = typeof binding.consumerGroup === 'string' && binding.consumerGroup !== '' ? binding.consumerGroup : '$Default';
    const cardinality = binding.cardinality === 'many' ? 'many' : 'one';
    const dataType = typeof binding.dataType === 'string' ? binding.dataType : undefined;
    // As the Functions host does (host.json clientRetryOptions): the JS SDK's own default waits a fixed 30 s,
    // so a trigger would stay silent for half a minute after the hub returns.
    const retry = this.config.clientRetry;
    const retryOptions: RetryOptions = {
      mode: retry.mode === 'fixed' ? RetryMode.Fixed : RetryMode.Exponential,
      retryDelayInMs: retry.delayMs,
      maxRetryDelayInMs: retry.maxDelayMs,
      maxRetries: retry.maxRetries,
      timeoutInMs: retry.tryTimeoutMs,
    };
    const options = { retryOptions };
    this.client = connection.entityPath
      ? new EventHubConsumerClient(consumerGroup, connection.connectionString, options)
      : new EventHubConsumerClient(consumerGroup, connection.connectionString, eventHubName, options);
    const partitionIds = await this.client.getPartitionIds();
    for (const partitionId of partitionIds) {
      const partition: PartitionInfo = {
        consumerGroup,
        eventHubName,
        fullyQualifiedNamespace: connection.fullyQualifiedNamespace,
        partitionId,
      };
      const key: CheckpointKey = {
        functionName: this.fn.name,
        namespace: partition.fullyQualifiedNamespace,
        eventHub: eventHubName,
        consumerGroup,
        partitionId,
      };
      const pending = new PendingBatch(this.config);
      // The SDK reads startPosition again whenever it restarts the partition's receiver (once a reconnect has used up its
      // retries): kept just after the last event received, so the restart repeats none (those still pending stay so).
      const resumeAt: Record<string, EventPosition> = { [partitionId]: await this.startPosition(key, partitionId) };
      const subscription = this.client.subscribe(
        partitionId,
        {
          processEvents: async (events) => {
            if (this.stopping) return;
            if (events.length > 0) resumeAt[partitionId] = { sequenceNumber: events[events.length - 1].sequenceNumber, isInclusive: false };
            for (const batch of pending.add(events, Date.now())) {
              await this.process(partition, batch, cardinality, dataType);
              if (this.stopping) return;
              const last = batch[batch.length - 1];
              this.state.saveCheckpoint(key, { sequenceNumber: last.sequenceNumber, offset: last.offset });
            }
          },
          processError: async (error) => {
            if (!this.stopping) this.logger.warn(`Event Hub trigger '${this.fn.name}' (partition ${partitionId}): ${error.message}`);
          },
        },
        // The receiver must come back within maxWaitTime even when nothing arrives, to hand over a partial batch.
        {
          startPosition: resumeAt,
          maxBatchSize: this.config.maxEventBatchSize,
          maxWaitTimeInSeconds: Math.min(MAX_WAIT_SECONDS, this.config.maxWaitMs / 1000),
        },
      );
      this.subscriptions.push(subscription);
    }
    this.logger.info(
      `Event Hub trigger '${this.fn.name}' is listening to ${eventHubName} (${consumerGroup}, ${partitionIds.length} partitions).`,
    );
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.allSettled(this.subscriptions.map((subscription) => subscription.close()));
    await this.client?.close();
  }

  /**
   * After a checkpoint, the next event; without one, where host.json's initialOffsetOptions says.
   * fromEnd is pinned to the partition's last event now, not left to the link: "latest" means
   * latest when the receiver attaches, and events sent between the host saying it started and
   * the attach would be skipped. (An empty partition starts from its first event.)
   */
  private async startPosition(key: CheckpointKey, partitionId: string): Promise<EventPosition> {
    const checkpoint = this.state.checkpoint(key);
    if (checkpoint) return { sequenceNumber: checkpoint.sequenceNumber, isInclusive: false };
    const initial = this.config.initialOffset;
    if (initial.type === 'fromEnd') {
      const partition = await this.client!.getPartitionProperties(partitionId);
      if (partition.isEmpty) return earliestEventPosition;
      // Kept as the checkpoint, so a restart before the first batch does not skip ahead again.
      this.state.saveCheckpoint(key, { sequenceNumber: partition.lastEnqueuedSequenceNumber, offset: partition.lastEnqueuedOffset });
      return { sequenceNumber: partition.lastEnqueuedSequenceNumber, isInclusive: false };
    }
    if (initial.type === 'fromEnqueuedTime') return { enqueuedOn: initial.enqueuedTimeUtc };
    return earliestEventPosition;
  }

  /** Cardinality many: one invocation per batch; one: an invocation per event, in order. */
  private async process(
    partition: PartitionInfo,
    events: ReceivedEventData[],
    cardinality: 'one' | 'many',
    dataType: string | undefined,
  ): Promise<void> {
    const batches = cardinality === 'many' ? [events] : events.map((event) => [event]);
    for (const batch of batches) {
      const input = eventHubInvocationInput(this.fn.trigger.name, partition, batch, cardinality, dataType);
      // A batch that still fails after the retry policy is logged (by the invoker) and passed, as the Functions host does.
      await invokeWithRetry(this.invoker, this.fn, input, () => this.stopping);
    }
  }
}

/**
 * A partition's events received but not handed over yet: a batch is due once it reaches
 * minEventBatchSize or its first event has waited maxWaitTime. Nothing is checkpointed before it
 * is handed over, so events still waiting here when the host stops are delivered again.
 */
export class PendingBatch {
  private events: ReceivedEventData[] = [];
  private firstAt = 0;

  constructor(private readonly config: Pick<HostConfig['eventHubs'], 'minEventBatchSize' | 'maxEventBatchSize' | 'maxWaitMs'>) {}

  /** Adds what the receiver brought (maybe nothing) and returns the batches due now. */
  add(events: ReceivedEventData[], now: number): ReceivedEventData[][] {
    if (this.events.length === 0) this.firstAt = now;
    this.events.push(...events);
    if (this.events.length === 0 || (this.events.length < this.config.minEventBatchSize && now - this.firstAt < this.config.maxWaitMs))
      return [];
    const batches: ReceivedEventData[][] = [];
    for (let i = 0; i < this.events.length; i += this.config.maxEventBatchSize)
      batches.push(this.events.slice(i, i + this.config.maxEventBatchSize));
    this.events = [];
    return batches;
  }
}
