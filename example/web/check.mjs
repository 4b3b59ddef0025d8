// check.mjs opens the example frontend in headless Chromium (Debian's
// /usr/bin/chromium through playwright-core), runs every call with "Run
// all", checks what each card shows, takes a screenshot and checks that it
// is not blank: the DOM text must hold the expected results and the PNG's
// pixels must vary (a blank or error page is one flat colour).
//
// Usage: node check.mjs <page URL> <screenshot.png>
import { chromium } from 'playwright-core';
import { writeFileSync } from 'node:fs';

const [url, shot] = process.argv.slice(2);
if (!url || !shot) {
  console.error('usage: node check.mjs <page URL> <screenshot.png>');
  process.exit(2);
}

const browser = await chromium.launch({
  executablePath: process.env.LKRPC_CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: [
    '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--disable-dev-shm-usage', '--disable-features=WebRtcHideLocalIpsWithMdns',
    '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1',
  ],
});
let passed = 0;
let failed = 0;
const check = (ok, what) => {
  if (ok) passed++;
  else failed++;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
};

try {
  const page = await browser.newPage({ viewport: { width: 960, height: 720 } });
  page.on('pageerror', (e) => console.error(`[page error] ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') console.error(`[page console] ${m.text()}`);
  });
  const t0 = Date.now();
  await page.goto(url);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
  console.log(`page connected in ${Date.now() - t0} ms`);
  await page.click('#run-all');
  const t1 = Date.now();
  // Watch the large call's phases while it runs: progress must show.
  const sawProgress = await page
    .waitForFunction(() => /uploading and waiting for the agent — \d+\.\d s/.test(document.querySelector('#summarize')?.textContent ?? ''), null, { timeout: 30_000 })
    .then(() => true, () => false);
  await page.waitForFunction(
    () => [...document.querySelectorAll('.card')].every((c) => c.dataset.state === 'done' || c.dataset.state === 'error'),
    null,
    { timeout: 90_000 },
  );
  console.log(`all calls settled in ${Date.now() - t1} ms`);

  const card = async (id) => ({
    state: await page.getAttribute(`#${id}`, 'data-state'),
    text: await page.innerText(`#${id}`),
  });
  const status = await card('get-status');
  check(status.state === 'done' && /state: AGENT_STATE_LISTENING/.test(status.text) && /voice: alloy/.test(status.text), 'GetStatus shows the typed status');
  const ping = await card('ping');
  check(ping.state === 'done' && /pong: agent clock \d{4}-\d\d-\d\dT/.test(ping.text), 'Ping shows the agent clock');
  const sum = await card('summarize');
  check(sawProgress, 'Summarize showed its phases and elapsed time while it ran');
  check(
    sum.state === 'done' && /request encoded: 1\.0\d MiB of JSON/.test(sum.text) && /reply decoded — done in \d+ ms/.test(sum.text) && /key points: 10/.test(sum.text),
    'Summarize (1 MiB) completed with its phases and result',
  );
  check(/example\.agent\.v1\.VoiceAgent\/Summarize · json · timeout 60000 ms/.test(sum.text), 'the wire name and options come from the descriptors');
  // Answer streams word by word (the agent pauses 40 ms between words):
  // the text grew in many steps spread over time, and completed.
  const answer = await card('answer');
  const lengths = ((await page.getAttribute('#answer', 'data-lengths')) ?? '').split(',').map(Number);
  const times = ((await page.getAttribute('#answer', 'data-times')) ?? '').split(',').map(Number);
  console.log(`Answer: ${lengths.length} chunks; text lengths ${lengths.join(',')}; at ms ${times.join(',')}`);
  check(
    lengths.length >= 10 && lengths.every((n, i) => i === 0 || n > lengths[i - 1]) && times.at(-1) - times[0] >= (lengths.length - 1) * 40 * 0.8,
    'Answer arrived in pieces over time (intermediate lengths grew step by step)',
  );
  check(
    answer.state === 'done' && /You asked about streaming replies\. Here is what I know: .* no longer listens\./.test(answer.text) &&
      /\d+ chunks, complete in \d+ ms/.test(answer.text) && lengths.at(-1) === answer.text.match(/You asked[^\n]*listens\./)?.[0].length,
    'Answer completed with the whole text',
  );
  check(/example\.agent\.v1\.VoiceAgent\/Answer · json · timeout 30000 ms/.test(answer.text), 'Answer\'s wire name and timeout come from the descriptors');
  const voice = await card('set-voice');
  check(
    voice.state === 'error' && /error 4040: voice nova is not available/.test(voice.text) &&
      /VoiceUnavailable/.test(voice.text) && /"availableVoiceIds": \[\s*"alloy",\s*"echo"\s*\]/.test(voice.text),
    'SetVoice("nova") shows error 4040 with its VoiceUnavailable details',
  );
  for (const c of [status, ping, sum, answer, voice]) console.log('---\n' + c.text);

  const png = await page.screenshot({ fullPage: true });
  writeFileSync(shot, png);
  // Pixel statistics of the screenshot, computed by the browser from the PNG.
  const stats = await page.evaluate(async (b64) => {
    const img = new Image();
    img.src = 'data:image/png;base64,' + b64;
    await img.decode();
    const canvas = document.createElement('canvas');
    canvas.width = img.width;
    canvas.height = img.height;
    const ctx = canvas.getContext('2d');
    ctx.drawImage(img, 0, 0);
    const { data } = ctx.getImageData(0, 0, img.width, img.height);
    let sum = 0, sum2 = 0;
    const colours = new Set();
    const n = data.length / 4;
    for (let i = 0; i < data.length; i += 4) {
      const y = 0.299 * data[i] + 0.587 * data[i + 1] + 0.114 * data[i + 2];
      sum += y;
      sum2 += y * y;
      if (colours.size < 10000) colours.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
    }
    const mean = sum / n;
    return { width: img.width, height: img.height, mean, variance: sum2 / n - mean * mean, colours: colours.size };
  }, png.toString('base64'));
  console.log(`screenshot ${shot}: ${stats.width}x${stats.height}, luminance mean ${stats.mean.toFixed(1)}, variance ${stats.variance.toFixed(1)}, ${stats.colours} colours`);
  check(stats.variance > 200 && stats.colours > 100, 'the screenshot is not blank (luminance variance > 200, > 100 colours)');
} catch (e) {
  failed++;
  console.log(`FAIL ${e.message}`);
} finally {
  await browser.close();
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
