import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, launch, assertAccessible, signIn } from './harness.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

for (const colorScheme of ['light', 'dark']) {
  test(`sign in, see name and organisation, sign out (${colorScheme} theme)`, async () => {
    const context = await browser.newContext({ colorScheme });
    const page = await context.newPage();
    await page.goto(`${BASE}/`);
    assert.match(page.url(), /\/sign-in$/);
    await assertAccessible(page, 'sign-in page');

    await signIn(page, 'alex.wu@northwind.example');
    await page.waitForURL(`${BASE}/`);
    await page.getByRole('heading', { name: 'My Apps', level: 1 }).waitFor();
    assert.ok(await page.getByText('Alex Wu').first().isVisible());
    assert.ok(await page.getByText('Northwind Traders').first().isVisible());
    await assertAccessible(page, 'home page');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/sign-in\?notice=signed_out$/);
    assert.ok(await page.getByText("You've signed out.").isVisible());
    await assertAccessible(page, 'signed-out page');
    await context.close();
  });
}

test('a wrong password shows one plain message and keeps the sign-in name', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${BASE}/sign-in`);
  await signIn(page, 'sam.patel@northwind.example', 'not the password');
  await page.waitForURL(/error=invalid_credentials/);
  assert.ok(await page.getByRole('alert').getByText('Your sign-in name or password is incorrect').isVisible());
  assert.equal(await page.getByLabel('Sign-in name').inputValue(), 'sam.patel@northwind.example');
  await assertAccessible(page, 'sign-in error');
  await context.close();
});

test('a deep link signs in first and then continues to it', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${BASE}/no/such/page`);
  assert.match(page.url(), /return_to=%2Fno%2Fsuch%2Fpage$/);
  await signIn(page, 'morgan.lee@northwind.example');
  await page.waitForURL(`${BASE}/no/such/page`);
  await page.getByRole('heading', { name: "We couldn't find that page" }).waitFor();
  await assertAccessible(page, 'not-found page');
  await context.close();
});

test('enforced MFA shows the authenticator set-up', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${BASE}/sign-in`);
  await signIn(page, 'riley.chen@northwind.example');
  await page.waitForURL(`${BASE}/sign-in/mfa/enrol`);
  await page.getByRole('img', { name: /QR code/ }).waitFor();
  assert.match(await page.getByTestId('totp-secret').innerText(), /^[A-Z2-7 ]{32,}$/);
  await assertAccessible(page, 'MFA enrolment');
  await page.getByRole('button', { name: 'Cancel and sign out' }).click();
  await page.waitForURL(/notice=signed_out/);
  await context.close();
});

test('an expired password leads to the change-password form', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${BASE}/sign-in`);
  await signIn(page, 'jordan.smith@northwind.example');
  await page.waitForURL(`${BASE}/sign-in/change-password`);
  await assertAccessible(page, 'change password');
  await page.getByLabel('New password', { exact: true }).fill('amber glacier lantern');
  await page.getByLabel('Confirm new password').fill('amber glacier lantern');
  await page.getByRole('button', { name: 'Change password' }).click();
  await page.waitForURL(`${BASE}/`);
  await page.getByRole('heading', { name: 'My Apps', level: 1 }).waitFor();
  assert.ok(await page.getByText('Jordan Smith').first().isVisible());
  await context.close();
});
