// The admin-consent workflow in the browser: an employee who may not
// consent asks for approval with a justification, follows it on My
// requests, a reviewer finds it under the bell and in the queue, denies it
// with a reason, approves the second ask, and the employee's next launch
// opens the app. Lead Enricher (Leadly: not a verified publisher; it asks to
// send mail as you, high impact) is one Sam, in Sales EMEA, may not consent
// to under the demo's policy; Morgan reviews.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE, launch, assertAccessible, signIn } from './harness.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const REQUESTER = 'sam.patel@northwind.example';
const REVIEWER = 'morgan.lee@northwind.example';

async function signedIn(upn, colorScheme = 'light') {
  const context = await browser.newContext({ colorScheme });
  const page = await context.newPage();
  await page.goto(`${BASE}/sign-in`);
  await signIn(page, upn);
  await page.waitForURL(`${BASE}/`);
  return { context, page };
}

async function appId(page, name) {
  const res = await page.request.get(`${BASE}/api/v1/me/apps`);
  assert.equal(res.status(), 200);
  const app = (await res.json()).apps.find((a) => a.name === name);
  assert.ok(app, `${name} is on My Apps`);
  return app.id;
}

async function askForApproval(page, enricher, justification) {
  await page.goto(`${BASE}/launch/${enricher}`);
  await page.getByRole('heading', { name: 'Approval required' }).waitFor();
  await page.getByLabel('Why do you need this app?').fill(justification);
  await page.getByRole('button', { name: 'Request approval' }).click();
  await page.getByRole('heading', { name: 'Request sent' }).waitFor();
}

test('an employee asks for approval, a reviewer denies then approves, and the app opens', async () => {
  const sam = await signedIn(REQUESTER);
  const enricher = await appId(sam.page, 'Lead Enricher');

  // Approval required: a justification is required.
  await sam.page.goto(`${BASE}/launch/${enricher}`);
  await sam.page.getByRole('heading', { name: 'Approval required' }).waitFor();
  assert.equal(await sam.page.getByRole('button', { name: 'Accept and open' }).count(), 0);
  await assertAccessible(sam.page, 'approval required');
  await askForApproval(sam.page, enricher, 'I qualify the EMEA leads.');
  await assertAccessible(sam.page, 'request sent');
  // Asking again sends nothing and says when they asked.
  await sam.page.goto(`${BASE}/consent/${enricher}`);
  await sam.page.getByRole('heading', { name: 'You already asked' }).waitFor();
  await sam.page.getByRole('link', { name: 'See my requests' }).click();
  const mine = sam.page.getByTestId('my-request').first();
  await mine.getByText('Waiting for review').waitFor();
  assert.ok((await mine.innerText()).includes('I qualify the EMEA leads.'));
  await assertAccessible(sam.page, 'my requests');

  // The reviewer: the bell counts it, the queue shows it.
  const morgan = await signedIn(REVIEWER);
  const bell = morgan.page.getByTestId('bell');
  assert.match(await bell.getAttribute('aria-label'), /Notifications: \d+ unread/);
  await bell.click();
  await morgan.page.getByRole('heading', { name: 'Notifications', level: 1 }).waitFor();
  await assertAccessible(morgan.page, 'notifications');
  await morgan.page.getByRole('link', { name: /asks for approval of Lead Enricher/ }).first().click();
  await morgan.page.getByRole('heading', { name: 'Requests to review', level: 1 }).waitFor();
  const card = morgan.page.getByTestId('review-app').filter({ hasText: 'Lead Enricher' });
  assert.ok((await card.innerText()).includes('I qualify the EMEA leads.'));
  assert.ok((await card.innerText()).includes('Publisher not verified'));
  await assertAccessible(morgan.page, 'review queue');
  // Deny needs a reason: the field says so.
  await card.getByRole('button', { name: 'Deny', exact: true }).click();
  await morgan.page.getByText('Give a reason: the requester sees it.').waitFor();
  await assertAccessible(morgan.page, 'review form with a problem');
  const again = morgan.page.getByTestId('review-app').filter({ hasText: 'Lead Enricher' });
  await again.getByLabel('Reason').fill('Use the CRM import for now.');
  await again.getByRole('button', { name: 'Deny', exact: true }).click();
  await morgan.page.getByText('Denied. The requesters are told').waitFor();

  // The requester is told, and asks again.
  await sam.page.goto(`${BASE}/`);
  await sam.page.getByTestId('bell').click();
  await sam.page.getByRole('link', { name: 'Your request for approval of Lead Enricher was denied' }).waitFor();
  assert.ok((await sam.page.locator('.notification-list').innerText()).includes('Use the CRM import for now.'));
  await sam.page.getByRole('button', { name: 'Mark all as read' }).click();
  await sam.page.getByText('All read.').waitFor();
  assert.equal(await sam.page.getByTestId('bell').getAttribute('aria-label'), 'Notifications');
  await askForApproval(sam.page, enricher, 'The shared account is gone.');

  // Approved for everyone: the next launch opens the app.
  await morgan.page.goto(`${BASE}/reviews`);
  const second = morgan.page.getByTestId('review-app').filter({ hasText: 'Lead Enricher' });
  await second.getByRole('button', { name: 'Approve Lead Enricher for everyone' }).click();
  await morgan.page.getByText('Approved. The requesters are told').waitFor();
  const launched = await sam.page.request.get(`${BASE}/launch/${enricher}`, { maxRedirects: 0 });
  assert.equal(launched.status(), 303);
  assert.match(launched.headers()['location'], /^https:\/\/app\.leadly\.example\/login\?iss=/, 'the launch goes to the app');
  await sam.page.goto(`${BASE}/my-requests`);
  await sam.page.getByText('Approved by Morgan Lee').waitFor();
  await sam.context.close();
  await morgan.context.close();
});

