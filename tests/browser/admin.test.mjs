import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, launch, assertAccessible, signIn } from './harness.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const PRIVILEGED_ADMIN = 'morgan.lee@northwind.example';
const BLOCKED_USER = 'casey.brown@northwind.example';

async function signedIn(upn, colorScheme = 'light') {
  const context = await browser.newContext({ colorScheme });
  const page = await context.newPage();
  await page.goto(`${BASE}/sign-in`);
  await signIn(page, upn);
  await page.waitForURL(`${BASE}/`);
  return { context, page };
}

for (const colorScheme of ['light', 'dark']) {
  test(`the admin area's pages are accessible (${colorScheme})`, async () => {
    const { context, page } = await signedIn(PRIVILEGED_ADMIN, colorScheme);
    await page.getByRole('link', { name: 'Admin', exact: true }).click();
    await page.getByRole('heading', { name: 'Admin', level: 1 }).waitFor();
    await assertAccessible(page, 'admin home');
    await page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Users' }).click();
    await page.getByRole('heading', { name: 'Users', level: 1 }).waitFor();
    await assertAccessible(page, 'users');
    await page.getByRole('link', { name: 'Alex Wu' }).click();
    await page.getByRole('heading', { name: 'Alex Wu', level: 1 }).waitFor();
    await assertAccessible(page, 'a user');
    await page.getByRole('link', { name: 'Edit', exact: true }).click();
    await page.getByRole('heading', { name: 'Edit Alex Wu', level: 1 }).waitFor();
    await assertAccessible(page, 'editing a user');
    await context.close();
  });
}

test('an admin finds a blocked user, unblocks and blocks them again', async () => {
  const { context, page } = await signedIn(PRIVILEGED_ADMIN);
  await page.goto(`${BASE}/admin/users`);
  await page.getByLabel('Find a user').fill('casey.brown');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.waitForURL(/\/admin\/users\?q=casey.brown/);
  const rows = page.locator('table.data-table tbody tr');
  assert.equal(await rows.count(), 1);
  assert.match(await rows.first().innerText(), /casey\.brown@northwind\.example[\s\S]*Blocked/);
  await rows.first().getByRole('link').click();
  await page.getByRole('button', { name: 'Unblock sign-in' }).click();
  await page.getByText('Sign-in is unblocked.').waitFor();
  await page.getByRole('button', { name: 'Block sign-in' }).click();
  await page.getByText('Sign-in is blocked. Their sessions have ended.').waitFor();
  await page.getByRole('button', { name: 'Unblock sign-in' }).waitFor();
  await context.close();

  // Still blocked, as the demo has them.
  const other = await browser.newContext();
  const tab = await other.newPage();
  await tab.goto(`${BASE}/sign-in`);
  await signIn(tab, BLOCKED_USER);
  await tab.getByText('Your account has been blocked from signing in.').waitFor();
  await other.close();
});

test('employees see no Admin link and are refused the admin pages', async () => {
  const { context, page } = await signedIn('alex.wu@northwind.example');
  assert.equal(await page.getByRole('link', { name: 'Admin', exact: true }).count(), 0);
  const res = await page.goto(`${BASE}/admin/users`);
  assert.equal(res.status(), 403);
  await context.close();
});

test('creating a user with a UPN already taken says so on the field, then a new one gets a password', async () => {
  const { context, page } = await signedIn(PRIVILEGED_ADMIN);
  await page.goto(`${BASE}/admin/users`);
  await page.getByRole('link', { name: 'New user' }).click();
  await page.getByRole('heading', { name: 'New user', level: 1 }).waitFor();
  await assertAccessible(page, 'new user form');
  await page.getByLabel('Name', { exact: true }).fill('Alex Again');
  await page.getByLabel('Sign-in name').fill('ALEX.WU@northwind.example');
  await page.getByRole('button', { name: 'Create user' }).click();
  const upn = page.getByLabel('Sign-in name');
  await page.getByText('Someone in your organisation already has this sign-in name.').waitFor();
  assert.equal(await upn.getAttribute('aria-invalid'), 'true');
  assert.equal(await page.getByLabel('Name', { exact: true }).inputValue(), 'Alex Again', 'what was typed is kept');
  await assertAccessible(page, 'new user form with an error');
  await upn.fill('alex.again@northwind.example');
  await page.getByRole('button', { name: 'Create user' }).click();
  await page.getByRole('heading', { name: 'User created' }).waitFor();
  const password = await page.getByLabel('Temporary password').innerText();
  assert.match(password, /^[A-Za-z2-9]{4}(-[A-Za-z2-9]{4}){3}$/);
  await assertAccessible(page, 'temporary password');
  await context.close();
});

test('check access shows why a user is refused, and its fix applied from there', async () => {
  const { context, page } = await signedIn(PRIVILEGED_ADMIN);
  await page.goto(`${BASE}/admin`);
  await page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Check access' }).click();
  await page.getByLabel('User', { exact: true }).fill(BLOCKED_USER);
  await page.getByLabel('App', { exact: true }).selectOption({ label: 'Mail' });
  await page.getByRole('button', { name: 'Check' }).click();
  await page.getByRole('heading', { name: "Casey Brown can't launch Mail." }).waitFor();
  const row = page.getByRole('row', { name: /Sign-in is allowed/ });
  assert.match(await row.innerText(), /Fail: account_blocked/);
  await assertAccessible(page, 'check access');
  await row.getByRole('button', { name: 'Unblock sign-in' }).click();
  await page.getByText('Sign-in is unblocked.').waitFor();
  await page.getByRole('heading', { name: 'Casey Brown can launch Mail.' }).waitFor();
  assert.match(await page.getByRole('row', { name: /Sign-in is allowed/ }).innerText(), /Pass/);
  // Back to the demo's state: blocked.
  await page.goto(`${BASE}/admin/users?q=casey.brown`);
  await page.getByRole('link', { name: 'Casey Brown' }).click();
  await page.getByRole('button', { name: 'Block sign-in' }).click();
  await page.getByText('Sign-in is blocked. Their sessions have ended.').waitFor();
  await context.close();
});
