// A past version from the variable page's history: open it, see it beside today, restore it
// after a confirmation that shows what changes. Links and a form: hydrated and without
// JavaScript alike. The spec makes a variable of its own, so no other spec's data matters.
import { test, expect } from './fixtures';
import { ready, uniqueName } from '../support';

test('a past version opens diffed against today and restores as a new version', async ({ page, request }) => {
  const name = uniqueName('e2e_history');
  const created = await request.post('/api/v1/variables', {
    data: { name, units: 'V', description: 'As first made', category: 'oper', locator: 'system.global' },
  });
  expect(created.status()).toBe(201);
  const changed = await request.patch(`/api/v1/variables/${name}`, {
    headers: { 'If-Match': '1' },
    data: { units: 'mV', description: 'Changed by Bob' },
  });
  expect(changed.status()).toBe(200);

  await page.goto(`/registry/${name}`);
  await ready(page);
  await expect(page.locator('.badges')).toContainText('v2');
  await page.locator('.timeline').getByRole('link', { name: 'Open v1' }).click();

  const panel = page.locator('#past-version');
  await expect(panel.getByRole('heading', { name: 'Version 1' })).toBeVisible();
  const diff = panel.getByRole('table', { name: 'Version 1 against today' });
  await expect(diff.locator('tbody tr')).toHaveCount(2);
  const units = diff.locator('tbody tr').filter({ hasText: 'units' });
  await expect(units.locator('td').nth(0)).toHaveText('V');
  await expect(units.locator('td').nth(1)).toHaveText('mV');
  await expect(diff).toContainText('As first made');

  await panel.getByRole('link', { name: 'Restore version 1…' }).click();
  const confirm = page.getByRole('group', { name: 'Confirm the restore' });
  await expect(confirm).toContainText('Restoring makes version 3 with the values of version 1');
  await expect(confirm.locator('.diff li')).toHaveCount(2);
  await expect(confirm.locator('.diff li').filter({ hasText: 'units' })).toContainText('mV');
  await expect(confirm.locator('.diff li').filter({ hasText: 'units' }).locator('ins')).toHaveText('V');
  await page.screenshot({ path: 'end2end/screenshots/history-restore.png', fullPage: true });
  await confirm.getByRole('button', { name: 'Restore version 1' }).click();

  await expect(page.locator('.badges')).toContainText('v3');
  await expect(page.locator('.fields')).toContainText('As first made');
  await expect(page.locator('.timeline')).toContainText('restored version 1');
  await expect(page.locator('.timeline')).toContainText('units: mV → V');
  // The confirmation is gone: the variable moved on from the version it was asked against.
  await expect(page.getByRole('group', { name: 'Confirm the restore' })).toHaveCount(0);

  const now = await request.get(`/api/v1/variables/${name}`);
  const restored = await now.json();
  expect(restored.variable_version).toBe(3);
  expect(restored.units).toBe('V');
  expect(restored.description).toBe('As first made');
});

test('a polled variable shows its live value, quality and age in its Device panel', async ({ page }) => {
  // inverter_load_power is polled from the built-in simulator in demo mode (see live.spec.ts).
  await page.goto('/registry/inverter_load_power');
  await ready(page);
  const panel = page.locator('.device-panel');
  const live = panel.getByTestId('device-live');
  await expect(live).toBeVisible();
  await expect(panel).not.toContainText('Not read yet');
  await expect(live.getByRole('img', { name: 'good' })).toBeVisible();
  await expect(live.getByTestId('device-live-value')).toHaveText(/^\d+ W$/);
  await expect(live).toContainText(/live, good, \d+(\.\d)? s old, via /);
});
