import AxeBuilder from '@axe-core/playwright';
import type { Browser, Page } from 'playwright-core';
import type { RolloutView } from '../../contracts/rolloutApi';
import type { RunningLocalStack } from '../../local/stack/startLocalStack';
import { launchBrowser, openPage } from '../support/browser';
import { eventually } from '../support/hubFixture';
import { demoRolloutSpec, localStack } from '../support/localStackFixture';

/**
 * Every view of the dashboard, checked by axe-core (the WCAG 2.1 A and AA rules it can decide:
 * contrast, names and labels, landmarks, headings, table headers, ARIA use) at desktop and phone
 * widths, on real data: a finished rollout with failed devices.
 */
let stack: RunningLocalStack;
let browser: Browser;
let rollout: RolloutView;
let failedDevice: string;

beforeAll(async () => {
  [stack, browser] = await Promise.all([localStack(10, { failApply: 0.3, seed: 'a11y' }), launchBrowser()]);
  const response = await fetch(`${stack.apiUrl}/rollouts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(demoRolloutSpec(stack, { failureThreshold: { percent: 100, minDevices: 1, action: 'pause' } })),
  });
  const { id } = (await response.json()) as { id: string };
  rollout = await eventually(async () => {
    const view = (await (await fetch(`${stack.apiUrl}/rollouts/${id}`)).json()) as RolloutView;
    if (view.state !== 'completedWithFailures') throw new Error(`rollout ${id} is ${view.state}`);
    return view;
  }, 30_000);
  const failed = (await (await fetch(`${stack.apiUrl}/rollouts/${id}/devices?state=failed`)).json()) as { items: { deviceId: string }[] };
  failedDevice = failed.items[0].deviceId;
}, 120_000);

afterAll(async () => {
  await Promise.all([browser?.close(), stack?.close()]);
});

const VIEWS: [string, () => string, (page: Page) => Promise<unknown>][] = [
  ['rollouts list', () => '#/', (page) => page.getByRole('link', { name: rollout.id }).waitFor()],
  ['rollout', () => `#/rollouts/${rollout.id}`, (page) => page.getByRole('heading', { name: 'Waves' }).waitFor()],
  ['device', () => `#/rollouts/${rollout.id}/devices/${failedDevice}`, (page) => page.getByRole('heading', { name: 'Timeline' }).waitFor()],
  ['start form', () => '#/new', (page) => page.getByRole('button', { name: 'Start the rollout' }).waitFor()],
  [
    "start form showing the API's problems",
    () => '#/new',
    async (page) => {
      await page.getByLabel('SHA-256').fill('abc');
      await page.getByRole('button', { name: 'Start the rollout' }).click();
      await page.getByLabel('SHA-256').and(page.locator('[aria-invalid="true"]')).waitFor();
    },
  ],
];

const SIZES = [
  { name: 'desktop', width: 1280, height: 800 },
  { name: 'phone', width: 390, height: 844 },
];

describe.each(SIZES)('at $name width', (size) => {
  test.each(VIEWS)('the %s view has no WCAG 2.1 A/AA violation axe can find', async (_name, hash, ready) => {
    const { context, page, errors } = await openPage(browser, size);
    try {
      await page.goto(`${stack.apiUrl}/dashboard${hash()}`);
      await ready(page);
      const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
      const violations = result.violations.map((v) => ({ rule: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(' ')) }));
      expect(violations).toEqual([]);
      // The rules ran on the real page, not on an empty one.
      expect(result.passes.length).toBeGreaterThan(10);
      // The one error the browser logs by itself: the API's 400 to the form's POST.
      expect(errors.filter((error) => !/status of 400/.test(error))).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
