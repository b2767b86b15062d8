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
    await page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Consent' }).click();
    await page.getByRole('heading', { name: 'Consent settings', level: 1 }).waitFor();
    await page.getByLabel('Find a user or group to add').fill('Finance');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('button', { name: 'Add Finance (group) as a reviewer' }).waitFor();
    await assertAccessible(page, 'consent settings');
    await page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Permissions' }).click();
    await page.getByRole('heading', { name: 'Permissions', level: 1 }).waitFor();
    await assertAccessible(page, 'permission catalogue');
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

for (const colorScheme of ['light', 'dark']) {
  test(`the groups pages are accessible (${colorScheme})`, async () => {
    const { context, page } = await signedIn(PRIVILEGED_ADMIN, colorScheme);
    await page.goto(`${BASE}/admin`);
    await page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Groups' }).click();
    await page.getByRole('heading', { name: 'Groups', level: 1 }).waitFor();
    await assertAccessible(page, 'groups');
    await page.getByRole('link', { name: 'Engineering', exact: true }).click();
    await page.getByRole('heading', { name: 'Engineering', level: 1 }).waitFor();
    await page.getByLabel('Find a person or a group').fill('sales');
    await page.getByRole('button', { name: 'Find' }).click();
    await page.getByRole('button', { name: 'Add the group Sales EMEA' }).waitFor();
    await assertAccessible(page, 'a group, with matches to add');
    await page.getByRole('link', { name: 'Delete' }).click();
    await page.getByRole('heading', { name: 'Delete Engineering?' }).waitFor();
    await assertAccessible(page, 'deleting a group');
    await page.getByRole('link', { name: 'Cancel' }).click();
    await page.getByRole('link', { name: 'Edit', exact: true }).click();
    await page.getByRole('heading', { name: 'Edit Engineering', level: 1 }).waitFor();
    await assertAccessible(page, 'editing a group');
    await context.close();
  });
}

test('an admin builds a group, adds a person, is refused a loop, and deletes it', async () => {
  const { context, page } = await signedIn(PRIVILEGED_ADMIN);
  await page.goto(`${BASE}/admin/groups`);
  await page.getByRole('link', { name: 'New group' }).click();
  await page.getByLabel('Name').fill('Browser Testers');
  await page.getByLabel('Description').fill('Made by the browser tests');
  await page.getByRole('button', { name: 'Create group' }).click();
  await page.getByRole('heading', { name: 'Browser Testers', level: 1 }).waitFor();
  await page.getByText('Created.').waitFor();

  await page.getByLabel('Find a person or a group').fill('alex');
  await page.getByRole('button', { name: 'Find' }).click();
  await page.getByRole('button', { name: 'Add Alex Wu' }).click();
  await page.getByText('Added. They have what the group gives at once.').waitFor();
  assert.match(await page.locator('table.data-table').innerText(), /alex\.wu@northwind\.example/);

  // Nest Engineering in it, then try to nest it in Engineering: a loop.
  await page.getByLabel('Find a person or a group').fill('engineering');
  await page.getByRole('button', { name: 'Find' }).click();
  await page.getByRole('button', { name: 'Add the group Engineering' }).click();
  await page.getByText('Added. They have what the group gives at once.').waitFor();
  await page.getByRole('link', { name: 'Engineering', exact: true }).click();
  await page.getByRole('heading', { name: 'Engineering', level: 1 }).waitFor();
  await page.getByLabel('Find a person or a group').fill('browser');
  await page.getByRole('button', { name: 'Find' }).click();
  await page.getByRole('button', { name: 'Add the group Browser Testers' }).click();
  await page.getByText('“Browser Testers” can\'t become a member of “Engineering”: “Engineering” is already inside “Browser Testers” (Engineering → Browser Testers), so that would make a loop.').waitFor();

  // Delete it again (the demo stays as it was).
  await page.goto(`${BASE}/admin/groups?q=browser`);
  await page.getByRole('link', { name: 'Browser Testers' }).click();
  await page.getByRole('link', { name: 'Delete' }).click();
  await page.getByRole('button', { name: 'Delete the group' }).click();
  await page.getByText('Deleted. Its members lost what they had through it.').waitFor();
  await context.close();
});

const APP_ADMIN = 'sam.patel@northwind.example';

