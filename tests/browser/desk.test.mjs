// Browser tests of the desk UI. run.sh starts a hub and two desks (A: 居宅 43, B: 訪問介護 11)
// and passes their URLs and folders in the environment. Tests run in order and build on each
// other (one month's exchange); each screen is saved under screenshots/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { chromium } from 'playwright-core';

const env = process.env;
const SHOTS = path.join(import.meta.dirname, 'screenshots');
const A = new URL(env.DESK_A_URL).origin;
const B = new URL(env.DESK_B_URL).origin;
const { CM, HV } = env;

let browser;
let a; // office A's page (logged in)
let b; // office B's page

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function until(what, fn, ms = 40000) {
  const end = Date.now() + ms;
  let last;
  while (Date.now() < end) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await sleep(300);
  }
  throw new Error(`timed out: ${what}${last ? ` (${last.message})` : ''}`);
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

const sampleNames = () => fs.readdirSync(env.SAMPLE_DIR);
const read = (name) => fs.readFileSync(path.join(env.SAMPLE_DIR, name));

/** The files of the sample's unit with this serial between these offices. */
function unitFiles(from, to, serial) {
  const tail = `_${from}_${to}_${serial}.CSV`;
  return sampleNames().filter((n) => n.endsWith(tail)).map((n) => [n, read(n)]);
}

/** Writes files into the outbox as the care software would: temporary name, then rename. */
function drop(files) {
  for (const [name, bytes] of files) {
    const tmp = path.join(env.A_OUTBOX, `${name}.tmp`);
    fs.writeFileSync(tmp, bytes);
    fs.renameSync(tmp, path.join(env.A_OUTBOX, name));
  }
}

const planOf = (kind) =>
  sampleNames().find((n) => n.startsWith(`UPPLAN_202504_${CM}_43_`) && n.includes(`_${kind}_`));
const serialOf = (name) => name.replace(/\.CSV$/, '').split('_').pop();

const PLAN_HV = planOf(HV + '_11');
const S1 = serialOf(PLAN_HV);
const S2 = '20250326100000'; // a later version of the same 利用票
const S3 = '20250330120000'; // a broken file

before(async () => {
  fs.mkdirSync(SHOTS, { recursive: true });
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    // A fresh temporary profile per launch (playwright's default for launch()).
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  const open = async (url) => {
    const ctx = await browser.newContext({ locale: 'ja-JP', viewport: { width: 1400, height: 900 } });
    const page = await ctx.newPage();
    const res = await page.goto(url);
    assert.equal(res.status(), 200);
    return page;
  };
  a = await open(env.DESK_A_URL);
  b = await open(env.DESK_B_URL);
});

after(async () => {
  await browser?.close();
});

test('a file set dropped into A’s outbox appears in B’s 受信箱 and import folder', async () => {
  const files = unitFiles(`${CM}_43`, `${HV}_11`, S1);
  assert.equal(files.length, 3, 'UPPLAN, UPSIKYU, UPHOSOKU');
  drop(files);
  await until('B’s 受信箱 shows the unit', async () => {
    await b.goto(`${B}/inbox`);
    return (await b.locator('tr', { hasText: S1 }).count()) > 0;
  });
  const row = b.locator('tr', { hasText: S1 });
  assert.match(await row.innerText(), /取込済/);
  const imported = fs.readdirSync(env.B_IMPORT);
  for (const [name] of files) assert.ok(imported.includes(name), `${name} in B's import folder`);
  // Sent files leave the outbox for its sent folder.
  await until('A’s outbox emptied', () => !fs.readdirSync(env.A_OUTBOX).some((n) => n.endsWith(`${S1}.CSV`)));
  await until('the arrival notice', async () => (await b.locator('#notices').innerText()).includes('届きました'));
  await shot(b, 'b-inbox');
});

test('B opens the unit as forms', async () => {
  await b.goto(`${B}/inbox`);
  await b.locator('tr', { hasText: S1 }).getByRole('link', { name: '帳票を開く' }).click();
  await b.waitForLoadState();
  const text = await b.locator('body').innerText();
  assert.match(text, /サービス利用票|第６表|第6表/);
  assert.match(text, new RegExp(S1));
  await shot(b, 'b-forms');
});

test('A sees 取込済 with B’s signed receipts', async () => {
  await until('A’s 送信済 shows 取込済', async () => {
    await a.goto(`${A}/sent`);
    const t = await a.locator('tr', { hasText: S1 }).innerText();
    return t.includes('取込済') && t.includes('署名検証済');
  });
  await shot(a, 'a-sent');
});

test('a broken file is held with its reason', async () => {
  const [name, bytes] = unitFiles(`${CM}_43`, `${HV}_11`, S1).find(([n]) => n.startsWith('UPPLAN_'));
  const broken = Buffer.from(bytes.toString('latin1').replace(',202504,', ',2025X4,'), 'latin1');
  drop([[name.replace(S1, S3), broken]]);
  const held = await until('A’s 送信済 shows the held unit', async () => {
    await a.goto(`${A}/sent`);
    const h = a.locator('article.held', { hasText: S3 });
    return (await h.count()) > 0 ? h : null;
  });
  const text = await held.innerText();
  assert.match(text, /検査でエラー/);
  assert.match(text, /E-[A-Z]+-\d+/);
  assert.ok(fs.existsSync(path.join(env.A_OUTBOX, name.replace(S1, S3))), 'held files stay in the outbox');
  await shot(a, 'a-held');
});

