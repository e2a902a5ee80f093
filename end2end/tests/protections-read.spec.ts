// Both projects: the Protections page renders the active profile's limits from the server, so
// an operator can read them with JavaScript off.
import { test, expect } from './fixtures';
import { ready } from '../support';

test('the limits grid is rendered with the active profile', async ({ page }) => {
  await page.goto('/protections');
  await ready(page);
  await expect(page.getByRole('heading', { name: 'Protections', level: 1 })).toBeVisible();
  const socMax = page.getByRole('row').filter({ has: page.getByRole('rowheader', { name: /^soc/ }) }).first();
  await expect(socMax).toBeVisible();
  await expect(page.locator('[data-path="soc.max.warning.threshold"]')).toHaveValue('95');
  await expect(page.locator('[data-path="cell_voltage.max.fault.threshold"]')).toHaveValue('3650');
  // Limits are in engineering units, each row says its unit: 45 °C, not 450 tenths.
  await expect(page.locator('[data-path="cell_temp.max.warning.threshold"]')).toHaveValue('45');
  await expect(page.getByTestId('unit-cell_temp').first()).toContainText('°C');
  await expect(page.getByTestId('unit-pack_voltage').first()).toContainText('V');
  await expect(page.locator('[data-path="pack_voltage.max.warning.threshold"]')).toHaveValue('570');
  // The register each limit goes to holds tenths: 45 °C is 450 on the device.
  await expect(
    page.locator('[data-path="cell_temp.max.warning.threshold"]').locator('xpath=..').locator('.reg-hint'),
  ).toHaveText('reg 450');
  // The live measurement is in the page as served.
  await expect(page.getByTestId('now-soc-max').locator('.now-value')).toHaveText(/^\d+(\.\d+)?$/);
  await expect(page.getByRole('heading', { name: 'Alarms' })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Deployments' })).toBeVisible();
});
