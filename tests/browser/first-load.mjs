// Measures one page load as Chromium transfers it, through the DevTools
// protocol: every response, its bytes on the wire (`encodedDataLength`:
// headers and compressed body, 0 when served from the cache), its encoding
// and caching. Shared by the first-load test and the bench.

/**
 * Loads `url` in a page of `context` (or in `options.page`) and waits until
 * it is complete: hydrated when `options.hydrates`, network idle otherwise.
 * Returns { total, files: [{ path, bytes, encoding, cacheControl, fromCache }], table, page }.
 */
export async function firstLoad(context, url, options = {}) {
  const page = options.page ?? (await context.newPage());
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  const seen = new Map();
  const entry = (id) => {
    if (!seen.has(id)) seen.set(id, { path: '', bytes: 0, encoding: '', cacheControl: '', fromCache: false });
    return seen.get(id);
  };
  cdp.on('Network.responseReceived', (e) => {
    const f = entry(e.requestId);
    const headers = Object.fromEntries(Object.entries(e.response.headers).map(([k, v]) => [k.toLowerCase(), v]));
    f.path = new URL(e.response.url).pathname;
    f.encoding = headers['content-encoding'] ?? '';
    f.cacheControl = headers['cache-control'] ?? '';
    f.fromCache ||= !!(e.response.fromDiskCache || e.response.fromPrefetchCache || e.response.fromServiceWorker);
  });
  cdp.on('Network.requestServedFromCache', (e) => { entry(e.requestId).fromCache = true; });
  cdp.on('Network.loadingFinished', (e) => { entry(e.requestId).bytes = e.encodedDataLength; });
  await page.goto(url, { waitUntil: 'load' });
  if (options.hydrates) await page.waitForSelector('body[data-hydrated="true"]');
  await page.waitForLoadState('networkidle');
  await cdp.detach();
  const files = [...seen.values()].filter((f) => f.path);
  for (const f of files) if (f.fromCache) f.bytes = 0;
  const total = files.reduce((n, f) => n + f.bytes, 0);
  const table = files
    .map((f) => `  ${String(f.bytes).padStart(8)}  ${(f.fromCache ? 'cache' : f.encoding || '-').padEnd(5)}  ${f.path}`)
    .join('\n') + `\n  ${String(total).padStart(8)}  total`;
  return { total, files, table, page };
}
