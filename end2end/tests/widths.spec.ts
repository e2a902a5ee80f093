// No page runs off the side of the window, from a 390 px phone to a 1440 px desktop: the
// document is never wider than the viewport (tables scroll inside their own frames). Hydrated
// and without JavaScript. Every page: the engineer's, then the admin's (Users, Audit). Each page
// is loaded once and the window resized through the widths: the layout is CSS only (media
// queries apply on resize as on load), and one load instead of three per page keeps the run short.
import { test, expect, type Page } from './fixtures';
import { ADMIN_PAGES, ENGINEER_PAGES, WIDTHS, ready, signInAsAdmin } from '../support';

async function expectFitsEveryWidth(page: Page, path: string) {
  await page.goto(path);
  await ready(page);
  for (const [width, height] of WIDTHS) {
    await page.setViewportSize({ width, height });
    const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
    expect(scrollWidth, `${path} at ${width} px`).toBeLessThanOrEqual(width);
  }
}

test('no page is wider than the window, from 390 to 1440 px', async ({ page }) => {
  for (const path of ENGINEER_PAGES) await expectFitsEveryWidth(page, path);
});

test.describe('as an admin', () => {
  test.use({ storageState: { cookies: [], origins: [] } });

  test('the admin pages fit every width', async ({ page }) => {
    await signInAsAdmin(page);
    for (const path of ADMIN_PAGES) await expectFitsEveryWidth(page, path);
  });
});

test('the registry keeps name, value and units in view at 1280 px', async ({ page }) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto('/registry?q=inverter_load_power');
  await ready(page);
  const row = page.getByRole('row').filter({ hasText: 'inverter_load_power' }).first();
  const frame = await page.locator('.table-wrap').first().boundingBox();
  for (const cell of [row.locator('td').nth(0), row.locator('td').nth(1)]) {
    const box = await cell.boundingBox();
    expect(box && frame && box.x + box.width <= frame.x + frame.width + 1, 'in view').toBe(true);
  }
  // The value cell carries the units.
  await expect(row.locator('td').nth(1)).toContainText('W');
});
