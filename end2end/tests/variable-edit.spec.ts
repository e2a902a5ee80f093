// Editing a variable's metadata: validation as you type, diff preview, save, and a conflict when
// someone else saved first. Needs JavaScript (the hydrated project only). Each test edits a
// variable of its own, so no other spec's data (or order) matters.
import { test, expect, type APIRequestContext } from './fixtures';
import { ready, uniqueName } from '../support';

/// Creates a variable named after `prefix` (at version 1); its name.
async function createVariable(request: APIRequestContext, prefix: string, units: string) {
  const name = uniqueName(prefix);
  const created = await request.post('/api/v1/variables', {
    data: { name, units, description: 'Made by an e2e spec', category: 'oper', locator: 'system.global' },
  });
  expect(created.status()).toBe(201);
  return name;
}

test('invalid input shows its error and blocks Save; a valid edit saves and logs the change', async ({ page, request }) => {
  const name = await createVariable(request, 'e2e_ambient_temp', '°C');
  await page.goto(`/registry/${name}`);
  await ready(page);
  await page.getByText('Edit metadata').click();
  const form = page.getByRole('form', { name: 'Edit metadata' });
  const locator = form.getByLabel('Locator');
  await locator.fill('Not A Locator');
  await expect(form.locator('.field-error').filter({ hasText: 'lowercase identifier' })).toBeVisible();
  await expect(form.getByRole('button', { name: 'Save' })).toBeDisabled();

  await locator.fill('sbmu.ambient');
  await form.getByLabel('Units').fill('degC');
  await expect(form.getByRole('button', { name: 'Save' })).toBeEnabled();
  await expect(form.locator('.diff li')).toHaveCount(2);
  await expect(form.locator('.diff')).toContainText('locator');
  await page.screenshot({ path: 'end2end/screenshots/variable-edit.png', fullPage: true });
  await form.getByRole('button', { name: 'Save' }).click();

  await expect(page.locator('.fields')).toContainText('degC');
  await expect(page.locator('.badges')).toContainText('v2');
  await expect(page.locator('.timeline')).toContainText('units: °C → degC');
  await expect(page.locator('.timeline')).toContainText('locator: system.global → sbmu.ambient');
});

test('a save over someone else\'s change shows the conflict and can overwrite', async ({ page, request }) => {
  const name = await createVariable(request, 'e2e_humidity', '%');
  await page.goto(`/registry/${name}`);
  await ready(page);
  await page.getByText('Edit metadata').click();
  const form = page.getByRole('form', { name: 'Edit metadata' });
  await form.getByLabel('Units').fill('% RH');

  // Someone else saves first, through the API.
  const current = await request.get(`/api/v1/variables/${name}`);
  const etag = current.headers()['etag'];
  const other = await request.patch(`/api/v1/variables/${name}`, {
    headers: { 'If-Match': etag },
    data: { description: 'Changed by Bob' },
  });
  expect(other.status()).toBe(200);

  await form.getByRole('button', { name: 'Save' }).click();
  const conflict = page.getByRole('alert').filter({ hasText: 'Someone else saved' });
  await expect(conflict).toBeVisible();
  await expect(conflict).toContainText('description');
  await expect(conflict).toContainText('by e2e-script');
  await page.screenshot({ path: 'end2end/screenshots/variable-conflict.png', fullPage: true });

  await conflict.getByRole('button', { name: 'Overwrite with mine' }).click();
  await expect(page.locator('.fields')).toContainText('% RH');
  const after = await (await request.get(`/api/v1/variables/${name}`)).json();
  expect(after.units).toBe('% RH');
  expect(after.variable_version).toBe(3);
});
