// Both projects: the Protections page renders the active profile's limits from the server, so
// an operator can read them with JavaScript off.
import { test, expect } from '@playwright/test';
import { ready } from '../support';

test('the limits grid is rendered with the active profile', async ({ page }) => {
  await page.goto('/protections');
  await ready(page);
  await expect(page.getByRole('heading', { name: 'Protections', level: 1 })).toBeVisible();
  const socMax = page.getByRole('row').filter({ has: page.getByRole('rowheader', { name: /^soc/ }) }).first();
  await expect(socMax).toBeVisible();
  await expect(page.locator('[data-path="soc.max.warning.threshold"]')).toHaveValue('95');
  await expect(page.locator('[data-path="cell_voltage.max.fault.threshold"]')).toHaveValue('3650');
  await expect(page.getByRole('heading', { name: 'Alarms' })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Deployments' })).toBeVisible();
});
