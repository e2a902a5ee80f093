// Shared by the specs: waiting until a page is ready to use, and names no other spec (or earlier
// run against the same database) uses, so that no spec depends on another's order or data.
import { test, expect, type Page } from '@playwright/test';

/// Whether the current project runs with JavaScript (see the projects in playwright.config.ts).
export const hydrated = () => test.info().project.use.javaScriptEnabled !== false;

/// Ready to use: with JavaScript, once the WASM bundle has taken over the page
/// (`data-hydrated="true"`); without it, once the server-rendered page has loaded.
export async function ready(page: Page) {
  if (hydrated()) {
    await expect(page.locator('.app[data-hydrated="true"]')).toBeVisible();
  } else {
    await page.waitForLoadState('load');
  }
}

/// A snake_case name of its own for a variable or profile a spec creates: `prefix` followed by
/// the time and a random part.
export function uniqueName(prefix: string): string {
  const random = Math.floor(Math.random() * 36 ** 4).toString(36).padStart(4, '0');
  return `${prefix}_${Date.now().toString(36)}${random}`;
}

/// Every page of the console, as the engineer (the specs' session) sees them, and the pages
/// only an admin opens. The width and accessibility checks go through all of them.
export const ENGINEER_PAGES = [
  '/',
  '/registry',
  '/registry/inverter_load_power',
  '/registry/new',
  '/registry/import',
  '/protections',
  '/alarms',
  '/buses',
  '/site',
  '/site/import',
  '/account',
  '/no-such-page',
];
export const ADMIN_PAGES = ['/users', '/audit'];

/// The window sizes every page must work at: a phone, a laptop, a desktop.
export const WIDTHS: [number, number][] = [
  [390, 844],
  [1280, 800],
  [1440, 900],
];

/// Signs `page` in as the demo admin (in a context that starts signed out).
export async function signInAsAdmin(page: Page) {
  await page.goto('/login');
  await page.getByLabel('Name').fill('admin');
  await page.getByLabel('Password').fill('admin-demo-pass');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.locator('.signed-in')).toContainText('admin');
}