for (const colorScheme of ['light', 'dark']) {
  test(`the apps pages are accessible (${colorScheme})`, async () => {
    const { context, page } = await signedIn(APP_ADMIN, colorScheme);
    await page.goto(`${BASE}/admin`);
    await page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Apps', exact: true }).click();
    await page.getByRole('heading', { name: 'Apps', level: 1 }).waitFor();
    await assertAccessible(page, 'apps');
    await page.getByRole('link', { name: 'Team Chat', exact: true }).click();
    await page.getByRole('heading', { name: 'Team Chat', level: 1 }).waitFor();
    await assertAccessible(page, 'an OIDC app');
    await page.getByRole('link', { name: 'Who can use it' }).click();
    await page.getByRole('heading', { name: 'Who can use Team Chat', level: 1 }).waitFor();
    await page.getByLabel('Find a person or a group').fill('eng');
    await page.getByRole('button', { name: 'Find' }).click();
    await page.getByRole('button', { name: 'Assign to the group Engineering' }).waitFor();
    await assertAccessible(page, 'who can use an app');
    await page.getByRole('link', { name: '← Team Chat' }).click();
    await page.getByRole('link', { name: 'Edit', exact: true }).click();
    await page.getByRole('heading', { name: 'Edit Team Chat', level: 1 }).waitFor();
    await assertAccessible(page, 'editing an app');
    await page.goto(`${BASE}/admin/apps/new`);
    await assertAccessible(page, 'registering an app');
    await page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Connected apps' }).click();
    await page.getByRole('heading', { name: 'Connected applications', level: 1 }).waitFor();
    await page.getByRole('img', { name: /requests in the last 30 days|No requests/ }).first().waitFor();
    await assertAccessible(page, 'connected applications');
    await context.close();
  });
}