test('a changed plan shows its diff at B', async () => {
  const files = unitFiles(`${CM}_43`, `${HV}_11`, S1).map(([n, bytes]) => {
    if (n.startsWith('UPPLAN_')) {
      // The new version drops the first day of the first line.
      const i = bytes.indexOf(0x0a);
      bytes = bytes.subarray(i + 1);
    }
    return [n.replace(S1, S2), bytes];
  });
  drop(files);
  await until('B’s 利用者別 shows a changed plan', async () => {
    await b.goto(`${B}/history`);
    return (await b.locator('tr', { hasText: '変更あり' }).count()) > 0;
  });
  await shot(b, 'b-history');
  await b.locator('tr', { hasText: '変更あり' }).first().getByRole('link', { name: '最新版と変更点' }).click();
  await b.waitForLoadState();
  const text = await b.locator('main').innerText();
  assert.match(text, new RegExp(`最新版: ファイル連番 ${S2}`));
  assert.match(text, /日の変更|削除/);
  assert.match(text, new RegExp(`前の版（ファイル連番 ${S1}）からの変更`));
  await shot(b, 'b-diff');
});

test('a partner not on Tsunagu: the unit is held and a printable invitation counts our users', async () => {
  const day = sampleNames().find((n) => n.startsWith(`UPPLAN_202504_${CM}_43_`) && !n.includes(`_${HV}_11_`));
  const [, , , , to, kind] = day.replace(/\.CSV$/, '').split('_');
  drop(unitFiles(`${CM}_43`, `${to}_${kind}`, serialOf(day)));
  const held = await until('held for a partner not on Tsunagu', async () => {
    await a.goto(`${A}/sent`);
    const h = a.locator('article.held', { hasText: 'Tsunagu 未利用' });
    return (await h.count()) > 0 ? h : null;
  });
  await held.getByRole('link', { name: /案内状/ }).click();
  await a.waitForLoadState();
  const text = await a.locator('body').innerText();
  assert.match(text, /共通の利用者 \d+ 人/);
  assert.match(text, /送信単位 1 件/);
  await shot(a, 'a-invite');
  await a.goto(`${A}/partners`);
  const partners = await a.locator('main').innerText();
  assert.match(partners, /未利用/);
  assert.match(partners, /Tsunagu 利用中/);
  await shot(a, 'a-partners');
});

test('evidence and settings screens', async () => {
  const res = await a.goto(`${A}/evidence`);
  assert.equal(res.status(), 200);
  assert.match(await a.locator('body').innerText(), /証跡/);
  await shot(a, 'a-evidence');
  await a.goto(`${A}/settings`);
  assert.match(await a.locator('main').innerText(), /送信フォルダ/);
  await shot(a, 'a-settings');
  await b.goto(`${B}/partners`);
  await shot(b, 'b-partners');
});

test('a cross-site form post is refused', async () => {
  // A page on another site that posts to the desk (the browser holds A's session cookie).
  const ctx = a.context();
  await ctx.route('http://evil.test/**', (route) =>
    route.fulfill({
      contentType: 'text/html; charset=utf-8',
      body: `<form method="post" action="${A}/settings"><input name="csrf" value="x"><input name="outbox_dir" value="/tmp/evil"><input name="import_dir" value="/tmp/evil2"><button>go</button></form>`,
    }),
  );
  const evil = await ctx.newPage();
  await evil.goto('http://evil.test/');
  const [res] = await Promise.all([evil.waitForNavigation(), evil.click('button')]);
  assert.ok([401, 403].includes(res.status()), `status ${res.status()}`);
  await shot(evil, 'cross-site-refused');
  await evil.close();
  // Even with the session cookie and the real token, another Origin is refused.
  await a.goto(`${A}/settings`);
  const csrf = await a.locator('input[name=csrf]').first().inputValue();
  const cross = await ctx.request.post(`${A}/sync`, {
    form: { csrf },
    headers: { Origin: 'http://evil.test', 'Sec-Fetch-Site': 'cross-site' },
    maxRedirects: 0,
  });
  assert.equal(cross.status(), 403);
  assert.match(await cross.text(), /E-DESK-092/);
  const same = await ctx.request.post(`${A}/sync`, { form: { csrf }, headers: { Origin: A }, maxRedirects: 0 });
  assert.equal(same.status(), 303);
  const noToken = await ctx.request.post(`${A}/sync`, { form: { x: '1' }, headers: { Origin: A }, maxRedirects: 0 });
  assert.equal(noToken.status(), 403);
  // The folders were not changed by the cross-site post.
  await a.goto(`${A}/settings`);
  assert.doesNotMatch(await a.locator('main').innerText(), /\/tmp\/evil/);
});

test('the UI is not reachable on a non-loopback address', async () => {
  const port = new URL(A).port;
  const ips = Object.values(os.networkInterfaces())
    .flat()
    .filter((i) => i && !i.internal)
    .map((i) => (i.family === 'IPv6' ? `[${i.address}]` : i.address))
    .filter((ip) => !ip.startsWith('[fe80'));
  for (const ip of ips) {
    await assert.rejects(fetch(`http://${ip}:${port}/inbox`, { signal: AbortSignal.timeout(3000) }), `reachable on ${ip}`);
  }
  // And the desk refuses to listen anywhere else.
  const r = spawnSync(env.DESK_BIN, ['desk', '--dir', path.join(env.WORK_DIR, 'a'), '--bind', '0.0.0.0', '--port', '0'], {
    encoding: 'utf8',
    timeout: 20000,
  });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /E-DESK-080/);
  // A request naming another host (DNS rebinding) is refused too.
  // (fetch may not set Host: plain http.get does.)
  const status = await new Promise((resolve, reject) => {
    const u = new URL(A);
    http
      .get({ host: u.hostname, port: u.port, path: '/inbox', headers: { Host: `evil.test:${u.port}` } }, (res) => {
        res.resume();
        resolve(res.statusCode);
      })
      .on('error', reject);
  });
  assert.equal(status, 421);
});
