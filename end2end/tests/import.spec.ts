// The Import page: preview the dry-run diff, apply, see the result; export downloads.
import { test, expect } from '@playwright/test';
import { readFileSync } from 'node:fs';

test('preview shows the diff, apply imports it, the registry shows the result', async ({ page }) => {
  const tables = JSON.parse(readFileSync('examples/data_def.json', 'utf8'));
  // One new variable and one changed path compared with what demo mode imported.
  tables[0].items.push({ name: 'e2e_import_probe', offset: 4000, size: 2, num: 4 });
  const moved = tables[0].items.find((i: { name: string }) => !i.name.startsWith('_gap'));
  moved.offset += 1000;
  const metadata = readFileSync('examples/var_metadata.json');

  await page.goto('/registry/import');
  await expect(page.locator('.app[data-hydrated="true"]')).toBeVisible();
  await page.getByLabel('data_def.json (required)').setInputFiles({
    name: 'data_def.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(tables)),
  });
  await page.getByLabel('var_metadata.json (optional)').setInputFiles({
    name: 'var_metadata.json', mimeType: 'application/json', buffer: metadata,
  });
  await expect(page.getByRole('button', { name: 'Apply' })).toBeDisabled();
  await page.getByRole('button', { name: 'Preview' }).click();

  await expect(page.getByRole('heading', { name: 'Preview (nothing written yet)' })).toBeVisible();
  const count = (label: string) =>
    page.locator('dl.report-counts .fact').filter({ has: page.getByText(label, { exact: true }) }).locator('dd');
  await expect(count('New')).toHaveText('1');
  await expect(count('Changed')).toHaveText('1');
  await expect(page.getByRole('cell', { name: 'e2e_import_probe' })).toBeVisible();
  await expect(page.getByRole('cell', { name: moved.name, exact: true })).toBeVisible();
  await page.screenshot({ path: 'end2end/screenshots/import-preview.png', fullPage: true });

  // Nothing was written by the preview.
  expect((await page.request.get('/api/v1/variables/e2e_import_probe')).status()).toBe(404);

  await page.getByRole('button', { name: 'Apply' }).click();
  await expect(page.getByRole('status')).toContainText('Imported.');
  expect((await page.request.get('/api/v1/variables/e2e_import_probe')).status()).toBe(200);

  await page.getByRole('link', { name: 'Open the registry' }).click();
  await page.getByRole('searchbox', { name: 'Search' }).fill('e2e_import_probe');
  await page.getByRole('searchbox', { name: 'Search' }).press('Enter');
  await expect(page.getByRole('link', { name: 'e2e_import_probe', exact: true })).toBeVisible();
});

test('a broken file shows where it is broken and imports nothing', async ({ page }) => {
  await page.goto('/registry/import');
  await expect(page.locator('.app[data-hydrated="true"]')).toBeVisible();
  const before = await (await page.request.get('/api/v1/system/version')).json();
  await page.getByLabel('data_def.json (required)').setInputFiles({
    name: 'broken.json', mimeType: 'application/json',
    buffer: Buffer.from('[{"table": "oper:x:y", "items": [{"name": "ok_one", "offset": 0}, {"name": "bad", "offset": -2}]}]'),
  });
  await page.getByRole('button', { name: 'Preview' }).click();
  await expect(page.getByRole('alert')).toContainText('broken.json: $[0].items[1].offset: must not be negative');
  await expect(page.getByRole('button', { name: 'Apply' })).toBeDisabled();
  const after = await (await page.request.get('/api/v1/system/version')).json();
  expect(after.system_version).toBe(before.system_version);
});

test('export downloads both definition files', async ({ page, request }) => {
  const dataDef = await request.get('/api/v1/export/data_def.json');
  expect(dataDef.status()).toBe(200);
  expect(dataDef.headers()['content-disposition']).toContain('data_def.json');
  expect(Array.isArray(await dataDef.json())).toBe(true);
  const metadata = await (await request.get('/api/v1/export/var_metadata.json')).json();
  expect(Object.keys(metadata.variables).length).toBeGreaterThan(100);
});
