import { fillPage, type TokenPage } from '../../../dashboard/src/model/fillPage';
import { hrefs, parseRoute } from '../../../dashboard/src/model/routes';
import { currentToken, FIRST_PAGE, nextPage, pageNumber, previousPage } from '../../../dashboard/src/model/tokenStack';

test.each([
  ['', { view: 'list' }],
  ['#/', { view: 'list' }],
  ['#/new', { view: 'new' }],
  ['#/rollouts/r-1', { view: 'rollout', rolloutId: 'r-1' }],
  ['#/rollouts/a%2Fb/devices/dev%20one', { view: 'device', rolloutId: 'a/b', deviceId: 'dev one' }],
  ['#/rollouts/', { view: 'notFound', hash: '#/rollouts/' }],
  ['#/rollouts/%E0%A4%A', { view: 'notFound', hash: '#/rollouts/%E0%A4%A' }],
  ['#/elsewhere', { view: 'notFound', hash: '#/elsewhere' }],
])('parseRoute(%p)', (hash, route) => {
  expect(parseRoute(hash)).toEqual(route);
});

test('links round-trip through parseRoute, whatever the ids hold', () => {
  expect(parseRoute(hrefs.device('roll/out#1', 'dev?x'))).toEqual({ view: 'device', rolloutId: 'roll/out#1', deviceId: 'dev?x' });
  expect(parseRoute(hrefs.rollout('r 2'))).toEqual({ view: 'rollout', rolloutId: 'r 2' });
});

test('the token stack goes forward and back to the first page', () => {
  const second = nextPage(FIRST_PAGE, 't1');
  const third = nextPage(second, 't2');
  expect([currentToken(third), pageNumber(third)]).toEqual(['t2', 3]);
  expect(currentToken(previousPage(third))).toBe('t1');
  expect(previousPage(previousPage(third))).toEqual(FIRST_PAGE);
  expect(previousPage(FIRST_PAGE)).toEqual(FIRST_PAGE);
  expect(currentToken(FIRST_PAGE)).toBeNull();
});

/** A listing of 0..count-1 that answers at most `chunk` items a call, as a filtered scan does, tokens being offsets. */
function listing(count: number, chunk: number) {
  const asked: [string | null, number][] = [];
  const fetchPage = async (token: string | null, top: number): Promise<TokenPage<number>> => {
    asked.push([token, top]);
    const from = token === null ? 0 : Number(token);
    const to = Math.min(from + Math.min(top, chunk), count);
    return { items: Array.from({ length: to - from }, (_, i) => from + i), continuationToken: to < count ? String(to) : null };
  };
  return { fetchPage, asked };
}

test('fillPage follows short pages until the page is full, asking only for what is missing', async () => {
  const { fetchPage, asked } = listing(100, 10);
  const page = await fillPage(fetchPage, null, 25);
  expect(page).toEqual({ items: Array.from({ length: 25 }, (_, i) => i), continuationToken: '25' });
  expect(asked).toEqual([
    [null, 25],
    ['10', 15],
    ['20', 5],
  ]);
});

test('fillPage stops at the end of the listing with a null token', async () => {
  const { fetchPage } = listing(30, 10);
  expect(await fillPage(fetchPage, '20', 25)).toEqual({ items: [20, 21, 22, 23, 24, 25, 26, 27, 28, 29], continuationToken: null });
});
