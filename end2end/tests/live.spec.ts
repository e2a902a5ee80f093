// Live values from the built-in simulator (demo mode): the registry shows each polled value with
// its quality, units and age; hydrated, the values keep moving without a reload.
import { test, expect, type Page } from './fixtures';
import { ready } from '../support';

const valueCell = (page: Page, name: string) =>
  page.getByRole('row').filter({ has: page.getByRole('link', { name, exact: true }) }).locator('.live');

test('polled variables show a value with quality, units and age', async ({ page }) => {
  await page.goto('/registry?q=inverter_');
  await ready(page);
  const load = valueCell(page, 'inverter_load_power');
  await expect(load).toBeVisible();
  await expect(load.getByRole('img', { name: 'good' })).toBeVisible();
  await expect(load.locator('.live-value')).toHaveText(/^\d+$/);
  await expect(load.locator('.live-units')).toHaveText('W');
  await expect(load.locator('.live-age')).toHaveText(/^\d+(\.\d)? s$/);
  await page.screenshot({ path: `end2end/screenshots/live-${test.info().project.name}.png`, fullPage: false });
});