test('an app admin registers an OIDC app, sees its secret once, copies its link, and deletes it', async () => {
  const { context, page } = await signedIn(APP_ADMIN);
  await page.goto(`${BASE}/admin/apps/new`);
  await page.getByLabel('Name', { exact: true }).fill('Browser Board');
  await page.getByLabel('How people sign in to it').selectOption('oidc');
  await page.getByLabel('Redirect URIs').fill('http://board.example/cb');
  await page.getByRole('button', { name: 'Register the app' }).click();
  await page.getByText('A redirect URI must start with https://').waitFor();
  assert.equal(await page.getByLabel('Name', { exact: true }).inputValue(), 'Browser Board');
  await page.getByLabel('Redirect URIs').fill('https://board.example/cb');
  await page.getByRole('button', { name: 'Register the app' }).click();
  await page.getByRole('heading', { name: 'App registered' }).waitFor();
  const secret = await page.getByLabel('Client secret').innerText();
  assert.ok(secret.length >= 22, secret);
  await page.getByRole('link', { name: 'Go to Browser Board' }).click();
  await page.getByRole('heading', { name: 'Browser Board', level: 1 }).waitFor();
  assert.ok(!(await page.content()).includes(secret), 'the secret is not shown again');
  await page.getByRole('button', { name: 'Copy the user access URL' }).waitFor();

  // Assign it to Alex from a search; he is listed with how he has it.
  await page.getByRole('link', { name: 'Who can use it' }).click();
  await page.getByLabel('Find a person or a group').fill('alex.wu');
  await page.getByRole('button', { name: 'Find' }).click();
  await page.getByRole('button', { name: 'Assign to Alex Wu' }).click();
  await page.getByText('Assigned. It is theirs from their next launch.').waitFor();
  assert.match(await page.locator('table.data-table').innerText(), /alex\.wu@northwind\.example\s+Assigned directly/);
  await page.getByRole('link', { name: '← Browser Board' }).click();

  // A logo: an SVG is refused with its reason, a PNG shows.
  await page.getByLabel('Upload a logo').setInputFiles({ name: 'logo.svg', mimeType: 'image/svg+xml', buffer: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>') });
  await page.getByRole('button', { name: 'Upload', exact: true }).click();
  await page.getByText('SVG is not accepted').waitFor();
  const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAABAAAAAQCAYAAAAf8/9hAAAAGUlEQVR4nGOQqzjxnxLMMGrAqAGjBgwXAwC6dV0fK4JiqwAAAABJRU5ErkJggg==', 'base64');
  await page.getByLabel('Upload a logo').setInputFiles({ name: 'logo.png', mimeType: 'image/png', buffer: png });
  await page.getByRole('button', { name: 'Upload', exact: true }).click();
  await page.getByText("The new logo is on the app's tile.").waitFor();
  const logo = page.getByRole('img', { name: 'Browser Board logo' });
  assert.ok(await logo.evaluate((img) => img.complete && img.naturalWidth === 16), 'the logo loads from our origin');
  await assertAccessible(page, 'an app with its logo');

  await page.getByRole('link', { name: 'Delete' }).click();
  await page.getByRole('button', { name: 'Delete the app' }).click();
  await page.getByText('Deleted.', { exact: true }).waitFor();
  await context.close();
});

test('an app assigned to a group appears in a member\'s My Apps', async () => {
  const admin = await signedIn(APP_ADMIN);
  const page = admin.page;
  await page.goto(`${BASE}/admin/apps/new`);
  await page.getByLabel('Name', { exact: true }).fill('Browser Wiki');
  await page.getByLabel('Address (launch URL)').fill('https://wiki.browser.example/');
  await page.getByRole('button', { name: 'Register the app' }).click();
  await page.getByRole('heading', { name: 'Browser Wiki', level: 1 }).waitFor();
  await page.getByRole('link', { name: 'Who can use it' }).click();
  await page.getByLabel('Find a person or a group').fill('engineering');
  await page.getByRole('button', { name: 'Find' }).click();
  await page.getByRole('button', { name: 'Assign to the group Engineering' }).click();
  await page.getByText('Assigned. It is theirs from their next launch.').waitFor();

  // Alex is in Engineering through Platform Team: the tile is there.
  const member = await signedIn('alex.wu@northwind.example');
  await member.page.locator('li.tile', { hasText: 'Browser Wiki' }).waitFor();
  await member.context.close();

  await page.goto(page.url().replace(/\/assignments.*$/, '?confirm=delete'));
  await page.getByRole('button', { name: 'Delete the app' }).click();
  await page.getByText('Deleted.', { exact: true }).waitFor();
  await admin.context.close();
});

for (const colorScheme of ['light', 'dark']) {
  test(`the licenses pages are accessible (${colorScheme})`, async () => {
    const { context, page } = await signedIn(PRIVILEGED_ADMIN, colorScheme);
    await page.goto(`${BASE}/admin`);
    await page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Licenses' }).click();
    await page.getByRole('heading', { name: 'Licenses', level: 1 }).waitFor();
    await assertAccessible(page, 'licenses');
    await page.getByRole('link', { name: 'Design Pro', exact: true }).click();
    await page.getByRole('heading', { name: 'Design Pro', level: 1 }).waitFor();
    await page.getByLabel('Find a person or a group').fill('market');
    await page.getByRole('button', { name: 'Find' }).click();
    await page.getByRole('button', { name: 'Assign to the group Marketing' }).waitFor();
    await assertAccessible(page, 'a license, with matches to assign');
    await page.getByRole('link', { name: 'Edit', exact: true }).click();
    await page.getByRole('heading', { name: 'Edit Design Pro', level: 1 }).waitFor();
    await assertAccessible(page, 'editing a license');
    await page.goto(`${BASE}/admin/licenses/new`);
    await assertAccessible(page, 'a new license');
    await context.close();
  });
}

for (const colorScheme of ['light', 'dark']) {
  test(`an admin finds a refused launch by its correlation ID and downloads it (${colorScheme})`, async () => {
    const { context, page } = await signedIn('sam.patel@northwind.example', colorScheme);
    const payroll = await page.evaluate(async () => {
      const list = await (await fetch('/api/v1/admin/apps?search=Payroll')).json();
      return list.apps.find((a) => a.name === 'Payroll').id;
    });
    // Alex is refused Payroll; the refusal page shows the correlation ID.
    const employee = await signedIn('alex.wu@northwind.example', colorScheme);
    await employee.page.goto(`${BASE}/launch/${payroll}`);
    await employee.page.getByRole('heading', { name: "You don't have access to this app" }).waitFor();
    const correlation = new URL(employee.page.url()).searchParams.get('ref');
    assert.ok(correlation);
    await employee.context.close();

    await page.getByRole('link', { name: 'Admin', exact: true }).click();
    await page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Sign-ins' }).click();
    await page.getByRole('heading', { name: 'Sign-ins', level: 1 }).waitFor();
    await page.getByLabel('Correlation ID').fill(correlation);
    await page.getByRole('button', { name: 'Show sign-ins' }).click();
    await page.waitForURL(new RegExp(`correlation_id=${correlation}`));
    const rows = page.locator('table.data-table tbody tr');
    assert.equal(await rows.count(), 1);
    assert.match(await rows.first().innerText(), /alex\.wu@northwind\.example[\s\S]*Payroll[\s\S]*failure[\s\S]*not_assigned/);
    await assertAccessible(page, 'the sign-in log');
    const download = page.waitForEvent('download');
    await page.getByRole('link', { name: 'Download CSV' }).click();
    const file = await (await download).path();
    const text = (await import('node:fs')).readFileSync(file, 'utf8');
    assert.match(text, /^time,correlation_id,user,/);
    assert.ok(text.includes(correlation));

    await page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Audit log' }).click();
    await page.getByRole('heading', { name: 'Audit log', level: 1 }).waitFor();
    await page.getByLabel('From (UTC)').fill('2030-01-01T00:00');
    await page.getByLabel('Until (UTC)').fill('2020-01-01T00:00');
    await page.getByRole('button', { name: 'Show changes' }).click();
    await page.getByText('The end of the range must come after its start.').waitFor();
    await assertAccessible(page, 'the audit log with a problem');
    await context.close();
  });
}

for (const colorScheme of ['light', 'dark']) {
  test(`a privileged admin creates an API token, sees its secret once, and revokes it (${colorScheme})`, async () => {
    const { context, page } = await signedIn(PRIVILEGED_ADMIN, colorScheme);
    await page.getByRole('link', { name: 'Admin', exact: true }).click();
    await page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'API tokens' }).click();
    await page.getByRole('heading', { name: 'API tokens', level: 1 }).waitFor();
    await assertAccessible(page, 'API tokens');
    const name = `Browser sync ${colorScheme}`;
    await page.getByLabel('Name', { exact: true }).fill(name);
    await page.getByLabel('Acts as').selectOption('app_admin');
    await page.getByRole('button', { name: 'Create token' }).click();
    await page.getByRole('heading', { name: 'API token created' }).waitFor();
    const secret = await page.getByLabel('API token').innerText();
    assert.match(secret, /^mya_[A-Za-z0-9_-]{43}$/);
    await assertAccessible(page, 'a new API token');
    // A script uses it: no cookies, just the header.
    const used = await fetch(`${BASE}/api/v1/admin/apps`, { headers: { authorization: `Bearer ${secret}` } });
    assert.equal(used.status, 200);

    await page.getByRole('link', { name: 'All API tokens' }).click();
    const row = page.locator('table.data-table tbody tr', { hasText: name });
    assert.match(await row.innerText(), /App admin[\s\S]*Active[\s\S]*mya_…/);
    assert.ok(!(await page.content()).includes(secret.slice(4)), 'the list never shows the secret');
    await page.getByRole('link', { name: `Revoke ${name}` }).click();
    await page.getByRole('heading', { name: `Revoke ${name}?` }).waitFor();
    await assertAccessible(page, 'revoking an API token');
    await page.getByRole('button', { name: 'Revoke the token' }).click();
    await page.getByText('Revoked. Whatever used it is refused from its next request.').waitFor();
    assert.match(await row.innerText(), /Revoked/);
    const refused = await fetch(`${BASE}/api/v1/admin/apps`, { headers: { authorization: `Bearer ${secret}` } });
    assert.equal(refused.status, 401);

    // The API it opens, described: the reference page drawn from the OpenAPI document.
    await page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'API reference' }).click();
    await page.getByRole('heading', { name: 'My Apps API', level: 1 }).waitFor();
    await page.getByRole('navigation', { name: 'Contents' }).getByRole('link', { name: /Creates an API token/ }).click();
    assert.match(page.url(), /#post-api-v1-admin-api-tokens$/);
    await assertAccessible(page, 'the API reference');
    await context.close();
  });
}
