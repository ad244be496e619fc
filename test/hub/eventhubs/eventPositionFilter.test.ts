import { FilterError, parseEventPositionFilter } from '../../../local/hub/eventhubs/amqp/eventPositionFilter';
import { ConnectionState, entityPathOf } from '../../../local/hub/eventhubs/amqp/connectionState';

describe('event position filters as @azure/event-hubs writes them', () => {
  test.each([
    [undefined, { kind: 'earliest' }],
    ["amqp.annotation.x-opt-offset > '-1'", { kind: 'earliest' }],
    ["amqp.annotation.x-opt-offset > '@latest'", { kind: 'latest' }],
    ["amqp.annotation.x-opt-offset > '42'", { kind: 'sequence', value: 42, inclusive: false, spelledAs: 'offset' }],
    ["amqp.annotation.x-opt-offset >= '42'", { kind: 'sequence', value: 42, inclusive: true, spelledAs: 'offset' }],
    ["amqp.annotation.x-opt-sequence-number > '7'", { kind: 'sequence', value: 7, inclusive: false, spelledAs: 'sequence number' }],
    ["amqp.annotation.x-opt-sequence-number >= '-1'", { kind: 'sequence', value: -1, inclusive: true, spelledAs: 'sequence number' }],
    ["amqp.annotation.x-opt-enqueued-time > '1700000000000'", { kind: 'enqueuedTime', ms: 1700000000000 }],
  ])('%s', (filter, expected) => {
    expect(parseEventPositionFilter(filter)).toEqual(expected);
  });

  test.each([
    'amqp.annotation.x-opt-offset ~ 12',
    'amqp.annotation.x-opt-offset > 12',
    "amqp.annotation.x-opt-offset > 'abc'",
    "amqp.annotation.x-opt-offset > '-2'",
    "amqp.annotation.x-opt-sequence-number > '1.5'",
    "amqp.annotation.x-opt-enqueued-time >= '1'",
    "amqp.annotation.x-opt-partition-key > 'a'",
    '',
  ])('refuses %j with a reason', (filter) => {
    expect(() => parseEventPositionFilter(filter)).toThrow(FilterError);
  });
});

describe('CBS authorizations per connection', () => {
  test('a token covers its audience and everything under it, until it expires', () => {
    const state = new ConnectionState();
    const now = 1_000_000;
    state.authorize('sb://127.0.0.1:5672/Hub/ConsumerGroups/$default/Partitions/0', now + 1000);
    expect(state.isAuthorized('hub/ConsumerGroups/$Default/Partitions/0', now)).toBe(true);
    expect(state.isAuthorized('hub/ConsumerGroups/$Default/Partitions/1', now)).toBe(false);
    expect(state.isAuthorized('hub/ConsumerGroups/$Default/Partitions/0', now + 1000)).toBe(false);
    state.authorize('sb://localhost/hub', now + 5000);
    expect(state.isAuthorized('hub/ConsumerGroups/other/Partitions/3', now)).toBe(true);
    expect(state.isAuthorized('hubx/ConsumerGroups/other/Partitions/3', now)).toBe(false);
  });

  test('entity paths drop scheme and host and ignore case', () => {
    expect(entityPathOf('sb://h:1/A/B/')).toBe('a/b');
    expect(entityPathOf('A/B')).toBe('a/b');
  });
});
