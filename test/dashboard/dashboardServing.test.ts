import type { Browser } from 'playwright-core';
import type { RunningLocalStack } from '../../local/stack/startLocalStack';
import { launchBrowser, openPage } from '../support/browser';
import { localStack } from '../support/localStackFixture';

/** How the function app serves the dashboard: the page, its assets, their headers; and that it starts in a real browser. */
let stack: RunningLocalStack;
let browser: Browser;

beforeAll(async () => {
  [stack, browser] = await Promise.all([localStack(1), launchBrowser()]);
}, 120_000);

afterAll(async () => {
  await Promise.all([browser?.close(), stack?.close()]);
});

const page = (path = '') => `${stack.apiUrl}/dashboard${path}`;

test.each(['', '/'])('GET /api/dashboard%s is the page, its assets and API named by absolute paths', async (slash) => {
  const response = await fetch(page(slash));
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
  expect(response.headers.get('cache-control')).toBe('no-store');
  expect(response.headers.get('content-security-policy')).toContain("default-src 'none'; script-src 'self'");
  expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  const html = await response.text();
  expect(html).toContain('<script type="module" src="/api/dashboard/main.js"></script>');
  expect(html).toContain('<link rel="stylesheet" href="/api/dashboard/main.css" />');
  expect(html).not.toContain('%');
});

test('the script is served with an ETag and revalidated', async () => {
  const first = await fetch(page('/main.js'));
  expect(first.status).toBe(200);
  expect(first.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
  expect(first.headers.get('cache-control')).toBe('no-cache');
  const etag = first.headers.get('etag');
  expect(etag).toMatch(/^"[\w-]{22}"$/);
  expect((await first.text()).length).toBeGreaterThan(1000);

  const again = await fetch(page('/main.js'), { headers: { 'if-none-match': etag! } });
  expect(again.status).toBe(304);
  expect(await again.text()).toBe('');

  const head = await fetch(page('/main.css'), { method: 'HEAD' });
  expect(head.status).toBe(200);
  expect(head.headers.get('content-type')).toBe('text/css; charset=utf-8');
});

test.each(['/main.js.map', '/index.html', '/nothing.js', '/%2e%2e%2fpackage.json'])('GET /api/dashboard%s is 404', async (path) => {
  const response = await fetch(page(path));
  expect(response.status).toBe(404);
  const body = (await response.json()) as { error: string; message: string };
  expect(body.error).toBe('notFound');
});

test('only GET and HEAD', async () => {
  const response = await fetch(page(), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  expect(response.status).toBe(405);
});

test('the page starts in Chromium without a console error (a CSP violation would be one)', async () => {
  const { context, page: tab, errors } = await openPage(browser);
  try {
    await tab.goto(page());
    await tab.getByRole('heading', { level: 1 }).waitFor();
    expect(errors).toEqual([]);
  } finally {
    await context.close();
  }
});
