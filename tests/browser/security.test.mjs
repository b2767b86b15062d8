import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { BASE, launch, signIn, watchCsp, cspViolations } from './harness.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('pages hydrate under the Content-Security-Policy without a single violation', async () => {
  const context = await browser.newContext();
  await watchCsp(context);
  const page = await context.newPage();
  const res = await page.goto(`${BASE}/sign-in`);
  const policy = res.headers()['content-security-policy'];
  assert.match(policy, /script-src 'self' 'nonce-[\w-]+' 'wasm-unsafe-eval'/);
  assert.match(policy, /frame-ancestors 'none'/);
  assert.deepEqual(await cspViolations(page), [], 'sign-in page');

  await signIn(page, 'alex.wu@northwind.example');
  await page.waitForURL(`${BASE}/`);
  // The bundle ran (it marks the body) and works: search filters as you type.
  await page.waitForSelector('body[data-hydrated="true"]');
  await page.getByRole('searchbox').fill('whiteboard');
  await page.getByRole('link', { name: /^Whiteboard/ }).first().waitFor();
  assert.deepEqual(await cspViolations(page), [], 'My Apps');

  // An inline script that an attacker managed to inject would not run.
  const ran = await page.evaluate(() => {
    window.__injected = false;
    const s = document.createElement('script');
    s.textContent = 'window.__injected = true';
    document.body.append(s);
    return window.__injected;
  });
  assert.equal(ran, false, 'an injected inline script is refused');
  const violations = await cspViolations(page);
  assert.equal(violations.length, 1, violations.join('\n'));
  assert.match(violations[0], /^script-src/);
  await context.close();
});

test('no page of the portal can be framed', async () => {
  // Another origin on this machine (a real server: Chromium would not let a
  // public origin frame a loopback address at all, which proves nothing).
  const evil = createServer((_, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(`<!doctype html><title>Evil</title><iframe src="${BASE}/sign-in"></iframe>`);
  });
  await new Promise((resolve) => evil.listen(0, '127.0.0.1', resolve));
  const context = await browser.newContext();
  const page = await context.newPage();
  try {
    // goto waits for the load event, which waits for the frame.
    await page.goto(`http://127.0.0.1:${evil.address().port}/`);
    const frame = page.frames().find((f) => f !== page.mainFrame());
    assert.ok(frame, 'the frame exists');
    const framedText = await frame.evaluate(() => document.body?.innerText ?? '').catch(() => '');
    assert.doesNotMatch(framedText, /Sign in/, 'the sign-in form must not render inside a frame');
  } finally {
    await context.close();
    evil.close();
  }
});
