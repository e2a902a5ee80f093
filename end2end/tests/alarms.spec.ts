// The Alarms page and the header's indicator that leads to it, hydrated and without JavaScript:
// the indicator is on every page, rendered by the server; the page lists the raised levels and
// the journal. (Raising an alarm and watching the indicator follow it: protections.spec.ts.)
import { test, expect } from './fixtures';

test('the header shows the alarms on every page and opens the Alarms page', async ({ page }) => {
  for (const path of ['/', '/registry', '/site', '/buses']) {
    await page.goto(path);
    await expect(page.getByTestId('alarm-indicator')).toBeVisible();
    await expect(page.getByTestId('alarm-indicator')).toHaveText(/No alarms|\d+ (warning|alert|fault)/);
  }
  await page.getByTestId('alarm-indicator').click();
  await expect(page).toHaveURL(/\/alarms$/);
  await expect(page.getByRole('heading', { name: 'Alarms', level: 1 })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Raised now' })).toBeVisible();
  await expect(page.getByTestId('alarm-summary')).toBeVisible();
  await expect(page.locator('.journal summary')).toContainText('Journal');
  await expect(page.getByRole('link', { name: 'Alarms', exact: true })).toHaveAttribute('aria-current', 'page');
});