test('the requests pages are accessible in dark mode too', async () => {
  const morgan = await signedIn(REVIEWER, 'dark');
  for (const [path, heading] of [['/reviews?status=approved', 'Requests to review'], ['/notifications', 'Notifications'], ['/my-requests', 'My requests']]) {
    await morgan.page.goto(`${BASE}${path}`);
    await morgan.page.getByRole('heading', { name: heading, level: 1 }).waitFor();
    await assertAccessible(morgan.page, `${path} (dark)`);
  }
  await morgan.context.close();
});

for (const colorScheme of ['light', 'dark']) {
  test(`a privileged admin sees an app's grants and may grant for everyone (${colorScheme})`, async () => {
    const morgan = await signedIn(REVIEWER, colorScheme);
    await morgan.page.goto(`${BASE}/admin/apps`);
    await morgan.page.getByRole('link', { name: 'Team Chat', exact: true }).click();
    await morgan.page.getByRole('link', { name: 'Consent grants', exact: true }).click();
    await morgan.page.getByRole('heading', { name: 'Consent for Team Chat', level: 1 }).waitFor();
    const grant = morgan.page.getByTestId('grant').first();
    assert.ok((await grant.innerText()).includes('Everyone in the organisation'));
    assert.ok(await morgan.page.getByRole('button', { name: 'Grant for everyone in the organisation', exact: true }).isVisible());
    await assertAccessible(morgan.page, `an app's grants (${colorScheme})`);
    await morgan.context.close();
  });
}

test('an employee requests access from the refusal page and an admin gives it', async () => {
  // The deep link an admin would share: Payroll is not on Alex's My Apps.
  const admin = await signedIn(REVIEWER);
  const found = await (await admin.page.request.get(`${BASE}/api/v1/admin/apps?search=Payroll`)).json();
  const payroll = found.apps.find((a) => a.name === 'Payroll').id;
  await admin.context.close();
  const alex = await signedIn('alex.wu@northwind.example');
  await alex.page.goto(`${BASE}/launch/${payroll}`);
  await alex.page.getByRole('heading', { name: "You don't have access to this app" }).waitFor();
  await alex.page.getByRole('heading', { name: 'Request access' }).waitFor();
  await assertAccessible(alex.page, 'refusal page with Request access');
  await alex.page.getByLabel('Why do you need this app?').fill('I cover payroll questions during the audit.');
  await alex.page.getByRole('button', { name: 'Request access' }).click();
  await alex.page.getByRole('heading', { name: 'Request sent' }).waitFor();
  await assertAccessible(alex.page, 'access request sent');

  const morgan = await signedIn(REVIEWER);
  await morgan.page.goto(`${BASE}/reviews`);
  const card = morgan.page.getByTestId('review-app').filter({ hasText: 'Payroll' });
  assert.ok((await card.innerText()).includes('I cover payroll questions during the audit.'));
  await card.getByRole('button', { name: 'Give Alex Wu access' }).click();
  await morgan.page.getByText('Approved. The requesters are told').waitFor();

  const launched = await alex.page.request.get(`${BASE}/launch/${payroll}`, { maxRedirects: 0 });
  assert.equal(launched.status(), 303);
  assert.equal(launched.headers()['location'], 'https://payroll.woodgrove.example/', 'the next launch opens the app');
  await alex.page.goto(`${BASE}/my-requests`);
  await alex.page.getByTestId('my-request').filter({ hasText: 'Payroll' }).getByText('Approved').first().waitFor();
  await alex.context.close();
  await morgan.context.close();
});
