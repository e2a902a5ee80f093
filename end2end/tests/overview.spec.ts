// The application shell and the Overview page, with and without JavaScript.
import { test, expect } from './fixtures';
import { hydrated, ready } from '../support';

test('the overview shows real facts about this installation', async ({ page }) => {
  const response = await page.goto('/');
  expect(response?.status()).toBe(200);
  await ready(page);
  await expect(page).toHaveTitle('Overview · Powerdeck');
  await expect(page.getByRole('heading', { level: 1, name: 'Overview' })).toBeVisible();

  const facts = page.locator('dl.facts');
  await expect(facts.getByText('Product version')).toBeVisible();
  await expect(facts.getByText('SQLite', { exact: true })).toBeVisible();
  await expect(facts.getByText(/powerdeck\.db$/)).toBeVisible();
  await expect(facts.getByText(/^m\d{8}_\d{6}_[a-z_]+$/)).toBeVisible();
  await expect(facts.getByText('current', { exact: true })).toBeVisible();
  // Demo mode imported the example registry: every change took a system version.
  await expect(page.getByTestId('system-version')).toHaveText(/^[1-9]\d*$/);
  await expect(facts.getByText('Server uptime')).toBeVisible();

  await page.screenshot({ path: `end2end/screenshots/overview-${test.info().project.name}.png`, fullPage: true });
});

test('navigation marks the current page and is reachable by keyboard', async ({ page }) => {
  await page.goto('/');
  await ready(page);
  const nav = page.getByRole('navigation', { name: 'Main' });
  await expect(nav.getByRole('link', { name: 'Overview' })).toHaveAttribute('aria-current', 'page');

  await page.keyboard.press('Tab');
  const skip = page.getByRole('link', { name: 'Skip to content' });
  await expect(skip).toBeFocused();
  await expect(skip).toBeVisible();
});

test('Refresh reads the facts again', async ({ page }) => {
  await page.goto('/');
  await ready(page);
  const readAt = page.locator('[data-server-time]');
  const before = await readAt.getAttribute('data-server-time');
  expect(before).toBeTruthy();

  if (hydrated()) {
    // Hydrated: the button calls the server function; the page is not reloaded.
    const call = page.waitForResponse(
      (r) => r.url().includes('/api/get_overview') && r.request().method() === 'POST',
    );
    await page.getByRole('button', { name: 'Refresh' }).click();
    expect((await call).status()).toBe(200);
  } else {
    // Without JavaScript the button submits the form, which loads the page again.
    await Promise.all([page.waitForURL(/\/\?$/), page.getByRole('button', { name: 'Refresh' }).click()]);
  }
  await expect(readAt).not.toHaveAttribute('data-server-time', before!);
});

test('unknown pages get a styled 404', async ({ page }) => {
  const response = await page.goto('/no/such/page');
  expect(response?.status()).toBe(404);
  await ready(page);
  await expect(page.getByRole('heading', { level: 1, name: 'Page not found' })).toBeVisible();
  await expect(page).toHaveTitle('Page not found · Powerdeck');
  await page.getByRole('link', { name: 'Go to the overview' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Overview' })).toBeVisible();
  await page.goto('/no/such/page');
  await page.screenshot({ path: `end2end/screenshots/not-found-${test.info().project.name}.png` });
});

test('unknown API paths answer JSON 404 and the probes answer', async ({ request }) => {
  const missing = await request.get('/api/v1/nothing-here');
  expect(missing.status()).toBe(404);
  expect(await missing.json()).toEqual({ error: 'not_found', message: 'no API route at GET /api/v1/nothing-here' });

  expect((await request.get('/healthz')).status()).toBe(200);
  const ready = await request.get('/readyz');
  expect(ready.status()).toBe(200);
  expect((await ready.json()).schema).toBe('current');
});

test('a tablet-width window keeps everything readable', async ({ page }) => {
  await page.setViewportSize({ width: 768, height: 1024 });
  await page.goto('/');
  await ready(page);
  await expect(page.getByRole('navigation', { name: 'Main' })).toBeVisible();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  await page.screenshot({ path: `end2end/screenshots/overview-tablet-${test.info().project.name}.png`, fullPage: true });
});

test('the overview shows the demo site at a glance: key values with their quality, devices, alarms and buses', async ({ page }) => {
  // The demo's system (other specs add systems of their own, which may sort first).
  await page.goto('/?system=system');
  await ready(page);
  await expect(page.getByRole('heading', { level: 2, name: 'Clifton Rooftop' })).toBeVisible();
  const keyValues = page.getByTestId('key-values');
  for (const label of ['PV power', 'Load', 'Grid', 'Battery', 'State of charge']) {
    await expect(keyValues.getByText(label, { exact: true })).toBeVisible();
  }
  // The simulator answers: PV power is a number in W or kW, read from every inverter (other
  // specs may add inverters to this system).
  const pv = keyValues.locator('[data-figure="PvPower"]');
  await expect(pv.locator('.fact-value')).toHaveText(/^-?\d+(\.\d+)? k?W good$/, { timeout: 15_000 });
  await expect(pv).toContainText(/(\d+) inverters \(\1 of \1 reporting\)/);
  await expect(keyValues.locator('[data-figure="GridPower"]')).toContainText('grid meter grid_meter_1');
  await expect(keyValues.locator('[data-figure="StateOfCharge"] .fact-value')).toHaveText(/^\d+(\.\d)? %/);
  await expect(page.getByTestId('device-health')).toBeVisible();
  await expect(page.getByTestId('glance-structure')).toContainText('Inverters');
  await expect(page.getByTestId('glance-alarms')).toBeVisible();
  await expect(page.getByTestId('glance-buses')).toContainText('simulator');
  await page.screenshot({ path: `end2end/screenshots/overview-site-${test.info().project.name}.png`, fullPage: true });
});
