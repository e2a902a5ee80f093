// Hydrated only: the Protections editor validates as you type, saves, recalls the factory
// defaults, deploys to the simulated BMS (checked by reading the device back), and shows an
// alarm raised by a limit below the simulated value, then cleared after its off-delay.
// Each test edits a profile of its own, made from the factory defaults and active while it runs;
// afterwards the default profile is active again and the device holds the defaults.
import { test, expect, type Page } from './fixtures';
import { readFileSync } from 'node:fs';
import { ready, uniqueName } from '../support';

const defaults = JSON.parse(readFileSync('examples/protections_default.json', 'utf8')).protections;
let profile = '';

test.beforeEach(async ({ request }) => {
  profile = uniqueName('e2e_limits');
  const saved = await request.post('/api/v1/protections', { data: { profile, protections: defaults } });
  expect(saved.status()).toBe(200);
  expect((await request.post(`/api/v1/protections/profiles/${profile}/activate`)).status()).toBe(200);
});

test.afterEach(async ({ request }) => {
  expect((await request.post('/api/v1/protections/profiles/default/activate')).status()).toBe(200);
  const deployed = await request.post('/api/v1/protections/deploy', { data: { protections: defaults } });
  expect(deployed.status()).toBe(200);
  expect((await request.delete(`/api/v1/protections/profiles/${profile}`)).status()).toBeLessThan(300);
});

const field = (page: Page, path: string) => page.locator(`[data-path="${path}"]`);

async function open(page: Page) {
  await page.goto('/protections');
  await ready(page);
  await expect(field(page, 'soc.max.warning.threshold')).toBeVisible();
}

async function setField(page: Page, path: string, value: string) {
  const input = field(page, path);
  await input.fill(value);
  await expect(input).toHaveValue(value);
}

async function deployAndConfirm(page: Page) {
  const outcome = page.getByTestId('deploy-outcome').first();
  const before = (await outcome.count()) > 0 ? await outcome.textContent() : null;
  await page.getByRole('button', { name: 'Deploy…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Deploy to the device' });
  await expect(dialog.getByTestId('deploy-summary')).toBeVisible();
  await dialog.getByRole('button', { name: /^Deploy/ }).click();
  // A new deployment (its number differs from the one shown before) that succeeded.
  if (before !== null) await expect(outcome).not.toHaveText(before ?? '', { timeout: 15_000 });
  await expect(outcome).toContainText('succeeded', { timeout: 15_000 });
}

async function restoreDefaults(page: Page) {
  await page.getByRole('button', { name: 'Default', exact: true }).click();
  await expect(page.getByText('Recalled the factory defaults')).toBeVisible();
  await deployAndConfirm(page);
}

test('an invalid value shows its error and blocks Save and Deploy', async ({ page }) => {
  await open(page);
  await setField(page, 'soc.max.alert.threshold', '90');
  const input = field(page, 'soc.max.alert.threshold');
  await expect(input).toHaveAttribute('aria-invalid', 'true');
  await expect(page.locator('.problem-list')).toContainText('soc.max.alert.threshold');
  // The message names both values, and both cells are marked.
  // (The title's first line; the second names the register.)
  await expect(input).toHaveAttribute('title', /^High alert 90 % must be above high warning 95 %\n/);
  await expect(field(page, 'soc.max.warning.threshold')).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByRole('button', { name: 'Save' })).toBeDisabled();
  await expect(page.getByRole('button', { name: 'Deploy…' })).toBeDisabled();
  // Text that is not a number is an error too.
  await setField(page, 'soc.max.alert.threshold', 'abc');
  await expect(page.locator('.problem-list')).toContainText('not a number');
  // Fixing it clears the error and marks the field changed only if it differs.
  await setField(page, 'soc.max.alert.threshold', '98');
  await expect(page.locator('.problem-list')).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Save' })).toBeEnabled();
  await expect(input).not.toHaveClass(/dirty/);
});

