// axe-core on every page at every width (hydrated: axe runs in the page's JavaScript): no
// serious or critical violation. A failure lists each rule, its impact, the width and the
// elements it found. Each page is loaded once and checked at each width in turn (the window
// resized: the layout is CSS only). Colour contrast does not change with the width: it is
// checked at 1280 px only.
import AxeBuilder from '@axe-core/playwright';
import { test, expect, type Page } from './fixtures';
import { ADMIN_PAGES, ENGINEER_PAGES, WIDTHS, ready, signInAsAdmin } from '../support';

async function seriousViolations(page: Page, path: string): Promise<string[]> {
  await page.goto(path);
  await ready(page);
  const found: string[] = [];
  for (const [width, height] of WIDTHS) {
    await page.setViewportSize({ width, height });
    // Legacy mode runs axe.run() in the page itself; the default runs it in parts and opens a
    // blank page to finish each run (the pages have no frames, for which that is needed). Only
    // violations are kept: the passes of a large table are thousands of nodes to serialise.
    const axe = new AxeBuilder({ page }).setLegacyMode().options({ resultTypes: ['violations'] });
    if (width !== 1280) axe.disableRules(['color-contrast']);
    const results = await axe.analyze();
    found.push(
      ...results.violations
        .filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map(
          (v) =>
            `${path} at ${width} px: ${v.id} (${v.impact}): ${v.help} — ${v.nodes
              .slice(0, 3)
              .map((n) => n.target.join(' '))
              .join('; ')}`,
        ),
    );
  }
  return found;
}

for (const path of ENGINEER_PAGES) {
  test(`${path} passes axe-core at every width`, async ({ page }) => {
    expect(await seriousViolations(page, path)).toEqual([]);
  });
}

test.describe('as an admin', () => {
  test.use({ storageState: { cookies: [], origins: [] } });

  test('the admin pages and the login page pass axe-core', async ({ page }) => {
    test.setTimeout(60_000);
    const found: string[] = [];
    found.push(...(await seriousViolations(page, '/login')));
    await signInAsAdmin(page);
    for (const path of ADMIN_PAGES) found.push(...(await seriousViolations(page, path)));
    expect(found).toEqual([]);
  });
});
