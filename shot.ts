import { chromium } from 'playwright-core';
import { serveFolder } from './test/helpers/static-server.ts';
const { url, server } = await serveFolder('/tmp/sl/go');
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
const errors: string[] = [];
page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
page.on('requestfailed', (r) => errors.push('FAILED ' + r.url()));
page.on('pageerror', (e) => errors.push(String(e)));
for (const n of [1, 7, 8]) {
  await page.goto(`${url}/#/${n}`, { waitUntil: 'networkidle' });
  await page.waitForTimeout(800);
  await page.screenshot({ path: `/tmp/sl/shot-${n}.png` });
}
console.log('errors', JSON.stringify(errors.map(e => e.slice(0, 300)), null, 1));
page.on('request', () => {});
await browser.close(); server.close();
