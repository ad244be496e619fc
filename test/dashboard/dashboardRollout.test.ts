import type { Browser, Page } from 'playwright-core';
import type { DevicePage, RolloutPage, RolloutView } from '../../contracts/rolloutApi';
import type { RunningLocalStack } from '../../local/stack/startLocalStack';
import { launchBrowser, openPage, screenshot } from '../support/browser';
import { eventually } from '../support/hubFixture';
import { demoRolloutSpec, localStack } from '../support/localStackFixture';

/**
 * The dashboard against the whole local stack in a real browser: a rollout started from the form,
 * watched live, paused and resumed from the page, its failed devices filtered and opened; and the
 * form's handling of the API's validation problems.
 */
let stack: RunningLocalStack;
let browser: Browser;

beforeAll(async () => {
  // 30 devices, about a fifth fail to apply; slow installs keep the rollout running long enough to pause it.
  [stack, browser] = await Promise.all([localStack(30, { failApply: 0.2, seed: 'dash', installMs: 300 }), launchBrowser()]);
}, 120_000);

afterAll(async () => {
  await Promise.all([browser?.close(), stack?.close()]);
});

/** The rollout the form started (finished with failures), for the retry test. */
let formRolloutId: string | undefined;

const dashboard = (hash = '') => `${stack.apiUrl}/dashboard${hash}`;

async function api<T>(path: string): Promise<T> {
  const response = await fetch(`${stack.apiUrl}${path}`);
  expect(response.status).toBe(200);
  return (await response.json()) as T;
}

/** Fills the start form with the stack's image and demo fleet, and the given waves. */
async function fillStartForm(page: Page, firmware: { version: string; uri: string; sha256: string; size: string }, waves: string[]) {
  await page.getByLabel('Version', { exact: true }).fill(firmware.version);
  await page.getByLabel('Image URI').fill(firmware.uri);
  await page.getByLabel('SHA-256').fill(firmware.sha256);
  await page.getByLabel('Size (bytes)').fill(firmware.size);
  await page.getByLabel('Twin query condition').fill("tags.fleet = 'demo'");
  for (const [index, percent] of waves.entries()) {
    if (index > 0) await page.getByRole('button', { name: 'Add a wave' }).click();
    await page.getByLabel(`Wave ${index + 1} percent`, { exact: true }).fill(percent);
  }
}

function demoFirmware() {
  const { firmware } = demoRolloutSpec(stack);
  return { ...firmware, size: String(firmware.size) };
}

