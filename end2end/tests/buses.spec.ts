// The Buses page in demo mode: the simulator's bus with its health, the planned reads, and the
// paths that cannot be polled. Runs hydrated and with JavaScript off.
import { test, expect } from './fixtures';
import { ready } from '../support';

test('the buses page shows the simulator bus, its planned reads and what is not polled', async ({ page }) => {
  await page.goto('/');
  await ready(page);
  await page.getByRole('navigation').getByRole('link', { name: 'Buses' }).click();
  await expect(page).toHaveURL(/\/buses$/);
  await ready(page);
  await expect(page.getByRole('heading', { level: 1, name: 'Buses' })).toBeVisible();

  const bus = page.getByRole('table', { name: 'Buses' }).getByRole('row').filter({ hasText: 'simulator' });
  await expect(bus).toContainText('Modbus TCP 127.0.0.1:');
  await expect(bus).toContainText('connected');

  const reads = page.getByRole('table', { name: 'Planned reads' }).locator('tbody tr');
  await expect(reads.first()).toBeVisible();
  expect(await reads.count()).toBeGreaterThan(3);
  // The verdict comes first, in words.
  await expect(page.getByTestId('bus-verdict')).toContainText(/All \d+ buses healthy|The bus is healthy|problem/);
  await expect(page.getByRole('heading', { name: /Not polled \(\d+\)/ })).toBeVisible();
  // Paths not polled are grouped by their reason, with a count and whether that is expected.
  const group = page.locator('.unmapped-group').first();
  await expect(group).toContainText(/\d+ paths? /);
  await expect(group).toContainText(/expected: no data source configured|fault: cannot be read as asked/);
  await page.screenshot({ path: `end2end/screenshots/buses-${test.info().project.name}.png`, fullPage: false });
});
