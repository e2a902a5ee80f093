// The Import page: preview the dry-run diff, apply, see the result; export downloads. What the
// spec imports are variables of its own, beside the unchanged example registry.
import { test, expect, type Page } from './fixtures';
import { ready, uniqueName } from '../support';
import { readFileSync } from 'node:fs';

/// Chooses the two files on the Import page and previews them.
async function preview(page: Page, tables: unknown) {
  await page.goto('/registry/import');
  await ready(page);
  await page.getByLabel('data_def.json (required)').setInputFiles({
    name: 'data_def.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(tables)),
  });
  await page.getByLabel('var_metadata.json (optional)').setInputFiles({
    name: 'var_metadata.json', mimeType: 'application/json', buffer: readFileSync('examples/var_metadata.json'),
  });
  await expect(page.getByRole('button', { name: 'Apply' })).toBeDisabled();
  await page.getByRole('button', { name: 'Preview' }).click();
  await expect(page.getByRole('heading', { name: 'Preview (nothing written yet)' })).toBeVisible();
}

async function apply(page: Page) {
  await page.getByRole('button', { name: 'Apply' }).click();
  await expect(page.getByRole('status')).toContainText('Imported.');
}

test('preview shows the diff, apply imports it, the registry shows the result', async ({ page }) => {
  // The example registry plus variables of this spec's own, so that the change it previews and
  // applies touches no variable another spec reads: first `moved` is imported, then the
  // preview moves it and adds `probe`.
  const examples = () => JSON.parse(readFileSync('examples/data_def.json', 'utf8'));
  const moved = uniqueName('e2e_import_moved');
  const probe = uniqueName('e2e_import_probe');
  const before = examples();
  before[0].items.push({ name: moved, offset: 4000, size: 2, num: 4 });
  await preview(page, before);
  await apply(page);

  const tables = examples();
  tables[0].items.push({ name: moved, offset: 4100, size: 2, num: 4 });
  tables[0].items.push({ name: probe, offset: 4200, size: 2, num: 4 });
  await preview(page, tables);
  const count = (label: string) =>
    page.locator('dl.report-counts .fact').filter({ has: page.getByText(label, { exact: true }) }).locator('dd');
  await expect(count('New')).toHaveText('1');
  await expect(count('Changed')).toHaveText('1');
  await expect(page.getByRole('cell', { name: probe })).toBeVisible();
  await expect(page.getByRole('cell', { name: moved, exact: true })).toBeVisible();
  await page.screenshot({ path: 'end2end/screenshots/import-preview.png', fullPage: true });

  // Nothing was written by the preview.
  expect((await page.request.get(`/api/v1/variables/${probe}`)).status()).toBe(404);

  await apply(page);
  expect((await page.request.get(`/api/v1/variables/${probe}`)).status()).toBe(200);

  await page.getByRole('link', { name: 'Open the registry' }).click();
  await page.getByRole('searchbox', { name: 'Search' }).fill(probe);
  await page.getByRole('searchbox', { name: 'Search' }).press('Enter');
  await expect(page.getByRole('link', { name: probe, exact: true })).toBeVisible();
});

test('a broken file shows where it is broken and imports nothing', async ({ page }) => {
  await page.goto('/registry/import');
  await ready(page);
  // The file's sound variable is checked afterwards: it must not have been written. (Its own name,
  // so that the check says nothing about what other specs write meanwhile.)
  const sound = uniqueName('ok_one');
  await page.getByLabel('data_def.json (required)').setInputFiles({
    name: 'broken.json', mimeType: 'application/json',
    buffer: Buffer.from(`[{"table": "oper:x:y", "items": [{"name": "${sound}", "offset": 0}, {"name": "bad", "offset": -2}]}]`),
  });
  await page.getByRole('button', { name: 'Preview' }).click();
  await expect(page.getByRole('alert')).toContainText('broken.json: $[0].items[1].offset: must not be negative');
  await expect(page.getByRole('button', { name: 'Apply' })).toBeDisabled();
  expect((await page.request.get(`/api/v1/variables/${sound}`)).status()).toBe(404);
});

test('export downloads both definition files', async ({ page, request }) => {
  const dataDef = await request.get('/api/v1/export/data_def.json');
  expect(dataDef.status()).toBe(200);
  expect(dataDef.headers()['content-disposition']).toContain('data_def.json');
  expect(Array.isArray(await dataDef.json())).toBe(true);
  const metadata = await (await request.get('/api/v1/export/var_metadata.json')).json();
  expect(Object.keys(metadata.variables).length).toBeGreaterThan(100);
});