// First, so that its three devices are the only ones the form's rollout later finds already updated.
test('a manual approval gate names the waiting wave; Approve starts it, Cancel ends the rollout', async () => {
  const { context, page, errors } = await openPage(browser);
  try {
    const spec = demoRolloutSpec(stack, {
      target: { deviceIds: ['sim-28', 'sim-29', 'sim-30'] },
      waves: [
        { name: 'first', percent: 34 },
        { name: 'second', percent: 67 },
        { name: 'third', percent: 100 },
      ],
      approval: 'manual',
    });
    const response = await fetch(`${stack.apiUrl}/rollouts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(spec),
    });
    expect(response.status).toBe(202);
    const { id } = (await response.json()) as { id: string };
    const deviceListings: string[] = [];
    page.on('request', (request) => void (request.url().includes('/devices?') && deviceListings.push(request.url())));
    await page.goto(dashboard(`#/rollouts/${encodeURIComponent(id)}`));

    const approve = page.getByRole('button', { name: 'Approve', exact: true });
    await page.getByText('Wave 2 (second) is waiting for approval to start.').waitFor({ timeout: 20_000 });
    expect(await page.locator('.state-line').textContent()).toContain('awaiting approval');
    expect(await approve.isEnabled()).toBe(true);
    await approve.click();
    await page.getByRole('dialog', { name: 'Approve the next wave?' }).getByRole('button', { name: 'Approve' }).click();
    await page.getByRole('cell', { name: 'wave 1 approved' }).waitFor({ timeout: 10_000 });

    await page.getByText('Wave 3 (third) is waiting for approval to start.').waitFor({ timeout: 20_000 });
    await page.getByRole('button', { name: 'Cancel rollout' }).click();
    await page.getByRole('dialog', { name: 'Cancel this rollout?' }).getByRole('button', { name: 'Cancel rollout' }).click();
    await page.locator('.state-line', { hasText: 'canceled' }).waitFor({ timeout: 20_000 });
    const canceled = await api<RolloutView>(`/rollouts/${encodeURIComponent(id)}`);
    expect(canceled.state).toBe('canceled');
    expect(canceled.control.log.map((entry) => entry.operation)).toEqual(['approve', 'cancel']);
    expect(canceled.waves[2].canceled).toBe(1);
    expect(await page.getByRole('button', { name: 'Cancel rollout' }).isDisabled()).toBe(true);
    expect(await approve.isDisabled()).toBe(true);
    // No device failed: the failed-devices table said so from the totals and never listed the shards.
    await page.getByText('No devices match.').waitFor();
    expect(canceled.totals.failed).toBe(0);
    expect(deviceListings).toEqual([]);
    expect(errors).toEqual([]);
  } finally {
    await context.close();
  }
});

test('a rollout started from the form is watched live, paused and resumed from the page, and its failures inspected', async () => {
  const { context, page, errors } = await openPage(browser);
  try {
    const calls: (string | undefined)[] = [];
    page.on('request', (request) => {
      if (request.url().includes('/api/rollouts')) calls.push(request.headers()['x-functions-key']);
    });
    await page.goto(dashboard('?code=test-key#/new'));
    await page.getByRole('heading', { name: 'Start a rollout' }).waitFor();
    // The key left the address bar and goes with every API call.
    expect(page.url()).toBe(dashboard('#/new'));

    await fillStartForm(page, demoFirmware(), ['10', '50', '100']);
    await page.getByLabel('Max concurrency').fill('2');
    await page.getByLabel('Failure threshold (%)').fill('60');
    await screenshot(page, 'dashboard-new');
    await page.getByRole('button', { name: 'Start the rollout' }).click();

    // The rollout's view, filling without a reload: a marker on the window would not survive one.
    await page.waitForURL(/#\/rollouts\/[^/]+$/);
    const rolloutId = decodeURIComponent(page.url().split('#/rollouts/')[1]);
    await page.evaluate('window.loadedOnce = true');
    const waveCounts = page.locator('.wave-count');
    await eventually(async () => expect(await waveCounts.count()).toBe(3), 15_000, 100);
    const firstSeen = await waveCounts.allTextContents();
    await eventually(async () => expect(await waveCounts.allTextContents()).not.toEqual(firstSeen), 15_000, 100);
    // Pause once the second wave is under way, so the picture shows every kind of wave.
    const done = async () => Number(/^(\d+)\/30 done/.exec((await page.locator('.totals').textContent()) ?? '')?.[1]);
    await eventually(async () => expect(await done()).toBeGreaterThanOrEqual(6), 15_000, 100);
    expect(await page.evaluate('window.loadedOnce')).toBe(true);
    expect(errors).toEqual([]);

    // Keyboard: Tab from the top of the page reaches Pause; Enter opens its confirmation.
    const pause = page.getByRole('button', { name: 'Pause', exact: true });
    const resume = page.getByRole('button', { name: 'Resume', exact: true });
    await eventually(async () => expect(await pause.isEnabled()).toBe(true), 10_000, 100);
    const focused = () => page.evaluate<string | null>('document.activeElement?.textContent ?? null');
    for (let presses = 0; presses < 10 && (await focused()) !== 'Pause'; presses++) await page.keyboard.press('Tab');
    expect(await focused()).toBe('Pause');
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Pause this rollout?' });
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Pause' }).click();
    await dialog.waitFor({ state: 'hidden' });

    await page.locator('.state-line', { hasText: 'paused' }).waitFor({ timeout: 10_000 });
    await eventually(async () => expect(await resume.isEnabled()).toBe(true), 10_000, 100);
    expect(await pause.isDisabled()).toBe(true);
    const pauseReason = await pause.getAttribute('title');
    expect(pauseReason).toBeTruthy();
    expect(await page.locator('#why-pause').textContent()).toBe(pauseReason);
    const paused = await api<RolloutView>(`/rollouts/${encodeURIComponent(rolloutId)}`);
    expect(paused.state).toBe('paused');
    expect(paused.control.log.map((entry) => entry.operation)).toEqual(['pause']);
    await page.getByRole('cell', { name: 'paused by the operator' }).waitFor();
    // The failed devices table catches up on its own (it polls every 2 s).
    const rows = page.locator('table.devices tbody tr');
    const failedNow = async () => (await api<RolloutView>(`/rollouts/${encodeURIComponent(rolloutId)}`)).totals.failed;
    await eventually(async () => expect(await rows.count()).toBe(await failedNow()), 10_000, 200);
    await screenshot(page, 'dashboard-rollout');

    await resume.click();
    const resumeDialog = page.getByRole('dialog', { name: 'Resume this rollout?' });
    await resumeDialog.getByRole('button', { name: 'Resume' }).click();
    await page.locator('.state-line', { hasText: 'completed with failures' }).waitFor({ timeout: 30_000 });
    const finished = await api<RolloutView>(`/rollouts/${encodeURIComponent(rolloutId)}`);
    expect(finished.state).toBe('completedWithFailures');
    formRolloutId = rolloutId;
    expect(finished.totals.failed).toBeGreaterThan(0);
    expect(await page.locator('.totals').textContent()).toContain(`${finished.totals.failed} failed`);
    expect(errors).toEqual([]);

    // The failed devices, then only those of one error code (the one the first row shows).
    await eventually(async () => expect(await rows.count()).toBe(finished.totals.failed), 10_000, 100);
    const code = (await rows.first().locator('td').nth(3).textContent())!;
    const withCode = await api<DevicePage>(`/rollouts/${encodeURIComponent(rolloutId)}/devices?state=failed&errorCode=${code}`);
    // Any state: 25 rows a page, the rest on the next.
    const stateFilter = page.getByLabel('State', { exact: true }).last();
    const next = page.getByRole('button', { name: 'Next' }).last();
    const previous = page.getByRole('button', { name: 'Previous' }).last();
    await stateFilter.selectOption({ label: 'any state' });
    await eventually(async () => expect(await rows.count()).toBe(25), 10_000, 100);
    await next.click();
    await eventually(async () => expect(await rows.count()).toBe(finished.totals.targeted - 25), 10_000, 100);
    expect(await next.isDisabled()).toBe(true);
    await previous.click();
    await eventually(async () => expect(await rows.count()).toBe(25), 10_000, 100);

    // Typing is not undone by the table's polling (any state: every 2 s): the field keeps its text and the focus across reloads.
    const filter = page.getByLabel('Error code', { exact: true });
    await filter.pressSequentially(code.slice(0, 3));
    await page.waitForResponse((answer) => answer.url().includes('/devices?'));
    await page.waitForResponse((answer) => answer.url().includes('/devices?'));
    expect(await filter.inputValue()).toBe(code.slice(0, 3));
    expect(await page.evaluate('document.activeElement?.id')).toBe('device-error-filter');
    await filter.pressSequentially(code.slice(3));
    await filter.press('Enter');
    await stateFilter.selectOption({ label: 'failed' });
    await eventually(
      async () => {
        expect(await rows.locator('th a').allTextContents()).toEqual(withCode.items.map((item) => item.deviceId));
        expect(await rows.locator('td:nth-child(5)').allTextContents()).toEqual(withCode.items.map(() => code));
      },
      10_000,
      100,
    );
    await screenshot(page, 'dashboard-rollout-finished');

    // One failed device: its Gantt and its error.
    const deviceId = withCode.items[0].deviceId;
    await rows.getByRole('link', { name: deviceId, exact: true }).click();
    await page.getByRole('heading', { name: `Device ${deviceId}` }).waitFor();
    await page.locator('.device-error', { hasText: code }).waitFor();
    const stages = await page.locator('.gantt-label').allTextContents();
    expect(stages[0]).toBe('accept');
    expect(stages.at(-1)).toBe('failed');
    expect(stages).toContain('applying');
    for (const duration of (await page.locator('.gantt-duration').allTextContents()).slice(0, -1))
      expect(duration).toMatch(/\d (ms|s|min)$/);
    expect(await page.locator('.gantt-bar').count()).toBe(stages.length);
    await screenshot(page, 'dashboard-device');

    await page.getByRole('link', { name: 'Rollouts', exact: true }).click();
    await page.getByRole('link', { name: rolloutId }).waitFor();
    await screenshot(page, 'dashboard-list');
    const listed = page.locator('main tbody th a');
    await page.getByLabel('State').selectOption({ label: 'running' });
    await page.getByText('No running rollouts.').waitFor();
    await page.getByLabel('State').selectOption({ label: 'completed with failures' });
    await eventually(async () => expect(await listed.allTextContents()).toEqual([rolloutId]), 10_000, 100);
    expect(calls.length).toBeGreaterThan(10);
    expect(new Set(calls)).toEqual(new Set(['test-key']));
    expect(errors).toEqual([]);

    // A phone: no view scrolls the page sideways (wide tables scroll in their own box).
    const phone = await openPage(browser, { width: 390, height: 844 });
    try {
      for (const hash of [
        '#/',
        `#/rollouts/${encodeURIComponent(rolloutId)}`,
        `#/rollouts/${encodeURIComponent(rolloutId)}/devices/${deviceId}`,
        '#/new',
      ]) {
        await phone.page.goto(dashboard(hash));
        await phone.page.locator('main h1').waitFor();
        await phone.page.locator('main table, main form').first().waitFor();
        expect(await phone.page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
      }
      await phone.page.goto(dashboard(`#/rollouts/${encodeURIComponent(rolloutId)}`));
      await phone.page.locator('table.devices').waitFor();
      await screenshot(phone.page, 'dashboard-rollout-phone');
      expect(phone.errors).toEqual([]);
    } finally {
      await phone.context.close();
    }
  } finally {
    await context.close();
  }
}, 90_000);

test("a finished rollout's failed devices are retried from the page: attempt 2 runs them, each attempt listed with its outcome", async () => {
  expect(formRolloutId).toBeDefined();
  const rolloutId = formRolloutId!;
  const path = `/rollouts/${encodeURIComponent(rolloutId)}`;
  const before = await api<RolloutView>(path);
  expect([before.state, before.attempt, before.actions.retry]).toEqual(['completedWithFailures', 1, null]);
  const { context, page, errors } = await openPage(browser);
  try {
    await page.goto(dashboard(`#${path}`));
    const retry = page.getByRole('button', { name: 'Retry devices' });
    await eventually(async () => expect(await retry.isEnabled()).toBe(true), 10_000, 100);
    await retry.click();
    const dialog = page.getByRole('dialog', { name: 'Retry devices of this rollout?' });
    expect(await dialog.getByRole('checkbox', { name: /failed/ }).isChecked()).toBe(true);
    expect(await dialog.getByRole('checkbox', { name: /timed out/ }).isChecked()).toBe(true);
    expect(await dialog.getByRole('checkbox', { name: /canceled/ }).isChecked()).toBe(false);
    await dialog.getByRole('button', { name: 'Retry' }).click();
    await dialog.waitFor({ state: 'hidden' });

    await page.getByRole('heading', { name: 'Attempts' }).waitFor({ timeout: 15_000 });
    await page.locator('.state-line', { hasText: /completed/ }).waitFor({ timeout: 30_000 });
    const after = await eventually(
      async () => {
        const view = await api<RolloutView>(path);
        expect(view.attempts.map((attempt) => attempt.finishedAt === null)).toEqual([false, false]);
        return view;
      },
      30_000,
      200,
    );
    expect(after.attempt).toBe(2);
    expect(after.attempts[1].retried).toEqual({ states: ['failed', 'timedOut'], errorCodes: null });
    expect(after.attempts[1].totals.targeted).toBe(before.totals.failed + before.totals.timedOut);
    expect(after.totals.succeeded).toBe(before.totals.succeeded + after.attempts[1].totals.succeeded);
    const attemptRows = page.locator('section[aria-labelledby="attempts-heading"] tbody tr');
    await eventually(async () => expect(await attemptRows.count()).toBe(2), 10_000, 100);
    expect(await attemptRows.nth(1).textContent()).toContain(
      `${after.attempts[1].totals.targeted} devices: ${after.attempts[1].totals.succeeded} succeeded`,
    );
    expect(await page.locator('dt', { hasText: 'Attempt' }).locator('xpath=..').locator('dd').textContent()).toBe('2');
    await screenshot(page, 'dashboard-retried');
    expect(errors).toEqual([]);
  } finally {
    await context.close();
  }
}, 60_000);

test("the form shows the API's problems next to the fields they name, and nothing is created", async () => {
  const { context, page, errors } = await openPage(browser);
  try {
    const before = await api<RolloutPage>('/rollouts');
    await page.goto(dashboard('#/new'));
    await fillStartForm(page, { ...demoFirmware(), sha256: '0123456789' }, ['150', '100']);
    await page.getByLabel('Maintenance window days').fill('sat, sun');
    await page.getByLabel('Window from').fill('01:00');
    await page.getByLabel('Window to').fill('05:00');
    await page.getByLabel('Window time zone').fill('Mars/Olympus');
    await page.getByRole('button', { name: 'Start the rollout' }).click();

    const sha = page.getByLabel('SHA-256');
    await eventually(async () => expect(await sha.getAttribute('aria-invalid')).toBe('true'), 10_000, 100);
    // Exactly the three fields the API named are marked, each with its message; the first has focus.
    expect(await page.locator('[aria-invalid="true"]').evaluateAll((inputs) => inputs.map((input) => input.getAttribute('name')))).toEqual([
      'firmware.sha256',
      'waves[0].percent',
      'schedule.windows[0].timeZone',
    ]);
    expect(await page.locator('#field-schedule-windows-0-timeZone-problems').textContent()).toMatch(/Mars\/Olympus|time zone/);
    expect(await page.locator('#field-firmware-sha256-problems').textContent()).toBe('must be 64 hexadecimal digits');
    expect(await page.locator('#field-waves-0-percent-problems').textContent()).toMatch(/^must be a number from 0\.01 to 100/);
    expect(await page.evaluate('document.activeElement?.name')).toBe('firmware.sha256');
    await screenshot(page, 'dashboard-new-problems');

    const after = await api<RolloutPage>('/rollouts');
    expect(after.items.map((item) => item.id)).toEqual(before.items.map((item) => item.id));
    // Chromium logs every 4xx answer to fetch on the console; the rejected POST is the only entry.
    expect(errors).toEqual(['console: Failed to load resource: the server responded with a status of 400 (Bad Request)']);
  } finally {
    await context.close();
  }
});
