import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, launch, assertAccessible, signIn } from './harness.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const EMPLOYEE = 'alex.wu@northwind.example';
const UNKNOWN_APP = '0190a0a0-0000-7000-8000-0000000000ff';

async function signedInPage(colorScheme = 'light') {
  const context = await browser.newContext({ colorScheme });
  const page = await context.newPage();
  await page.goto(`${BASE}/sign-in`);
  await signIn(page, EMPLOYEE);
  await page.waitForURL(`${BASE}/`);
  return { context, page };
}

/** The signed-in user's apps, by name, from the JSON API. */
async function appIds(page) {
  const res = await page.request.get(`${BASE}/api/v1/me/apps`);
  assert.equal(res.status(), 200);
  const body = await res.json();
  return Object.fromEntries(body.apps.map((a) => [a.name, a.id]));
}

/** Waits until the page's script has taken over (search filters as you type). */
async function hydrated(page) {
  await page.waitForSelector('body[data-hydrated="true"]');
}

for (const colorScheme of ['light', 'dark']) {
  test(`My Apps, details and refusal pages are accessible (${colorScheme})`, async () => {
    const { context, page } = await signedInPage(colorScheme);
    await page.getByRole('heading', { name: 'My Apps', level: 1 }).waitFor();
    await assertAccessible(page, 'My Apps');
    const ids = await appIds(page);
    await page.goto(`${BASE}/apps/${ids['Whiteboard']}`);
    await page.getByRole('heading', { name: 'Whiteboard' }).waitFor();
    await assertAccessible(page, 'app details');
    await page.goto(`${BASE}/launch/${ids['Source Control']}`);
    await page.waitForURL(/\/consent\//);
    await page.getByRole('heading', { name: 'Source Control wants permission' }).waitFor();
    await assertAccessible(page, 'consent prompt');
    await page.goto(`${BASE}/my-consents`);
    await page.getByRole('heading', { name: 'My consents', level: 1 }).waitFor();
    await assertAccessible(page, 'my consents');
    await page.goto(`${BASE}/my-consents/${ids['Whiteboard']}/remove`);
    await page.getByRole('heading', { name: 'Remove Whiteboard?' }).waitFor();
    await assertAccessible(page, 'removing a consent');
    await page.goto(`${BASE}/launch/${UNKNOWN_APP}`);
    await page.waitForURL(/\/launch-refused\?ref=/);
    await assertAccessible(page, 'launch refusal');
    await context.close();
  });
}

test('a deep link signs in first and lands on the app', async () => {
  const { context, page } = await signedInPage();
  const ids = await appIds(page);
  await context.close();

  const fresh = await browser.newContext();
  await fresh.route('https://mail.northwind.example/**', (route) =>
    route.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><title>Mail</title><h1>Inbox</h1>' }));
  const tab = await fresh.newPage();
  await tab.goto(`${BASE}/launch/${ids['Mail']}`);
  assert.match(tab.url(), /\/sign-in\?return_to=%2Flaunch%2F/);
  await signIn(tab, EMPLOYEE);
  await tab.waitForURL('https://mail.northwind.example/');
  assert.equal(await tab.getByRole('heading').innerText(), 'Inbox');
  await fresh.close();
});

test('search narrows the grid as you type', async () => {
  const { context, page } = await signedInPage();
  await hydrated(page);
  const tiles = page.locator('li.tile');
  const before = await tiles.count();
  assert.ok(before > 10, `many tiles (${before})`);
  await page.keyboard.press('/');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'app-search', '"/" focuses search');
  await page.keyboard.type('tailspin');
  await page.getByRole('heading', { name: '1 result' }).waitFor();
  assert.equal(await tiles.count(), 1);
  assert.equal(await page.locator('.tile-name').innerText(), 'Issue Tracker');
  await page.getByLabel('Search apps').fill('no such thing');
  await page.getByText('No apps match').waitFor();
  await page.getByRole('button', { name: 'Clear search' }).click();
  await page.waitForFunction((n) => document.querySelectorAll('li.tile').length === n, before);
  await context.close();
});

test('category chips filter the grid without reloading the page', async () => {
  const { context, page } = await signedInPage();
  await hydrated(page);
  const before = await page.locator('li.tile').count();
  // A full navigation would reset this marker; the router must not reload.
  await page.evaluate(() => { window.__samePage = true; });
  const chips = page.getByRole('navigation', { name: 'Categories' });
  await chips.getByRole('link', { name: /^Collaboration/ }).click();
  await page.waitForURL(/\?category=Collaboration$/);
  await page.getByRole('heading', { name: /^Collaboration · \d+ apps?$/ }).waitFor();
  const names = await page.locator('.tile-name').allInnerTexts();
  assert.ok(names.length >= 2 && names.length < before, `${names.length} of ${before}`);
  assert.ok(names.includes('Whiteboard'));
  assert.equal(await chips.getByRole('link', { name: /^Collaboration/ }).getAttribute('aria-current'), 'page');
  // Search within the category.
  await page.getByLabel('Search apps').fill('whiteboard');
  await page.getByRole('heading', { name: '1 result in Collaboration' }).waitFor();
  // "All" keeps the search and drops the category.
  await chips.getByRole('link', { name: /^All/ }).click();
  await page.waitForURL(/\/\?q=whiteboard$/);
  await page.getByRole('heading', { name: /^\d+ results?$/ }).waitFor();
  assert.equal(await page.evaluate(() => window.__samePage), true, 'no full reload');
  await assertAccessible(page, 'My Apps filtered by category');
  await context.close();
});

test('arrow keys move between tiles', async () => {
  const { context, page } = await signedInPage();
  await hydrated(page);
  const links = page.locator('.tile-link');
  await links.nth(0).focus();
  await page.keyboard.press('ArrowRight');
  const second = await links.nth(1).getAttribute('data-app-id');
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-app-id')), second);
  await page.keyboard.press('ArrowLeft');
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-app-id')), await links.nth(0).getAttribute('data-app-id'));
  await context.close();
});

test('pinning is kept on the server', async () => {
  const { context, page } = await signedInPage();
  await hydrated(page);
  const pin = page.getByRole('button', { name: 'Pin Expenses to Favourites' }).first();
  await pin.click();
  await page.getByRole('heading', { name: 'Favourites' }).waitFor();
  await page.reload();
  await page.getByRole('heading', { name: 'Favourites' }).waitFor();
  assert.equal(await page.getByRole('button', { name: 'Pin Expenses to Favourites' }).first().getAttribute('aria-pressed'), 'true');
  // unpin again, leaving the demo as it was
  await hydrated(page);
  await page.getByRole('button', { name: 'Pin Expenses to Favourites' }).first().click();
  await page.waitForFunction(() => !document.querySelector('#favourites-heading'));
  await context.close();
});

test('a refused launch explains itself and shows the support block', async () => {
  const { context, page } = await signedInPage();
  await page.goto(`${BASE}/launch/${UNKNOWN_APP}`);
  await page.waitForURL(/\/launch-refused\?ref=/);
  await page.getByRole('heading', { name: "We can't find that app" }).waitFor();
  const support = page.getByTestId('support-block');
  const text = await support.innerText();
  const correlation = new URL(page.url()).searchParams.get('ref');
  for (const expected of ['app_not_found', correlation, EMPLOYEE, 'Tenant ID', 'Browser', 'Time (UTC)']) {
    assert.ok(text.includes(expected), `support block shows ${expected}`);
  }
  assert.ok(await support.getByRole('button', { name: 'Copy the troubleshooting details' }).isVisible());
  await context.close();
});

test('an employee consents on the prompt, the app opens, and they remove the consent again', async () => {
  const { context, page } = await signedInPage();
  await context.route('https://git.northwind.example/**', (route) =>
    route.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><title>Git</title><h1>Repositories</h1>' }));
  const ids = await appIds(page);
  await page.goto(`${BASE}/launch/${ids['Source Control']}`);
  await page.getByRole('heading', { name: 'Source Control wants permission' }).waitFor();
  const asks = await page.locator('.permission-list').innerText();
  for (const words of ['Sign you in', 'View your basic profile', 'Maintain access']) {
    assert.ok(asks.includes(words), `the prompt lists ${words}`);
  }
  await page.getByRole('button', { name: 'Accept and open' }).click();
  await page.waitForURL(/^https:\/\/git\.northwind\.example\/login\?iss=/);

  await page.goto(`${BASE}/my-consents`);
  await page.getByRole('heading', { name: 'Source Control', level: 2 }).waitFor();
  await page.getByRole('link', { name: 'Remove Source Control' }).click();
  await page.getByRole('heading', { name: 'Remove Source Control?' }).waitFor();
  await page.getByRole('button', { name: 'Remove', exact: true }).click();
  await page.getByText('Removed. The app can no longer use those permissions').waitFor();
  assert.equal(await page.getByRole('heading', { name: 'Source Control', level: 2 }).count(), 0);
  // The next launch asks again.
  await page.goto(`${BASE}/launch/${ids['Source Control']}`);
  await page.getByRole('heading', { name: 'Source Control wants permission' }).waitFor();
  await context.close();
});

test('Back and Forward move between category filters without a reload', async () => {
  const { context, page } = await signedInPage();
  await hydrated(page);
  await page.evaluate(() => { window.__samePage = true; });
  const chips = page.getByRole('navigation', { name: 'Categories' });
  await chips.getByRole('link', { name: /^Collaboration/ }).click();
  await page.getByRole('heading', { name: /^Collaboration · \d+ apps?$/ }).waitFor();
  await page.goBack();
  await page.waitForURL(`${BASE}/`);
  await page.waitForFunction(() => document.querySelector('nav[aria-label="Categories"] a[aria-current="page"]')?.textContent.startsWith('All'));
  assert.equal(await page.getByRole('heading', { name: /^Collaboration · / }).count(), 0);
  await page.goForward();
  await page.getByRole('heading', { name: /^Collaboration · \d+ apps?$/ }).waitFor();
  assert.equal(await page.evaluate(() => window.__samePage), true, 'no full reload');
  await context.close();
});

test('the copy button on an app’s details copies its deep link', async () => {
  const context = await browser.newContext({ permissions: ['clipboard-read', 'clipboard-write'] });
  const page = await context.newPage();
  await page.goto(`${BASE}/sign-in`);
  await signIn(page, EMPLOYEE);
  await page.waitForURL(`${BASE}/`);
  const ids = await appIds(page);
  await page.goto(`${BASE}/apps/${ids['Whiteboard']}`);
  await hydrated(page);
  await page.getByRole('button', { name: 'Copy the link to this app' }).click();
  await page.getByRole('button', { name: 'Copy the link to this app' }).getByText('Copied').waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), `${BASE}/launch/${ids['Whiteboard']}`);
  await context.close();
});
