// The specs' `test`: pages are signed in with the engineer's session (global-setup.ts), and the
// `request` fixture, which scripts the REST API around a page, sends the test run's API token
// (an admin token with both scopes, created by scripts/test.sh as POWERDECK_TOKEN), as any
// script would. Every page runs under the console's Content-Security-Policy, enforced by
// Chromium: a test fails if the policy blocked anything. No request a page makes may answer
// 500: expected conditions (a conflict, a refusal, a value not polled) are 4xx with a message;
// a 500 is a bug, and fails the test that met it.
import { test as base, request as apiRequest, expect } from '@playwright/test';

export * from '@playwright/test';

const token = process.env.POWERDECK_TOKEN;

export const test = base.extend<{ cspViolations: string[]; serverErrors: string[] }>({
  request: async ({ baseURL }, use) => {
    if (!token) throw new Error('POWERDECK_TOKEN is not set: scripts/test.sh creates it');
    const context = await apiRequest.newContext({
      baseURL,
      extraHTTPHeaders: { Authorization: `Bearer ${token}` },
    });
    await use(context);
    await context.dispose();
  },
  cspViolations: [
    async ({ page }, use) => {
      const violations: string[] = [];
      page.on('console', (message) => {
        if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
      });
      await use(violations);
      expect(violations, 'the Content-Security-Policy blocked something').toEqual([]);
    },
    { auto: true },
  ],
  serverErrors: [
    async ({ page }, use) => {
      const errors: string[] = [];
      page.on('response', (response) => {
        if (response.status() === 500) {
          errors.push(`${response.request().method()} ${response.url()} answered 500`);
        }
      });
      await use(errors);
      expect(errors, 'a request answered 500 (a bug: expected conditions are 4xx)').toEqual([]);
    },
    { auto: true },
  ],
});
