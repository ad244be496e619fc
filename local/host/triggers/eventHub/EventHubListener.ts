import { EventHubConsumerClient, earliestEventPosition, type EventPosition, type ReceivedEventData, type Subscription } from '@azure/event-hubs';
import type { HostFunction } from '../../catalog/HostFunction';
import type { HostConfig } from '../../config/hostJson';
import { connectionSetting } from '../../config/resolveSettings';
import type { HostLogger } from '../../HostLogger';
import type { FunctionInvoker } from '../../worker/FunctionInvoker';
import { invokeWithRetry } from '../invokeWithRetry';
import type { CheckpointKey, TriggerStateStore } from '../TriggerStateStore';
import { parseEventHubConnection } from './eventHubConnection';
import { eventHubInvocationInput, type PartitionInfo } from './eventHubInvocationInput';

/** How long a partition receiver waits to fill a batch once it has events to deliver. */
const MAX_WAIT_SECONDS = 1;

/**
 * Runs one Event Hub-triggered function: an EventHubConsumerClient on the binding's connection,
 * event hub and consumer group, one receiver per partition, batches of up to maxEventBatchSize,
 * and a checkpoint after each batch, so a restart resumes after the last batch processed.
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
    this.client = connection.entityPath
      ? new EventHubConsumerClient(consumerGroup, connection.connectionString)
      : new EventHubConsumerClient(consumerGroup, connection.connectionString, eventHubName);
    const partitionIds = await this.client.getPartitionIds();
    for (const partitionId of partitionIds) {
      const partition: PartitionInfo = { consumerGroup, eventHubName, fullyQualifiedNamespace: connection.fullyQualifiedNamespace, partitionId };
      const key: CheckpointKey = { functionName: this.fn.name, namespace: partition.fullyQualifiedNamespace, eventHub: eventHubName, consumerGroup, partitionId };
      const subscription = this.client.subscribe(
        partitionId,
        {
          processEvents: async (events) => {
            if (events.length === 0 || this.stopping) return;
            await this.process(partition, events, cardinality, dataType);
            if (this.stopping) return;
            const last = events[events.length - 1];
            this.state.saveCheckpoint(key, { sequenceNumber: last.sequenceNumber, offset: last.offset });
          },
          processError: async (error) => {
            if (!this.stopping) this.logger.warn(`Event Hub trigger '${this.fn.name}' (partition ${partitionId}): ${error.message}`);
          },
        },
        { startPosition: await this.startPosition(key, partitionId), maxBatchSize: this.config.maxEventBatchSize, maxWaitTimeInSeconds: MAX_WAIT_SECONDS },
      );
      this.subscriptions.push(subscription);
    }
    this.logger.info(`Event Hub trigger '${this.fn.name}' is listening to ${eventHubName} (${consumerGroup}, ${partitionIds.length} partitions).`);
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
  private async process(partition: PartitionInfo, events: ReceivedEventData[], cardinality: 'one' | 'many', dataType: string | undefined): Promise<void> {
    const batches = cardinality === 'many' ? [events] : events.map((event) => [event]);
    for (const batch of batches) {
      const input = eventHubInvocationInput(this.fn.trigger.name, partition, batch, cardinality, dataType);
      // A batch that still fails after the retry policy is logged (by the invoker) and passed, as the Functions host does.
      await invokeWithRetry(this.invoker, this.fn, input, () => this.stopping);
    }
  }
}
