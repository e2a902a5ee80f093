// Signing in and out, what each role is offered, and the Audit page: from a browser that is not
// signed in (these tests do not use the shared engineer session), hydrated and without
// JavaScript.
import { test, expect, type Page } from './fixtures';

test.use({ storageState: { cookies: [], origins: [] } });

async function signIn(page: Page, name: string) {
  await page.getByLabel('Name').fill(name);
  await page.getByLabel('Password').fill(`${name}-demo-pass`);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

test('a page asks to sign in first and returns to it; the header signs out', async ({ page }) => {
  await page.goto('/registry?q=soc');
  await expect(page).toHaveURL(/\/login\?next=%2Fregistry%3Fq%3Dsoc$/);
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  // Demo mode lists its accounts, one per role.
  const demo = page.locator('.login-demo');
  for (const name of ['admin', 'engineer', 'operator', 'viewer']) {
    await expect(demo.getByRole('cell', { name, exact: true })).toBeVisible();
  }
  await page.getByLabel('Name').fill('viewer');
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toContainText('Wrong name or password');
  await expect(page.getByLabel('Name')).toHaveValue('viewer');

  await signIn(page, 'viewer');
  await expect(page).toHaveURL(/\/registry\?q=soc$/);
  const header = page.locator('.signed-in');
  await expect(header).toContainText('viewer');
  await expect(header).toContainText('Viewer');
  // A viewer reads but is not offered what it may not do.
  await expect(page.getByRole('link', { name: 'Registry' })).toBeVisible();
  await expect(page.getByRole('link', { name: 'New variable' })).toHaveCount(0);
  await expect(page.getByRole('link', { name: 'Audit' })).toHaveCount(0);

  await header.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/login\?signed_out=1$/);
  await expect(page.getByRole('status')).toContainText('Signed out');
  await page.goto('/registry');
  await expect(page).toHaveURL(/\/login/);
});

test('an admin reads the audit log: who signed in, filtered, and as CSV', async ({ page }) => {
  await page.goto('/audit');
  await signIn(page, 'admin');
  await expect(page).toHaveURL(/\/audit$/);
  await expect(page.getByRole('link', { name: 'Audit' })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Audit log' })).toBeVisible();
  const rows = page.locator('.audit-table tbody tr');
  await expect(rows.first()).toBeVisible();
  // Only the admin's sign-ins.
  await page.getByLabel('Who').fill('admin');
  await page.getByLabel('What').selectOption('login_succeeded');
  await page.getByRole('button', { name: 'Filter' }).click();
  await expect(page).toHaveURL(/who=admin/);
  await expect(rows.first()).toContainText('login succeeded');
  for (const row of await rows.all()) await expect(row).toContainText('admin');
  const csv = page.getByRole('link', { name: 'Export CSV' });
  await expect(csv).toHaveAttribute('href', /\/api\/v1\/audit\.csv\?who=admin&action=login(_|%5F)succeeded/);
  const answer = await page.request.get((await csv.getAttribute('href'))!);
  expect(answer.status()).toBe(200);
  expect((await answer.text()).split('\r\n')[0]).toBe(
    'id,at,actor,actor_kind,address,action,target,outcome,before,after,detail',
  );
});

test('an operator may not open the audit log', async ({ page }) => {
  await page.goto('/login');
  await signIn(page, 'operator');
  await page.goto('/audit');
  await expect(page.getByRole('alert')).toContainText('admin role');
});
