// driver.mjs runs the browser peer for lkrpc's Go end-to-end tests: it
// launches Debian's Chromium headless through playwright-core, opens the
// page the test serves, and then executes commands read from stdin, one
// JSON object per line ({"id": 1, "fn": "call", "args": [...]}), by calling
// window.lkrpcPeer[fn](...args) in the page; answers as commands.mjs says.
// The page's warnings and errors go to stderr. End of stdin closes the
// browser.
//
// Usage: node driver.mjs <page URL>
import { chromium } from 'playwright-core';
import { runCommands } from './commands.mjs';

const pageURL = process.argv[2];
if (!pageURL) {
  console.error('usage: node driver.mjs <page URL>');
  process.exit(2);
}

// Flags that keep Chromium quiet and on this machine (e2e/README.md). playwright
// adds --headless and a fresh profile directory itself.
const flags = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
  '--disable-features=WebRtcHideLocalIpsWithMdns',
  '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1',
];

const browser = await chromium.launch({
  executablePath: process.env.LKRPC_CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: flags,
});
const page = await browser.newPage();
// The SDK logs every state change at info level (including the join URL);
// pass on warnings and errors unless LKRPC_E2E_BROWSER_LOG=1.
const allConsole = process.env.LKRPC_E2E_BROWSER_LOG === '1';
page.on('console', (msg) => {
  if (allConsole || msg.type() === 'error' || msg.type() === 'warning') {
    process.stderr.write(`[page ${msg.type()}] ${msg.text()}\n`);
  }
});
page.on('pageerror', (err) => process.stderr.write(`[page error] ${err.message}\n`));
await page.goto(pageURL);
await page.waitForFunction(() => window.lkrpcPeer !== undefined);
await runCommands((fn, args) => page.evaluate(([f, a]) => window.lkrpcPeer[f](...a), [fn, args]));
await browser.close();
