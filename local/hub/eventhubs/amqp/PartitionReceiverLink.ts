import type { Sender } from 'rhea';
import type { StoredEvent } from '../eventData';
import type { EventLog } from '../persistence/EventLog';
import type { AmqpError } from './amqpErrors';
import { toAmqpMessage } from './toAmqpMessage';

/** How many events one read from the log fetches at most; credit bounds it further. */
const READ_BATCH = 256;

/** What rhea keeps on a sender beyond its typings: the flow state of AMQP 1.0 §2.6.7 and the session's outgoing buffer. */
interface RheaSenderState {
  credit: number;
  delivery_count: number;
  session: { outgoing: { available(): number } };
}

/**
 * One consumer's receive link on a partition: sends each event from `nextSequenceNumber` on once,
 * as far as the consumer's link credit allows (@azure/event-hubs grants credit explicitly,
 * credit_window 0), and picks up again when credit or new events arrive.
 */
export class PartitionReceiverLink {
  /** Deliveries handed to rhea on this link; rhea's delivery_count catches up as it writes them. */
  private handedOver = 0;
  private pumping = false;

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
    // Reading the log commits pending appends, and they are announced (offer, then pump) from inside that read,
    // which returns them too: sending them from the announcement as well would send them twice.
    if (this.pumping) return;
    this.pumping = true;
    try {
      for (let room = this.room(); room > 0; room = this.room()) {
        const events = this.log.read(this.partitionId, this.nextSequenceNumber, Math.min(READ_BATCH, room));
        if (events.length === 0) return;
        for (const event of events) this.send(event);
      }
    } finally {
      this.pumping = false;
    }
  }

  /** A new event in this link's partition; the common tail case skips the log read. */
  offer(event: StoredEvent): void {
    if (!this.pumping && event.sequenceNumber === this.nextSequenceNumber && this.room() > 0) this.send(event);
    else this.pump();
  }

  close(error?: AmqpError): void {
    this.sender.close(error);
  }

  private send(event: StoredEvent): void {
    this.sender.send(toAmqpMessage(event));
    this.handedOver++;
    this.nextSequenceNumber = event.sequenceNumber + 1;
  }

  /**
   * How many more events may be handed to rhea now. Credit per AMQP 1.0 §2.6.7: the sender may
   * send until its delivery-count reaches the receiver's delivery-count + link-credit (rhea keeps
   * credit + delivery_count at that sum). rhea counts a delivery only when it writes the transfer,
   * on a later tick, so the deliveries handed over since then count here; and the session's
   * outgoing buffer (2048 deliveries by default) must have room for them.
   */
  private room(): number {
    const state = this.sender as unknown as RheaSenderState;
    // A drain advances delivery_count over the credit nothing was sent for: that credit is used up too.
    this.handedOver = Math.max(this.handedOver, state.delivery_count);
    return Math.min(state.credit + state.delivery_count - this.handedOver, state.session.outgoing.available());
  }
}