test('Save keeps a change across a reload; Recall default restores the form', async ({ page }) => {
  await open(page);
  await setField(page, 'soc.max.warning.threshold', '94');
  await expect(field(page, 'soc.max.warning.threshold')).toHaveClass(/dirty/);
  await expect(page.getByText('1 unsaved change')).toBeVisible();
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByText(new RegExp(`Saved profile ${profile} version \\d+`))).toBeVisible();
  await expect(page.getByText('No unsaved changes')).toBeVisible();

  await open(page);
  await expect(field(page, 'soc.max.warning.threshold')).toHaveValue('94');
  await page.getByRole('button', { name: 'Default', exact: true }).click();
  await expect(field(page, 'soc.max.warning.threshold')).toHaveValue('95');
  await expect(field(page, 'soc.max.warning.threshold')).toHaveClass(/dirty/);
  // A changed cell says what it held before.
  await expect(field(page, 'soc.max.warning.threshold')).toHaveAttribute('title', /^was 94\n/);
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByText('No unsaved changes')).toBeVisible();
});

test('Deploy shows the device against the form, writes, and the device holds the values', async ({ page }) => {
  await open(page);
  await setField(page, 'soc.max.warning.threshold', '93');
  // Limits are in engineering units: a 0.5 % hysteresis (5 counts of the register's 0.1 %).
  await setField(page, 'soc.max.hysteresis', '0.5');
  // Escape cancels the dialog, and nothing is deployed.
  await page.getByRole('button', { name: 'Deploy…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Deploy to the device' });
  await expect(dialog.getByTestId('deploy-summary')).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(dialog).toHaveCount(0);
  await page.getByRole('button', { name: 'Deploy…' }).click();
  const row = dialog.getByRole('row').filter({ hasText: 'soc.max.warning.threshold' });
  await expect(row).toContainText('95');
  await expect(row).toContainText('93');
  await expect(dialog.getByTestId('deploy-summary')).toContainText('2 fields will be written to the BMS');
  // The written fields lead; the console-only ones are one folded line.
  await expect(dialog.locator('tbody tr')).toHaveCount(2);
  await expect(dialog.locator('details.console-only summary')).toContainText('kept in the console only');
  // A true dialog: focus is inside (on Cancel), Shift+Tab reaches Deploy, Escape would cancel.
  await expect(dialog.getByRole('button', { name: 'Cancel' })).toBeFocused();
  await page.keyboard.press('Shift+Tab');
  await expect(dialog.getByRole('button', { name: 'Deploy 2 changes' })).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('deploy-outcome').first()).toContainText('succeeded');

  // What the device holds, read live.
  await page.getByRole('button', { name: 'Device', exact: true }).click();
  const recalled = page.getByText(/Recalled what the device holds/);
  await expect(recalled).toBeVisible();
  await expect(field(page, 'soc.max.warning.threshold')).toHaveValue('93');
  // The notice and the toolbar tell the same story about unsaved changes.
  if (/the same as the saved profile/.test((await recalled.textContent())!)) {
    await expect(page.locator('.dirty-count')).toHaveText('No unsaved changes');
  } else {
    await expect(page.locator('.dirty-count')).toHaveText(/^\d+ unsaved changes?$/);
    await expect(recalled).toContainText('not saved yet');
  }
  await expect(field(page, 'soc.max.hysteresis')).toHaveValue('0.5');
  await restoreDefaults(page);
});

test('an alarm appears when the value crosses a limit and clears after its off-delay', async ({ page }) => {
  await open(page);
  // The simulated SOC sits far above 20 %: a max-side warning there raises after 1 s.
  await setField(page, 'soc.max.warning.threshold', '20');
  await setField(page, 'soc.max.warning.on_duration', '1');
  await setField(page, 'soc.max.warning.off_duration', '2');
  await deployAndConfirm(page);
  const raised = page.getByTestId('raised-soc-max-warning');
  await expect(raised).toContainText('active', { timeout: 15_000 });
  await expect(page.getByTestId('alarm-soc-max-warning')).toHaveText('active');
  // Values carry their units.
  await expect(raised).toContainText(/\d %/);
  // The header of every page says so, within a poll cycle of the raise.
  const indicator = page.getByTestId('alarm-indicator');
  await expect(indicator).toContainText('1 warning', { timeout: 3_000 });
  await expect(indicator).toHaveClass(/alarm-warning/);
  await expect(indicator).toContainText('1 unacknowledged');
  await raised.getByRole('button', { name: 'Acknowledge' }).click();
  await expect(raised).toContainText('acknowledged');
  await expect(indicator).not.toContainText('unacknowledged', { timeout: 3_000 });

  // Back above the value: recovering for the 2 s off-delay, then cleared.
  await setField(page, 'soc.max.warning.threshold', '95');
  await deployAndConfirm(page);
  await expect(raised).toHaveCount(0, { timeout: 15_000 });
  await expect(indicator).toContainText('No alarms', { timeout: 3_000 });
  await expect(indicator).toHaveClass(/alarm-none/);
  const journal = page.locator('.journal');
  await expect(journal.locator('tr.journal-cleared').first()).toContainText('soc.max');
  await expect(journal.locator('tr.journal-acknowledged').first()).toContainText('engineer');
  await expect(journal.locator('tr.journal-raised').first()).toContainText('soc.max');
  await restoreDefaults(page);
});

