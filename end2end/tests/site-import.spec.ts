// The Site import page (hydrated: the file is read in the browser). A broken config.yaml lists
// every problem at its line and column and writes nothing; a sound one previews the rows it
// creates, applies in one step, and the new system's tree and export read back.
import { test, expect } from './fixtures';
import { hydrated, ready, uniqueName } from '../support';

test('without JavaScript the page reads and says where else a file imports', async ({ page }) => {
  test.skip(hydrated(), 'the JavaScript-off view of the page');
  const response = await page.goto('/site/import?system=system');
  expect(response?.status()).toBe(200);
  await ready(page);
  await expect(page.getByRole('heading', { level: 1, name: 'Import and export config.yaml' })).toBeVisible();
  await expect(page.getByTestId('import-needs-js')).toContainText('powerdeck site import FILE');
  await expect(page.getByRole('link', { name: 'Export system' })).toHaveAttribute('href', '/api/v1/site/systems/system/export');
});

test.describe('hydrated', () => {
  test.skip(() => !hydrated(), 'the file is read in the browser, which needs JavaScript');

  /// A small system of its own: one inverter array with one inverter, a battery array with one pack.
  function siteFile(id: string): string {
    return [
      'home:',
      `  id: ${id}`,
      '  name: "Imported in the browser"',
      '  timezone: Europe/Berlin',
      'arrays:',
      `  - id: ${id}_array`,
      '    name: "Roof"',
      '    inverter_ids:',
      `      - ${id}_inverter`,
      'inverters:',
      `  - id: ${id}_inverter`,
      '    name: "Roof inverter"',
      `    array_id: ${id}_array`,
      'battery_bank_arrays:',
      `  - id: ${id}_battery_array`,
      '    name: "Cellar"',
      '    battery_bank_ids:',
      `      - ${id}_pack`,
      'battery_banks:',
      `  - id: ${id}_pack`,
      '    name: "Rack"',
      `    battery_array_id: ${id}_battery_array`,
      '    batteries: 2',
      '    cells_per_battery: 4',
      '',
    ].join('\n');
  }

  test('a broken file lists every problem at its line and column and writes nothing', async ({ page, request }) => {
    await page.goto('/site/import');
    await ready(page);
    const id = uniqueName('broken');
    // Two problems: an inverter the array lists but nothing defines, and an unknown key.
    const text = siteFile(id).replace(`      - ${id}_inverter\n`, `      - ${id}_inverter\n      - ${id}_ghost\n`)
      .replace('    name: "Roof inverter"', '    name: "Roof inverter"\n    colour: blue');
    await page.getByLabel('config.yaml', { exact: true }).setInputFiles({ name: 'broken.yaml', mimeType: 'text/yaml', buffer: Buffer.from(text) });
    await page.getByRole('button', { name: 'Preview' }).click();
    await expect(page.getByRole('alert')).toContainText('broken.yaml has 2 problems; nothing was written.');
    const problems = page.getByTestId('site-file-problems');
    await expect(problems.getByRole('row')).toHaveCount(3);
    await expect(problems).toContainText(`${id}_ghost`);
    await expect(problems).toContainText('colour');
    // Line 10 holds the ghost; every row has a line and a column.
    await expect(problems.getByRole('row').nth(1).getByRole('cell').first()).toHaveText(/^\d+$/);
    await expect(page.getByRole('button', { name: 'Apply' })).toBeDisabled();
    // Nothing of the file was written: its system (which every other row belongs to) is not
    // there. (Its own rows, not the global system version, which other specs may move meanwhile.)
    expect((await request.get(`/api/v1/site/systems/${id}`)).status()).toBe(404);
  });

  test('a sound file previews its rows, applies, and the new system reads back and exports', async ({ page, request }) => {
    const id = uniqueName('imported');
    await page.goto('/site/import');
    await ready(page);
    await page.getByLabel('config.yaml', { exact: true }).setInputFiles({ name: 'config.yaml', mimeType: 'text/yaml', buffer: Buffer.from(siteFile(id)) });
    await page.getByRole('button', { name: 'Preview' }).click();
    const plan = page.getByTestId('site-plan');
    await expect(plan).toBeVisible();
    await expect(page.getByRole('status')).toContainText('Nothing is written until you apply');
    await expect(plan.getByRole('row', { name: new RegExp(`${id}_inverter\\b`) })).toContainText('create');
    // Nothing exists until Apply.
    expect((await request.get(`/api/v1/site/systems/${id}`)).status()).toBe(404);

    await page.getByRole('button', { name: 'Apply' }).click();
    await expect(page.getByRole('status')).toContainText('Imported.');
    await expect(page.getByRole('button', { name: 'Apply' })).toBeDisabled();
    const tree = await (await request.get(`/api/v1/site/systems/${id}`)).json();
    expect(tree.inverter_arrays[0].inverters[0].id).toBe(`${id}_inverter`);
    expect(tree.battery_arrays[0].packs[0].cell_count).toBe(8);

    // The same file again: nothing to change.
    await page.getByLabel('config.yaml', { exact: true }).setInputFiles({ name: 'again.yaml', mimeType: 'text/yaml', buffer: Buffer.from(siteFile(id)) });
    await page.getByRole('button', { name: 'Preview' }).click();
    await expect(page.getByRole('status')).toContainText('Nothing to change.');
    await expect(page.getByRole('button', { name: 'Apply' })).toBeDisabled();

    const exported = await request.get(`/api/v1/site/systems/${id}/export`);
    expect(exported.status()).toBe(200);
    expect(await exported.text()).toContain(`id: ${id}_pack`);
    await page.screenshot({ path: 'end2end/screenshots/site-import.png', fullPage: true });
  });
});
