import fc from 'fast-check';
import { FIRMWARE_UPDATE_STATUSES } from '../../contracts/firmwareUpdate';
import {
  IllegalTransitionError,
  TRANSITIONS,
  isAtRest,
  isBusy,
  machineStateOf,
  transition,
  type MachineEvent,
  type MachineState,
} from '../../device/agent/stateMachine';

const STATES: MachineState[] = ['idle', 'staged', ...FIRMWARE_UPDATE_STATUSES];
const EVENTS: MachineEvent[] = [
  'accept',
  'alreadyInstalled',
  'startDownload',
  'downloadSucceeded',
  'downloadFailed',
  'startApply',
  'applySucceeded',
  'applyFailed',
];

/** The legal moves, written out independently of the table under test. */
const LEGAL = new Set([
  'idle accept waiting',
  'idle alreadyInstalled applyComplete',
  'waiting startDownload downloading',
  'waiting downloadFailed downloadFailed',
  'downloading downloadSucceeded downloadComplete',
  'downloading downloadFailed downloadFailed',
  'downloadComplete startApply applying',
  'staged startApply applying',
  'applying applySucceeded applyComplete',
  'applying applyFailed applyFailed',
  ...['downloadFailed', 'applyComplete', 'applyFailed', 'staged'].flatMap((s) => [
    `${s} accept waiting`,
    `${s} alreadyInstalled applyComplete`,
  ]),
]);

describe('the firmware update state machine', () => {
  test.each(STATES.flatMap((state) => EVENTS.map((event) => [state, event] as const)))('%s + %s', (state, event) => {
    const legal = [...LEGAL].find((t) => t.startsWith(`${state} ${event} `));
    if (legal) expect(transition(state, event)).toBe(legal.split(' ')[2]);
    else expect(() => transition(state, event)).toThrow(IllegalTransitionError);
  });

  test('the table holds exactly the legal transitions', () => {
    const table = STATES.flatMap((state) => Object.entries(TRANSITIONS[state]).map(([event, to]) => `${state} ${event} ${to}`));
    expect(new Set(table)).toEqual(LEGAL);
  });

  test('no sequence of events can reach a state by an illegal step', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...EVENTS), { maxLength: 60 }), (events) => {
        let state: MachineState = 'idle';
        const visited: string[] = [];
        for (const event of events) {
          try {
            const next = transition(state, event);
            visited.push(`${state} ${event} ${next}`);
            state = next;
          } catch (error) {
            expect(error).toBeInstanceOf(IllegalTransitionError);
          }
        }
        for (const step of visited) expect(LEGAL.has(step)).toBe(true);
      }),
    );
  });

  test('a staged update at downloadComplete is the staged state: at rest, and not busy (a new rollout replaces it)', () => {
    const at = (status: (typeof FIRMWARE_UPDATE_STATUSES)[number], install?: 'immediate' | 'staged') =>
      machineStateOf({ status, request: install === undefined ? {} : { install } });
    expect(machineStateOf(null)).toBe('idle');
    expect(at('downloadComplete', 'staged')).toBe('staged');
    expect(at('downloadComplete', 'immediate')).toBe('downloadComplete');
    expect(at('downloadComplete')).toBe('downloadComplete');
    expect(at('downloading', 'staged')).toBe('downloading');
    expect(at('applying', 'staged')).toBe('applying');
    expect(STATES.filter(isAtRest)).toEqual(['idle', 'staged', 'downloadFailed', 'applyComplete', 'applyFailed']);
    expect(STATES.filter(isBusy)).toEqual(['waiting', 'downloading', 'downloadComplete', 'applying']);
  });

  test('the happy path in order', () => {
    const path: MachineEvent[] = ['accept', 'startDownload', 'downloadSucceeded', 'startApply', 'applySucceeded'];
    let state: MachineState = 'idle';
    const statuses = path.map((event) => (state = transition(state, event)));
    expect(statuses).toEqual(['waiting', 'downloading', 'downloadComplete', 'applying', 'applyComplete']);
  });
});
