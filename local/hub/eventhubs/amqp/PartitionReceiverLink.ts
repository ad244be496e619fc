import type { Sender } from 'rhea';
import type { StoredEvent } from '../eventData';
import type { EventLog } from '../persistence/EventLog';
import type { AmqpError } from './amqpErrors';
import { toAmqpMessage } from './toAmqpMessage';

/** How many events one read from the log fetches at most; credit bounds it further. */
const READ_BATCH = 256;

/**
 * One consumer's receive link on a partition: sends events from `nextSequenceNumber` on, as far
 * as the consumer's link credit allows (@azure/event-hubs grants credit explicitly, credit_window
 * 0), and picks up again when credit or new events arrive.
 */
export class PartitionReceiverLink {
  constructor(
    readonly sender: Sender,
    readonly partitionId: string,
    /** ownerLevel; undefined for a non-exclusive reader. */
    readonly epoch: number | undefined,
    private readonly log: EventLog,
    private nextSequenceNumber: number,
  ) {}

  /** Credit arrived, or the log grew: send what the credit allows. */
  pump(): void {
    while (this.sender.sendable()) {
      const events = this.log.read(this.partitionId, this.nextSequenceNumber, Math.min(READ_BATCH, creditOf(this.sender)));
      if (events.length === 0) return;
      for (const event of events) this.send(event);
    }
  }

  /** A new event in this link's partition; the common tail case skips the log read. */
  offer(event: StoredEvent): void {
    if (event.sequenceNumber === this.nextSequenceNumber && this.sender.sendable()) this.send(event);
    else this.pump();
  }

  close(error?: AmqpError): void {
    this.sender.close(error);
  }

  private send(event: StoredEvent): void {
    this.sender.send(toAmqpMessage(event));
    this.nextSequenceNumber = event.sequenceNumber + 1;
  }
}

/** rhea keeps the peer's link credit on the sender; its typings leave it out. */
function creditOf(sender: Sender): number {
  return (sender as unknown as { credit: number }).credit;
}
