// Which specs a Playwright run takes. scripts/test.sh runs the suite as two runs side by side,
// each against a demo server and database of its own: "pages" (the read-only checks of every page
// at every width: widths and axe-core, about half the suite's time) and "flows" (every other spec).
// Without POWERDECK_E2E_SUITE, one run takes them all.
export type Suite = 'all' | 'pages' | 'flows';

function suiteFromEnv(): Suite {
  const value = process.env.POWERDECK_E2E_SUITE ?? 'all';
  if (value === 'all' || value === 'pages' || value === 'flows') return value;
  throw new Error(`POWERDECK_E2E_SUITE must be all, pages or flows, not "${value}"`);
}

export const SUITE: Suite = suiteFromEnv();

/// The read-only page checks: they only open pages, so they can run beside the other specs.
export const PAGE_CHECKS = ['**/widths.spec.ts', '**/a11y.spec.ts'];

/// The engineer's session of this run (each run signs in to its own server).
export const SESSION_STATE = `${__dirname}/.auth/engineer-${SUITE}.json`;
