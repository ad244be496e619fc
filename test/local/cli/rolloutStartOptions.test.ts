import { InvalidArgumentError } from 'commander';
import { parseWindowOption } from '../../../local/cli/commands/rolloutCommand';

describe('fleetwave rollout start --window', () => {
  test('"days from-to zone" becomes a maintenance window of the spec', () => {
    expect(parseWindowOption('sat,sun 01:00-05:00 Europe/Berlin')).toEqual({
      days: ['sat', 'sun'],
      from: '01:00',
      to: '05:00',
      timeZone: 'Europe/Berlin',
    });
    expect(parseWindowOption(' wed 22:00-01:00 America/New_York ')).toMatchObject({ days: ['wed'], from: '22:00', to: '01:00' });
  });

  test.each(['sat 01:00 Europe/Berlin', 'sat,sun 1:00-5:00 Europe/Berlin', '01:00-05:00 Europe/Berlin', 'sat 01:00-05:00'])(
    '%s is refused with the expected form',
    (value) => {
      expect(() => parseWindowOption(value)).toThrow(InvalidArgumentError);
      expect(() => parseWindowOption(value)).toThrow(/"days from-to zone"/);
    },
  );
});
