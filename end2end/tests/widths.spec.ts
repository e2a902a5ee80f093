// No page runs off the side of the window, from a 390 px phone to a 1440 px desktop: the
// document is never wider than the viewport (tables scroll inside their own frames). Hydrated
// and without JavaScript. Pages checked: the ones below; the others are listed in the README as
// not checked yet.
import { test, expect } from './fixtures';
import { ready } from '../support';

const PAGES = ['/', '/registry', '/protections', '/alarms', '/buses', '/site', '/account'];

for (const [width, height] of [
  [390, 844],
  [1280, 800],
  [1440, 900],
]) {
  test(`no page is wider than a ${width} px window`, async ({ page }) => {
    await page.setViewportSize({ width, height });
    for (const path of PAGES) {
      await page.goto(path);
      await ready(page);
      const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
      expect(scrollWidth, `${path} at ${width} px`).toBeLessThanOrEqual(width);
    }
  });
}
