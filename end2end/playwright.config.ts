// Playwright in Debian's Chromium (no browser download) against a server that scripts/test.sh
// starts on a free port with a fresh SQLite database; its URL arrives in POWERDECK_BASE_URL.
import { defineConfig } from '@playwright/test';

const baseURL = process.env.POWERDECK_BASE_URL ?? 'http://127.0.0.1:3000';

export default defineConfig({
  testDir: './tests',
  // Signs in once; every page of every spec uses that session.
  globalSetup: './global-setup.ts',
  outputDir: './test-results',
  fullyParallel: false,
  // One worker unless told otherwise (scripts/test.sh says why one).
  workers: Number(process.env.PLAYWRIGHT_WORKERS ?? 1),
  retries: 0,
  forbidOnly: true,
  reporter: [['list']],
  timeout: 30_000,
  expect: { timeout: 10_000 },
  use: {
    baseURL,
    storageState: `${__dirname}/.auth/engineer.json`,
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      // Without the background-networking flags Chromium floods this machine's closed network.
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
  projects: [
    { name: 'hydrated', use: { javaScriptEnabled: true, viewport: { width: 1366, height: 800 } } },
    {
      name: 'no-js',
      use: { javaScriptEnabled: false, viewport: { width: 1024, height: 768 } },
      // Interactive screens (editing forms, reading local files, values updating in place) are
      // exercised hydrated only;
      // everything else must also work from server-rendered HTML.
      testIgnore: [
        '**/variable-edit.spec.ts',
        '**/overwrite_merge.spec.ts',
        '**/variable-create.spec.ts',
        '**/import.spec.ts',
        '**/live-refresh.spec.ts',
        '**/device-write.spec.ts',
        '**/protections.spec.ts',
        // axe-core runs in the page's own JavaScript; the hydrated project checks the same
        // server-rendered markup once hydrated.
        '**/a11y.spec.ts',
      ],
    },
  ],
});
