// Users and API tokens in the console: an admin creates a user, who signs in, sees only what a
// viewer may do (and is refused anyway when asking directly), and changes their own password;
// an admin creates a token, sees its secret once, and revokes it after a confirmation. Hydrated
// and without JavaScript (the token's secret only hydrated: a form posted without JavaScript
// returns to the page, and the secret is shown nowhere else).
import { test, expect, type Page } from './fixtures';
import { ready, uniqueName } from '../support';

test.use({ storageState: { cookies: [], origins: [] } });

async function signIn(page: Page, name: string, password: string) {
  await page.goto('/login');
  await page.getByLabel('Name').fill(name);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.locator('.signed-in')).toContainText(name);
  await ready(page);
}

async function signOut(page: Page) {
  await page.locator('.signed-in').getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/login\?signed_out=1$/);
}

test('an admin adds a user, who reads as a viewer and changes their own password', async ({
  page,
  baseURL,
}, testInfo) => {
  const name = uniqueName('dana');
  const first = 'first long passphrase';
  const second = 'second long passphrase';
  await signIn(page, 'admin', 'admin-demo-pass');
  await page.getByRole('link', { name: 'Users', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'Users and API tokens' })).toBeVisible();
  await ready(page);
  const users = page.locator('.users-table tbody tr');
  for (const demo of ['admin', 'engineer', 'operator', 'viewer']) {
    await expect(users.filter({ hasText: demo }).first()).toBeVisible();
  }
  await page.locator('summary', { hasText: 'New user…' }).click();
  const form = page.getByRole('form', { name: 'New user' });
  await form.getByLabel('Name').fill(name);
  await form.getByLabel('Role').selectOption('viewer');
  await form.getByLabel('Password (12 characters or more)').fill(first);
  await form.getByRole('button', { name: 'Create user' }).click();
  const row = users.filter({ has: page.getByRole('cell', { name, exact: true }) });
  await expect(row).toHaveCount(1);
  await expect(row).toContainText('active');
  await signOut(page);

  // The new viewer: no Users or Audit link, no site editing, and refused when asking anyway.
  await signIn(page, name, first);
  await expect(page.getByRole('link', { name: 'Users', exact: true })).toHaveCount(0);
  await expect(page.getByRole('link', { name: 'Audit', exact: true })).toHaveCount(0);
  await page.goto('/site');
  await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
  await expect(page.getByRole('link', { name: /New battery array|Import config\.yaml/ })).toHaveCount(0);
  await expect(page.getByRole('link', { name: /^(Edit|Delete|Rename|Add|Attach)\b/ })).toHaveCount(0);
  // A form's address opens no form for a role that may not edit.
  await page.goto('/site?new=meter');
  await expect(page.getByRole('form', { name: 'New meter' })).toHaveCount(0);
  await page.goto('/users');
  await expect(page.getByRole('alert')).toContainText('admin role');
  const direct = await page.request.post('/api/list_users_and_tokens', {
    headers: { origin: baseURL! },
  });
  expect(direct.status()).toBe(403);
  // Refused for the role, not for where the request came from.
  expect(await direct.text()).toContain('admin role');

  // Changing the password: the current one first.
  await page.locator('.signed-in-name').click();
  await expect(page.getByRole('heading', { name: 'Your account' })).toBeVisible();
  await ready(page);
  const change = page.getByRole('form', { name: 'Change password' });
  await change.getByLabel('Current password').fill('not my password');
  await change.getByLabel('New password (12 characters or more)').fill(second);
  await change.getByLabel('New password again').fill(second);
  await change.getByRole('button', { name: 'Change password' }).click();
  await expect(page.locator('#password-old_password-error')).toContainText(
    'is not your current password',
  );
  await change.getByLabel('Current password').fill(first);
  await change.getByLabel('New password (12 characters or more)').fill(second);
  await change.getByLabel('New password again').fill(second);
  await change.getByRole('button', { name: 'Change password' }).click();
  if (testInfo.project.use.javaScriptEnabled !== false) {
    await expect(page.getByRole('status')).toContainText('Password changed');
  } else {
    await expect(page).toHaveURL(/\/account/);
  }
  // The new password signs in. (The old one is not tried: failed sign-ins from this address
  // are limited, and the other specs sign in from it too; services/tests/it/auth.rs checks it.)
  await signOut(page);
  await signIn(page, name, second);
});

test('an admin creates an API token, sees its secret once, and revokes it after a confirmation', async ({
  page,
  playwright,
  baseURL,
}, testInfo) => {
  test.skip(testInfo.project.use.javaScriptEnabled === false, 'the secret shows in place');
  const name = uniqueName('script');
  await signIn(page, 'admin', 'admin-demo-pass');
  await page.goto('/users');
  await ready(page);
  await page.locator('summary', { hasText: 'New token…' }).click();
  const form = page.getByRole('form', { name: 'New API token' });
  await form.getByLabel('Name (who or what uses it)').fill(name);
  await form.getByLabel('Role').selectOption('engineer');
  await form.getByLabel('Expires after (days)').fill('30');
  await form.getByLabel('deploy protections').check();
  await form.getByRole('button', { name: 'Create token' }).click();
  const secret = page.locator('.token-secret-value');
  await expect(secret).toHaveText(/^pd_/);
  const bearer = (await secret.textContent())!;
  const row = page.locator('.tokens-table tbody tr').filter({ hasText: name });
  await expect(row).toContainText('Engineer');
  await expect(row).toContainText('deploy');
  await expect(row).toContainText('active');

  const script = await playwright.request.newContext({
    baseURL,
    extraHTTPHeaders: { Authorization: `Bearer ${bearer}` },
  });
  expect((await script.get('/api/v1/variables/soc')).status()).toBe(200);

  // Revoking asks first and says what follows.
  await row.locator('summary', { hasText: 'Revoke…' }).click();
  await expect(row).toContainText('is refused from now on');
  await row.getByRole('button', { name: `Revoke ${name}` }).click();
  await expect(row).toContainText('revoked');
  expect((await script.get('/api/v1/variables/soc')).status()).toBe(401);
  await script.dispose();
});