test('arrow keys move between cells, Enter edits a cell, and Reset keeps the focus in its row', async ({ page }) => {
  await open(page);
  const warning = field(page, 'soc.max.warning.threshold');
  await warning.focus();
  // Up and down: the same column of the row below and above (soc High, then soc Low).
  await page.keyboard.press('ArrowDown');
  await expect(field(page, 'soc.min.warning.threshold')).toBeFocused();
  await page.keyboard.press('ArrowUp');
  await expect(warning).toBeFocused();
  // A selected cell: left and right move to the neighbouring cells.
  await page.keyboard.press('ArrowRight');
  await expect(field(page, 'soc.max.warning.on_duration')).toBeFocused();
  await page.keyboard.press('ArrowLeft');
  await expect(warning).toBeFocused();
  // Its text is selected: typing replaces it.
  const text = await warning.inputValue();
  const selection = () =>
    warning.evaluate((el: HTMLInputElement) => [el.selectionStart, el.selectionEnd]);
  expect(await selection()).toEqual([0, text.length]);
  // Enter edits: the caret at the end, left and right move inside the text.
  await page.keyboard.press('Enter');
  expect(await selection()).toEqual([text.length, text.length]);
  await page.keyboard.press('ArrowLeft');
  await expect(warning).toBeFocused();
  expect(await selection()).toEqual([text.length - 1, text.length - 1]);
  // Escape ends editing (the text selected again), and arrows move once more.
  await page.keyboard.press('Escape');
  expect(await selection()).toEqual([0, text.length]);
  await page.keyboard.press('ArrowRight');
  await expect(field(page, 'soc.max.warning.on_duration')).toBeFocused();
  await page.keyboard.press('ArrowLeft');
  await expect(warning).toHaveValue(text);
  // Reset: the row is back to what is saved, its button disables itself, and the focus goes
  // to the row's first cell instead of the page.
  const saved = await warning.inputValue();
  await setField(page, 'soc.max.warning.threshold', saved === '93' ? '92' : '93');
  await page.getByRole('button', { name: 'Reset soc max' }).click();
  await expect(warning).toHaveValue(saved);
  await expect(field(page, 'soc.max.hysteresis')).toBeFocused();
});

test('the Now column shows the live value and the margin, and limits show the register value', async ({ page }) => {
  await open(page);
  // The simulated SoC, good quality, and how far the next high level is.
  const now = page.getByTestId('now-soc-max');
  await expect(now.locator('.now-value')).toHaveText(/^\d+(\.\d+)?$/, { timeout: 5_000 });
  await expect(now.locator('.now-value')).toHaveClass(/quality-good/);
  await expect(now.locator('.now-margin')).toHaveText(/^(\d+(\.\d+)? to (warning|alert|fault)|past (warning|alert|fault))$/);
  // The margin follows the limits as edited: a warning below the value is "past warning".
  const value = Number(await now.locator('.now-value').textContent());
  await setField(page, 'soc.max.warning.threshold', String(Math.floor(value) - 10));
  await expect(now.locator('.now-margin')).toHaveText(/past warning| to (alert|fault)/);
  await expect(now.locator('.now-value')).toHaveClass(/past-warning/);
  // soc limits live in registers of 0.1 %: the register value is ten times the limit.
  await setField(page, 'soc.max.warning.threshold', '93.5');
  const cell = field(page, 'soc.max.warning.threshold').locator('xpath=..');
  await expect(cell.locator('.reg-hint')).toHaveText('reg 935');
  await expect(field(page, 'soc.max.warning.threshold')).toHaveAttribute('title', /Device: bus .*holding \d+ = 935/);
});
