// The Registry screens: listing, filters in the URL, search, locator facets, detail page.
// Runs hydrated and with JavaScript off (the server imports examples/ in demo mode).
import { test, expect, type Page } from './fixtures';
import { ready } from '../support';

const rows = (page: Page) => page.locator('table.data-table tbody tr');

test('the registry lists variables with units, categories and versions', async ({ page }) => {
  await page.goto('/registry');
  await ready(page);
  await expect(page.getByRole('heading', { level: 1, name: 'Variable registry' })).toBeVisible();
  await expect(page.getByText(/^1–50 of \d+ variables/)).toBeVisible();
  await expect(rows(page)).toHaveCount(50);
  await expect(page.getByRole('columnheader', { name: 'Value' })).toBeVisible();
  await page.screenshot({ path: `end2end/screenshots/registry-${test.info().project.name}.png`, fullPage: false });

  await page.getByRole('link', { name: /Next/ }).click();
  await expect(page).toHaveURL(/page=2/);
  await expect(page.getByText(/^51–\d+ of \d+ variables/)).toBeVisible();
});

test('category chips filter and live in the URL; back restores the view', async ({ page }) => {
  await page.goto('/registry');
  await ready(page);
  await page.getByRole('navigation', { name: 'Categories' }).getByRole('link', { name: /Protection/ }).click();
  await expect(page).toHaveURL(/category=prot/);
  // Hydrated, the old rows stay on screen until the new page arrives: wait for the filter.
  const badges = page.locator('table.data-table tbody .badge');
  await expect(badges.filter({ hasNotText: /^prot$/ })).toHaveCount(0);
  await expect(badges.first()).toHaveText('prot');

  await page.goBack();
  await expect(page).not.toHaveURL(/category=/);
  await expect(rows(page)).toHaveCount(50);
});

test('search narrows the list and is shareable', async ({ page }) => {
  await page.goto('/registry');
  await ready(page);
  await page.getByRole('searchbox', { name: 'Search' }).fill('cell_voltage_max');
  await page.getByRole('searchbox', { name: 'Search' }).press('Enter');
  await expect(page).toHaveURL(/q=cell_voltage_max/);
  await expect(page.getByRole('link', { name: 'cell_voltage_max_warn', exact: true })).toBeVisible();
  await expect(page.getByRole('link', { name: 'rack_voltage', exact: true })).toHaveCount(0);

  // The same URL opened afresh shows the same result.
  const url = page.url();
  await page.goto(url);
  await expect(page.getByRole('searchbox', { name: 'Search' })).toHaveValue('cell_voltage_max');
  await expect(page.getByRole('link', { name: 'cell_voltage_max_warn', exact: true })).toBeVisible();
  // The category chips count what the search keeps.
  const rows = await page.locator('.data-table tbody tr').count();
  await expect(page.getByRole('navigation', { name: 'Categories' }).getByRole('link').first()).toHaveText(`All ${rows}`);
});

test('a variable that is not polled says so, and why, in its value cell', async ({ page }) => {
  await page.goto('/registry?q=rack_voltage');
  await ready(page);
  const row = page.locator('.data-table tbody tr').filter({ has: page.getByRole('link', { name: 'rack_voltage', exact: true }) });
  await expect(row.locator('.not-polled')).toContainText('not polled: memory table "oper:rack:sm16" has no data source');
});

test('locator facets and wildcards filter by locator', async ({ page }) => {
  await page.goto('/registry?locator=rbms.rack%5B*%5D');
  await ready(page);
  const locators = await page.locator('table.data-table tbody td.mono.muted').allTextContents();
  expect(locators.length).toBeGreaterThan(0);
  for (const locator of locators) expect(locator).toMatch(/^rbms\.rack\[[^\]]+\]$/);

  await page.goto('/registry');
  await ready(page);
  const facet = page.getByRole('complementary', { name: 'Locators' }).getByRole('link').first();
  const value = (await facet.locator('.facet-value').textContent())!;
  await facet.click();
  await expect(page).toHaveURL(/locator=/);
  // Hydrated, the URL changes first and the rows follow when the filtered list arrives: read
  // them until they are only the chosen locator's.
  const rows = page.locator('table.data-table tbody td.mono.muted');
  await expect.poll(async () => new Set(await rows.allTextContents())).toEqual(new Set([value]));
});

test('the detail page spells out paths and shows the history', async ({ page }) => {
  await page.goto('/registry?q=max_cell_voltage');
  await ready(page);
  await page.getByRole('link', { name: 'max_cell_voltage', exact: true }).click();
  await expect(page).toHaveURL(/\/registry\/max_cell_voltage$/);
  await expect(page.getByRole('heading', { level: 2, name: 'Access paths' })).toBeVisible();
  await expect(page.getByText(/^oper:rack:sm16 @ \d+, 2 B × 1$/)).toBeVisible();
  await expect(page.getByText(/^oper:sbmu:input @ \d+, 2 B × 1$/)).toBeVisible();
  await expect(page.locator('.timeline-item').first()).toBeVisible();
  await expect(page.locator('.timeline .badge', { hasText: 'created' })).toHaveCount(1);
  await page.screenshot({ path: `end2end/screenshots/variable-${test.info().project.name}.png`, fullPage: true });

  await page.getByRole('navigation', { name: 'Breadcrumb' }).getByRole('link', { name: 'Registry' }).click();
  await expect(page).toHaveURL(/\/registry$/);
});

test('an unknown variable answers 404 with a readable message', async ({ page }) => {
  const response = await page.goto('/registry/no_such_variable');
  expect(response?.status()).toBe(404);
  await expect(page.getByRole('alert')).toContainText('not found');
});
