// Bytes Chromium transfers for a first visit (cold cache) of the sign-in
// page and of My Apps: node bench/first-load.mjs BASE_URL
import { createRequire } from 'node:module';

const base = process.argv[2];
const browserTests = new URL('../tests/browser/', import.meta.url);
const require = createRequire(new URL('package.json', browserTests));
const { chromium } = require('playwright-core');
const { firstLoad } = await import(new URL('first-load.mjs', browserTests));

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  let context = await browser.newContext();
  const signIn = await firstLoad(context, `${base}/sign-in`);
  console.log(`first load of the sign-in page: ${signIn.total} bytes transferred\n${signIn.table}`);
  await context.close();

  context = await browser.newContext();
  const form = await context.request.get(`${base}/sign-in`, { headers: { accept: 'text/html' } });
  const csrf = /name="csrf_token" value="([^"]+)"/.exec(await form.text())[1];
  await context.request.post(`${base}/auth/sign-in`, {
    form: { csrf_token: csrf, upn: 'alex.wu@northwind.example', password: 'Northwind-Demo-2026' },
    maxRedirects: 0,
  });
  const myApps = await firstLoad(context, `${base}/`, { hydrates: true });
  console.log(`first load of My Apps: ${myApps.total} bytes transferred\n${myApps.table}`);
  await context.close();
} finally {
  await browser.close();
}
