// The Site page's State column: every inverter, pack and meter says how its polling goes
// (answering, failing, failover, not polled) and through which adapter, from the server's own
// site I/O. Both projects read the states (the server renders them); hydrated, the demo's pack1
// loses its TCP primary and the page, refreshing itself, says failover and why, then recovers.
import { test, expect, type Page } from './fixtures';
import { hydrated, ready } from '../support';

/// The row of the device whose name is `name` (exactly, at the start of the row).
const row = (page: Page, name: string) => page.getByRole('row', { name: new RegExp(`^${name} `) });

test('each device shows its live state and the adapter that serves it', async ({ page }) => {
  await page.goto('/site?system=system');
  await ready(page);
  const inverter = row(page, 'Ground Floor West');
  await expect(page.getByRole('columnheader', { name: 'State' }).first()).toBeVisible();
  // The first cycle may still be under way when the page is read: read it again until it answers.
  await expect(async () => {
    await page.reload();
    await ready(page);
    await expect(inverter.locator('.live-state')).toContainText('answering', { timeout: 1_000 });
  }).toPass({ timeout: 15_000 });
  await expect(inverter.locator('.live-state')).toContainText('via inverter1_adapter');
  await expect(inverter.locator('.live-state .badge')).toHaveClass(/badge-good/);
  await expect(row(page, 'Grid Connection').locator('.live-state')).toContainText('answering');
  await expect(row(page, 'Rack B').locator('.live-state')).toContainText('answering');
  await page.screenshot({ path: `end2end/screenshots/site-live-${test.info().project.name}.png`, fullPage: true });
});

test.describe('with JavaScript', () => {
  test.skip(() => !hydrated(), 'the page refreshes the states itself only when hydrated');

  test('a pack whose primary stops says failover and why, then serves from its primary again', async ({ page, request }) => {
    const primary = (running: boolean) =>
      request.post('/api/v1/demo/pack1-primary', { data: { running } });
    await page.goto('/site?system=system');
    await ready(page);
    const state = row(page, 'Rack A').locator('.live-state');
    await expect(state).toContainText('via pack1_tcp', { timeout: 15_000 });
    try {
      expect((await primary(false)).status()).toBe(200);
      // Two failed cycles switch it (1 s each), and the page reads the states every 2 s.
      await expect(state.locator('.badge')).toHaveText('failover', { timeout: 15_000 });
      await expect(state).toContainText('pack1_rtu');
      await expect(state.locator('.badge')).toHaveClass(/badge-warn/);
      await page.screenshot({ path: `end2end/screenshots/site-failover-${test.info().project.name}.png`, fullPage: true });
    } finally {
      expect((await primary(true)).status()).toBe(200);
    }
    // Back after the hold time (5 cycles of answers).
    await expect(state.locator('.badge')).toHaveText('answering', { timeout: 20_000 });
    await expect(state).toContainText('via pack1_tcp');
  });
});
