// "Overwrite with mine" after a conflict saves only the fields this tab changed: two tabs open the
// same variable, tab A saves new units, tab B changes only the description and overwrites; tab A's
// units must survive. Needs JavaScript: the no-js project ignores this file (playwright.config.ts).
import { test, expect, type Page } from './fixtures';
import { ready, uniqueName } from '../support';

async function openEditor(page: Page, name: string) {
  await page.goto(`/registry/${name}`);
  await ready(page);
  await page.getByText('Edit metadata').click();
  return page.getByRole('form', { name: 'Edit metadata' });
}

test('overwrite keeps the units another tab saved and saves my description', async ({ page, context, request }) => {
  // A variable of its own, so that no other spec's edits interfere.
  const name = uniqueName('e2e_overwrite_merge');
  const created = await request.post('/api/v1/variables', {
    data: {
      name,
      units: 'V',
      description: 'Loaded by both tabs',
      category: 'oper',
      locator: 'system.global',
    },
  });
  expect(created.status()).toBe(201);

  // Both tabs open the editor at version 1.
  const tabA = page;
  const tabB = await context.newPage();
  const formA = await openEditor(tabA, name);
  const formB = await openEditor(tabB, name);

  // Tab A changes the units and saves.
  await formA.getByLabel('Units').fill('mV');
  await formA.getByRole('button', { name: 'Save' }).click();
  await expect(tabA.locator('.fields')).toContainText('mV');
  await expect(tabA.locator('.badges')).toContainText('v2');

  // Tab B changes only the description and runs into the conflict.
  await formB.getByLabel('Description').fill('Changed in tab B');
  await expect(formB.locator('.diff li')).toHaveCount(1);
  await formB.getByRole('button', { name: 'Save' }).click();
  const conflict = tabB.getByRole('alert').filter({ hasText: 'Someone else saved' });
  await expect(conflict).toBeVisible();
  await expect(conflict).toContainText('units: V → mV');

  // Before saving, the overwrite shows what it changes on the current state: the description only.
  const preview = conflict.getByTestId('overwrite-preview');
  await expect(preview.locator('li')).toHaveCount(1);
  await expect(preview).toContainText('description: Loaded by both tabs → Changed in tab B');
  await expect(preview).not.toContainText('units');

  await conflict.getByRole('button', { name: 'Overwrite with mine' }).click();
  await expect(tabB.locator('.fields')).toContainText('Changed in tab B');
  await expect(tabB.locator('.fields')).toContainText('mV');
  await expect(tabB.locator('.badges')).toContainText('v3');

  const after = await (await request.get(`/api/v1/variables/${name}`)).json();
  expect(after.units).toBe('mV');
  expect(after.description).toBe('Changed in tab B');
  expect(after.variable_version).toBe(3);
  await expect(tabB.locator('.timeline')).toContainText('description: Loaded by both tabs → Changed in tab B');
  await expect(tabB.locator('.timeline')).not.toContainText('units: mV → V');
});
