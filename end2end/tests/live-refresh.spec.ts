// Hydrated only: live values on the registry page update in place, without a reload, carried by
// the server-sent-events stream /api/v1/live/stream.
import { test, expect } from './fixtures';
import { ready } from '../support';

test('live values update without reloading the page', async ({ page }) => {
  const stream = page.waitForRequest((request) => request.url().includes('/api/v1/live/stream?names='));
  let navigations = 0;
  page.on('framenavigated', (frame) => { if (frame === page.mainFrame()) navigations += 1; });
  await page.goto('/registry?q=inverter_load_power');
  await ready(page);
  expect((await stream).url()).toContain('inverter_load_power');
  const value = page
    .getByRole('row')
    .filter({ has: page.getByRole('link', { name: 'inverter_load_power', exact: true }) })
    .locator('.live').locator('.live-value');
  const first = await value.textContent();
  // The simulated load swings by hundreds of watts a minute; it moves within a few seconds.
  await expect(value).not.toHaveText(first ?? '', { timeout: 15_000 });
  expect(navigations).toBe(1);
});
