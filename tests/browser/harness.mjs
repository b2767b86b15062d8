// Shared browser-test harness: one Chromium (Debian's, never a downloaded
// build) per test file, a fresh context per test, and an axe-core check
// that fails on any violation.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export const BASE = process.env.BASE_URL ?? 'http://127.0.0.1:3000';
export const PASSWORD = 'Northwind-Demo-2026';

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
}

/** Runs axe-core on the page; any violation fails the test, named. axe is
 * evaluated through the DevTools protocol rather than added as a <script>:
 * the portal's Content-Security-Policy (rightly) refuses inline scripts. */
export async function assertAccessible(page, label) {
  await page.evaluate(axeSource);
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    return await axe.run(document, { resultTypes: ['violations'] });
  });
  const violations = result.violations.map(
    (v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
  );
  assert.deepEqual(violations, [], `accessibility violations on ${label}`);
}

/** Signs in through the real sign-in page. */
export async function signIn(page, upn, password = PASSWORD) {
  await page.getByLabel('Sign-in name').fill(upn);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** Records the Content-Security-Policy violations of every page the context
 * opens (read them with `cspViolations`). */
export async function watchCsp(context) {
  await context.addInitScript(() => {
    window.__cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI || 'inline'} (${e.sourceFile}:${e.lineNumber})`);
    });
  });
}

export async function cspViolations(page) {
  return page.evaluate(() => window.__cspViolations ?? ['the CSP watcher is not installed']);
}
