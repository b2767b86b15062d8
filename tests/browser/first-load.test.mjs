// What a first visit costs, as the browser transfers it (cold cache): the
// budgets of the hot-paths issue, and the headers that make later visits
// cost nothing. The bench (bench/run.sh) prints the same figures.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, PASSWORD, launch } from './harness.mjs';
import { firstLoad } from './first-load.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const KB = 1000;

test('the sign-in page loads no code and stays under 100 KB', async () => {
  const context = await browser.newContext();
  const load = await firstLoad(context, `${BASE}/sign-in`, { hydrates: false });
  assert.ok(load.total <= 100 * KB, `sign-in transferred ${load.total} bytes:\n${load.table}`);
  assert.ok(!load.files.some((f) => /\.(wasm|js)$/.test(f.path)), `no script is fetched:\n${load.table}`);
  await context.close();
});

test('My Apps first load, every asset, is under 250 KB and cached for good', async () => {
  const context = await browser.newContext();
  // Sign in without the browser loading any page (its cache stays cold).
  const form = await context.request.get(`${BASE}/sign-in`, { headers: { accept: 'text/html' } });
  const csrf = /name="csrf_token" value="([^"]+)"/.exec(await form.text())[1];
  const signIn = await context.request.post(`${BASE}/auth/sign-in`, {
    form: { csrf_token: csrf, upn: 'alex.wu@northwind.example', password: PASSWORD },
    maxRedirects: 0,
  });
  assert.equal(signIn.headers().location, '/');

  const load = await firstLoad(context, `${BASE}/`, { hydrates: true });
  assert.ok(load.total <= 250 * KB, `My Apps transferred ${load.total} bytes:\n${load.table}`);
  const bundle = load.files.filter((f) => /\/pkg\/.*\.(wasm|js|css)$/.test(f.path));
  assert.equal(bundle.length, 3, `stylesheet, script and wasm:\n${load.table}`);
  for (const f of bundle) {
    assert.match(f.path, /\/pkg\/myapps\.[0-9a-f]{16}\.(wasm|js|css)$/, 'named after its content');
    assert.equal(f.encoding, 'br', `${f.path} is sent brotli-compressed`);
    assert.equal(f.cacheControl, 'public, max-age=31536000, immutable', f.path);
  }
  const page = load.files.find((f) => f.path === '/');
  assert.equal(page.cacheControl, 'no-store', 'the page itself is never cached');

  // A second visit fetches only the page: every file comes from the cache.
  const again = await firstLoad(context, `${BASE}/`, { hydrates: true, page: load.page });
  const fetched = again.files.filter((f) => !f.fromCache).map((f) => f.path);
  assert.deepEqual(fetched, ['/'], `only the page is fetched again:\n${again.table}`);
  await context.close();
});
