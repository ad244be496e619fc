/**
 * The start position a receiver asks for, from its `apache.org:selector-filter:string` filter, as
 * @azure/event-hubs writes it (eventPosition.ts):
 *   amqp.annotation.x-opt-offset >[=] '<offset | -1 | @latest>'
 *   amqp.annotation.x-opt-sequence-number >[=] '<n>'
 *   amqp.annotation.x-opt-enqueued-time > '<ms since epoch>'
 * Offsets here are decimal sequence numbers, so offset and sequence positions are the same thing.
 */
export type StartPosition =
  | { kind: 'earliest' }
  | { kind: 'latest' }
  | { kind: 'sequence'; value: number; inclusive: boolean; spelledAs: 'offset' | 'sequence number' }
  | { kind: 'enqueuedTime'; ms: number };

export class FilterError extends Error {}

const FILTER = /^\s*amqp\.annotation\.x-opt-(offset|sequence-number|enqueued-time)\s*(>=|>)\s*'([^']*)'\s*$/i;

/** No filter means the start of the partition, as in Event Hubs. */
export function parseEventPositionFilter(filter: string | undefined): StartPosition {
  if (filter === undefined) return { kind: 'earliest' };
  const match = FILTER.exec(filter);
  if (!match)
    throw new FilterError(
      'expected amqp.annotation.x-opt-offset|x-opt-sequence-number|x-opt-enqueued-time followed by > or >= and a quoted value',
    );
  const [, field, operator, value] = match;
  const inclusive = operator === '>=';
  switch (field.toLowerCase()) {
    case 'offset':
      if (value === '-1') return { kind: 'earliest' };
      if (value === '@latest') return { kind: 'latest' };
      return { kind: 'sequence', value: wholeNumber(value, 'offset'), inclusive, spelledAs: 'offset' };
    case 'sequence-number':
      return { kind: 'sequence', value: wholeNumber(value, 'sequence number', true), inclusive, spelledAs: 'sequence number' };
    default:
      if (inclusive) throw new FilterError('an enqueued-time position only takes >');
      return { kind: 'enqueuedTime', ms: wholeNumber(value, 'enqueued time') };
  }
}

function wholeNumber(text: string, what: string, allowMinusOne = false): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isSafeInteger(n) || n < (allowMinusOne ? -1 : 0))
    throw new FilterError(`'${text}' is not a valid ${what}`);
  return n;
}
