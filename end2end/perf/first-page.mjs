// The first page over a site's link: loads each route in a fresh Chromium profile with the network
// throttled (Chrome DevTools Protocol), and prints what the browser downloaded (bytes on the wire,
// per file) and when the console became interactive (`.app[data-hydrated="true"]`). Then a second
// visit with the cache warm, to show what it transfers again.
//
//   node end2end/perf/first-page.mjs --base http://127.0.0.1:3000 [--budget-kb 400] [--routes /registry,/]
//        [--user engineer --password engineer-demo-pass]
//
// Each profile signs in first (the login form's POST, no page load: the browser's cache stays
// empty), as the demo's engineer unless told otherwise, so the first visit is an operator's first
// page after signing in.
//
// Exits 1 when the first route's first-visit transfer is over --budget-kb (the test command uses
// this as a guard). Numbers are figures to report, never a unit test's assertion on time.
//
// The bundle is split by route (`cargo leptos build --split`): each route's line lists the main
// bundle (powerdeck.*.js/.wasm), the route's WASM chunks and the split loader, and the rest (page,
// styles, icon) separately; the second visit lists what it still transferred (304s and the page).
import { chromium } from '@playwright/test';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((pairs, arg, i, all) => {
    if (arg.startsWith('--')) pairs.push([arg.slice(2), all[i + 1]]);
    return pairs;
  }, []),
);
const base = args.base ?? process.env.POWERDECK_BASE_URL ?? 'http://127.0.0.1:3000';
const budgetKb = args['budget-kb'] ? Number(args['budget-kb']) : null;
const routes = (args.routes ?? '/registry,/,/protections,/buses').split(',');
const links = [
  { name: '4 Mbit/s, 60 ms', downloadKbps: 4000, uploadKbps: 1000, latencyMs: 60 },
  { name: '1.6 Mbit/s, 150 ms', downloadKbps: 1600, uploadKbps: 750, latencyMs: 150 },
];
const hydrationTimeoutMs = 60_000;
const user = args.user ?? 'engineer';
const password = args.password ?? 'engineer-demo-pass';

/** Signs the context in through the login form; its session cookie is then on every request. */
async function signIn(context) {
  const answer = await context.request.post(base + '/login', {
    form: { name: user, password, next: '/' },
    headers: { Origin: new URL(base).origin },
    maxRedirects: 0,
  });
  if (answer.status() !== 303 || (answer.headers().location ?? '').startsWith('/login')) {
    throw new Error(`signing in as ${user} failed: ${answer.status()} ${answer.headers().location}`);
  }
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});

/** One page load: bytes per URL as received on the wire, and time until hydrated. */
async function visit(context, route, link) {
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false,
    latency: link.latencyMs,
    downloadThroughput: (link.downloadKbps * 1000) / 8,
    uploadThroughput: (link.uploadKbps * 1000) / 8,
  });
  const urls = new Map();
  const bytes = new Map();
  cdp.on('Network.responseReceived', (e) => urls.set(e.requestId, e.response.url));
  cdp.on('Network.loadingFinished', (e) => bytes.set(e.requestId, e.encodedDataLength));
  const started = Date.now();
  await page.goto(base + route, { waitUntil: 'commit' });
  await page.locator('.app[data-hydrated="true"]').waitFor({ timeout: hydrationTimeoutMs });
  const interactiveMs = Date.now() - started;
  // Let late requests (server functions after hydration) finish before counting.
  await page.waitForLoadState('networkidle').catch(() => {});
  const files = [];
  for (const [id, size] of bytes) {
    const url = urls.get(id) ?? '?';
    if (url.includes('/live/stream')) continue; // the live stream never ends
    files.push({ path: url.replace(base, ''), kb: size / 1024 });
  }
  await page.close();
  const totalKb = files.reduce((sum, f) => sum + f.kb, 0);
  return { interactiveMs, totalKb, files };
}

/** Which part of the bundle a URL is: the main bundle, a route's WASM chunk (or the split
 * loader and its manifest), or the page and its other files. */
function kind(path) {
  if (!path.startsWith('/pkg/')) return 'page';
  if (/^\/pkg\/powerdeck\.([A-Za-z0-9_-]{22}\.)?(js|wasm)$/.test(path)) return 'main bundle';
  if (path.endsWith('.wasm') || path.includes('__wasm_split')) return 'route chunk';
  return 'styles/other';
}

let overBudget = false;
for (const [i, route] of routes.entries()) {
  for (const link of links) {
    const context = await browser.newContext();
    await signIn(context);
    const first = await visit(context, route, link);
    const second = await visit(context, route, link);
    await context.close();
    console.log(`${route} over ${link.name}: first visit ${first.totalKb.toFixed(0)} KB, interactive after ${(first.interactiveMs / 1000).toFixed(2)} s; second visit ${second.totalKb.toFixed(0)} KB, interactive after ${(second.interactiveMs / 1000).toFixed(2)} s`);
    if (link === links[0]) {
      for (const f of first.files.sort((a, b) => b.kb - a.kb)) {
        console.log(`    ${f.kb.toFixed(1).padStart(8)} KB  ${f.path}  [${kind(f.path)}]`);
      }
      const sums = new Map();
      for (const f of first.files) sums.set(kind(f.path), (sums.get(kind(f.path)) ?? 0) + f.kb);
      console.log(`    by part: ${[...sums].map(([k, kb]) => `${k} ${kb.toFixed(1)} KB`).join(', ')}`);
      console.log(`    second visit: ${second.files.sort((a, b) => b.kb - a.kb).map((f) => `${f.path} ${f.kb.toFixed(1)} KB`).join(', ')}`);
      if (i === 0 && budgetKb !== null && first.totalKb > budgetKb) {
        console.log(`FIRST PAGE OVER BUDGET: ${route} transfers ${first.totalKb.toFixed(0)} KB on a first visit; the budget is ${budgetKb} KB`);
        overBudget = true;
      }
    }
  }
}
await browser.close();
process.exit(overBudget ? 1 : 0);
