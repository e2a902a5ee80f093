// Hydrated only: read a configuration variable from the simulated device, review the write
// (old value → new value), write it, and see the read-back. The spec puts the value it found
// back on the device afterwards, so no other spec sees its write.
import { test, expect, type APIRequestContext, type Page } from './fixtures';
import { ready } from '../support';

const limit = '/api/v1/variables/inverter_power_limit/value';

test('a configuration value is read, reviewed, written and read back', async ({ page, request }) => {
  const found = (await (await request.get(limit)).json()).values as number[];
  expect(found).toHaveLength(1);
  try {
    await writeAndReadBack(page, request);
  } finally {
    const restored = await request.put(limit, { data: { value: found[0] } });
    expect(restored.status()).toBe(200);
  }
});

async function writeAndReadBack(page: Page, request: APIRequestContext) {
  await page.goto('/registry/inverter_power_limit');
  await ready(page);
  const device = page.getByRole('region', { name: 'Device' });

  await device.getByRole('button', { name: 'Read now' }).click();
  await expect(device.getByTestId('device-value')).toHaveText(/^\d+ %$/);

  const input = device.getByLabel('New value');
  await input.fill('abc');
  await expect(device.getByRole('alert')).toContainText('not a number');
  await expect(device.getByRole('button', { name: 'Review write' })).toBeDisabled();

  await input.fill('85');
  await device.getByRole('button', { name: 'Review write' }).click();
  const confirm = device.getByRole('group', { name: 'Confirm the write' });
  await expect(confirm.getByTestId('old-value')).toHaveText(/^\d+ %$/);
  await expect(confirm.getByTestId('new-value')).toHaveText('85 %');
  await page.screenshot({ path: 'end2end/screenshots/device-write.png', fullPage: false });
  await confirm.getByRole('button', { name: 'Write to device' }).click();
  await expect(device.getByRole('status')).toHaveText('Wrote 85 %; the device now holds 85 % (confirmed).');

  const value = await (await request.get(limit)).json();
  expect(value.values).toEqual([85]);
}

test('a measurement offers reading but no writing', async ({ page }) => {
  await page.goto('/registry/inverter_pv_power');
  await ready(page);
  const device = page.getByRole('region', { name: 'Device' });
  await expect(device.getByRole('button', { name: 'Read now' })).toBeVisible();
  await expect(device.getByLabel('New value')).toHaveCount(0);
});
