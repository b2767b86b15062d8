// The demo relying party (`demo-rp`, started by scripts/test.sh next to the
// portal) from My Apps to its signed-in page: the tile starts the app's own
// sign-in (third-party initiated login), the portal asks for consent, the
// app gets its tokens and checks the ID token; refreshing works until the
// employee removes the consent on My consents, and then fails at once.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, launch, assertAccessible, signIn } from './harness.mjs';

const DEMO_RP = process.env.DEMO_RP_URL ?? 'http://127.0.0.1:4000';
const EMPLOYEE = 'alex.wu@northwind.example';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

for (const colorScheme of ['light', 'dark']) {
  test(`an employee opens the demo app from My Apps, consents, is signed in, and loses it on revoking (${colorScheme})`, async () => {
    const context = await browser.newContext({ colorScheme });
    const page = await context.newPage();
    await page.goto(`${BASE}/sign-in`);
    await signIn(page, EMPLOYEE);
    await page.waitForURL(`${BASE}/`);

    // The launch decides first, consent included: the prompt, then on to
    // the app's own sign-in (initiate_login_uri), which the portal answers
    // with a code at once.
    await page.getByRole('link', { name: /Northwind Notes/ }).first().click();
    await page.getByRole('heading', { name: 'Northwind Notes wants permission' }).waitFor();
    await assertAccessible(page, 'consent before opening an app');
    await page.getByRole('button', { name: 'Accept and open' }).click();

    await page.waitForURL(`${DEMO_RP}/`);
    await page.getByRole('heading', { name: /^Signed in as / }).waitFor();
    const claims = JSON.parse(await page.getByTestId('claims').textContent());
    assert.equal(claims.preferred_username, EMPLOYEE);
    assert.equal(claims.iss, BASE);
    assert.equal(await page.getByTestId('scope').textContent(), 'openid profile email offline_access');

    await page.getByRole('button', { name: 'Refresh the tokens' }).click();
    await page.getByText('Refreshed: new access and refresh tokens.').waitFor();

    // Consent removed on the portal: the app's next refresh fails.
    await page.goto(`${BASE}/my-consents`);
    await page.getByRole('link', { name: 'Remove Northwind Notes' }).click();
    await page.getByRole('button', { name: 'Remove', exact: true }).click();
    await page.getByText('Removed. The app can no longer use those permissions').waitFor();
    await page.goto(`${DEMO_RP}/`);
    await page.getByRole('button', { name: 'Refresh the tokens' }).click();
    await page.getByText(/The refresh was refused: invalid_grant/).waitFor();

    // Signing in to the app again from the app itself (not from My Apps):
    // its authorize request meets the consent prompt and comes back to it.
    await page.goto(`${DEMO_RP}/login`);
    await page.getByRole('heading', { name: 'Northwind Notes wants permission' }).waitFor();
    assert.match(page.url(), /\/consent\/[0-9a-f-]+\?return_to=%2Foauth%2Fauthorize/);
    await assertAccessible(page, 'consent from an app\'s sign-in request');
    await page.getByRole('button', { name: 'Accept and continue' }).click();
    await page.waitForURL(`${DEMO_RP}/`);
    await page.getByRole('heading', { name: /^Signed in as / }).waitFor();

    // Sign out of both (RP-initiated logout with the ID token as the hint).
    await page.getByRole('link', { name: 'Sign out' }).click();
    await page.waitForURL(`${DEMO_RP}/`);
    await page.getByRole('link', { name: 'Sign in with My Apps' }).waitFor();
    const me = await page.request.get(`${BASE}/api/v1/me`);
    assert.equal(me.status(), 401, 'signed out of the portal too');
    // Remove the consent again, so the next run starts from the prompt.
    await page.goto(`${BASE}/sign-in`);
    await signIn(page, EMPLOYEE);
    await page.waitForURL(`${BASE}/`);
    await page.goto(`${BASE}/my-consents`);
    await page.getByRole('link', { name: 'Remove Northwind Notes' }).click();
    await page.getByRole('button', { name: 'Remove', exact: true }).click();
    await page.getByText('Removed. The app can no longer use those permissions').waitFor();
    await context.close();
  });
}
