// Creating a variable with a first path, adding another path, removing one (hydrated only).
import { test, expect } from './fixtures';
import { ready, uniqueName } from '../support';

test('create a variable, add a CAN path, remove the Modbus path', async ({ page }) => {
  // A name of its own, so the spec runs again (or after any other) against the same database.
  const name = uniqueName('e2e_grid_frequency');
  await page.goto('/registry/new');
  await ready(page);
  const form = page.getByRole('form', { name: 'New variable' });
  await form.getByLabel('Name', { exact: true }).fill('Grid-Frequency');
  await expect(form.locator('.field-error').first()).toContainText('must start with a lowercase letter');
  await expect(form.getByRole('button', { name: 'Create variable' })).toBeDisabled();
  await form.getByLabel('Name', { exact: true }).fill(name);
  await form.getByLabel('Units').fill('Hz');
  await form.getByLabel('Reference (JSON)').fill('{"device": "meter", "unit_id": 3, "table": "input", "address": 30, "count": 200, "data_type": "u16"}');
  await expect(form.locator('.field-error', { hasText: 'count' }).first()).toBeVisible();
  await form.getByLabel('Reference (JSON)').fill('{"device": "meter", "unit_id": 3, "table": "input", "address": 30, "count": 2, "data_type": "f32"}');
  await form.getByRole('button', { name: 'Create variable' }).click();

  await expect(page).toHaveURL(new RegExp(`/registry/${name}$`));
  await expect(page.getByRole('heading', { level: 1, name: /^E2e Grid Frequency/ })).toBeVisible();
  await expect(page.getByRole('cell', { name: 'Modbus' })).toBeVisible();

  await page.getByText('Add access path').click();
  const add = page.getByRole('form', { name: 'Add access path' });
  await add.getByLabel('Access type').selectOption('can');
  await add.getByRole('button', { name: 'Add path' }).click();
  await expect(page.getByRole('cell', { name: 'CAN' })).toBeVisible();
  await expect(page.locator('.badges')).toContainText('v2');

  const modbusRow = page.locator('table.data-table tbody tr', { has: page.getByRole('cell', { name: 'Modbus' }) });
  await modbusRow.getByRole('button', { name: 'Remove…' }).click();
  await expect(modbusRow).toContainText('active → inactive');
  await modbusRow.getByRole('button', { name: 'Confirm' }).click();
  await expect(modbusRow.locator('.badge')).toHaveText('inactive');
  await expect(page.locator('.timeline')).toContainText('path removed');
  await page.screenshot({ path: 'end2end/screenshots/variable-created.png', fullPage: true });
});
