// A new office as a new user meets Tsunagu: the operator issues an invite with `tsunagu hub
// invite`, the office starts `tsunagu desk` on an empty folder, fills the setup page in the
// browser (a wrong invite code and a passphrase typo on the way), sees its fingerprint, lands in
// the desk without a restart, and its first file set reaches the partner (desk A of run.sh).
// Runs after desk.test.mjs, which needs the デイサービス (15) not on the hub yet.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { chromium } from 'playwright-core';

const env = process.env;
const SHOTS = path.join(import.meta.dirname, 'screenshots');
const A = new URL(env.DESK_A_URL).origin;
const { CM } = env;
const PASS = 'はじめてのパスフレーズ 2025';

const sampleNames = () => fs.readdirSync(env.SAMPLE_DIR);
// The デイサービス's 実績 for the 居宅 (A): the first thing the new office sends.
const JSK = sampleNames().find((n) => n.startsWith('UPJSK_202504_') && n.includes(`_15_${CM}_43_`));
const DS = JSK.split('_')[2];
const SERIAL = JSK.replace(/\.CSV$/, '').split('_').pop();
const C_DIR = path.join(env.WORK_DIR, 'c-fresh');

let browser;
let desk; // the `tsunagu desk` process of the new office
let deskOut = '';
let page;
let a;

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

async function shot(p, name) {
  await p.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

/** `tsunagu hub invite`, as the operator runs it next to the running hub. */
function invite() {
  const r = spawnSync(
    env.DESK_BIN,
    ['hub', '--data-dir', path.join(env.WORK_DIR, 'hub'), 'invite', '--office', DS, '--kind', '15', '--name', 'テストデイサービス', '--municipality', '312029'],
    { encoding: 'utf8', timeout: 30000 },
  );
  assert.equal(r.status, 0, r.stderr);
  const code = r.stdout.trim().split('\n').pop().trim();
  assert.ok(code.length >= 8, `invite code ${code}`);
  return code;
}

before(async () => {
  fs.mkdirSync(SHOTS, { recursive: true });
  fs.mkdirSync(C_DIR);
  // The passphrase must come from the page, not from the environment.
  const childEnv = { ...env, RUST_LOG: 'info,sqlx=warn' };
  delete childEnv.TSUNAGU_PASSPHRASE;
  desk = spawn(env.DESK_BIN, ['desk', '--dir', C_DIR, '--port', '0'], { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  desk.stdout.on('data', (d) => (deskOut += d));
  desk.stderr.on('data', (d) => (deskOut += d));
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  const ctx = await browser.newContext({ locale: 'ja-JP', viewport: { width: 1400, height: 900 } });
  a = await ctx.newPage();
  assert.equal((await a.goto(env.DESK_A_URL)).status(), 200);
});

after(async () => {
  await browser?.close();
  desk?.kill('SIGINT');
});

test('a fresh desk registers through the setup page and sends its first file set', async () => {
  const line = await until('the desk prints its URL', () => deskOut.match(/デスクを起動しました: (\S+)/));
  const url = line[1];
  assert.match(deskOut, /はじめての設定/);
  assert.ok(new URL(url).hostname === '127.0.0.1');

  const ctx = await browser.newContext({ locale: 'ja-JP', viewport: { width: 1400, height: 1000 } });
  page = await ctx.newPage();
  assert.equal((await page.goto(url)).status(), 200);
  assert.equal(new URL(page.url()).pathname, '/setup');
  const text = await page.locator('main').innerText();
  assert.match(text, /はじめての方へ/);
  assert.match(text, /取り戻せません/);
  assert.match(text, /この PC から外に出ません/);
  assert.equal(await page.inputValue('input[name=outbox_dir]'), path.join(C_DIR, 'outbox'));
  assert.equal(await page.inputValue('input[name=import_dir]'), path.join(C_DIR, 'import'));
  await shot(page, 'setup');

  const fill = async (code, pass, again) => {
    await page.fill('input[name=hub_url]', env.HUB_URL);
    await page.fill('input[name=invite_code]', code);
    await page.fill('input[name=device_name]', 'デイの受付PC');
    await page.fill('input[name=passphrase]', pass);
    await page.fill('input[name=passphrase_again]', again);
    await Promise.all([page.waitForNavigation(), page.click('button:has-text("鍵を作って登録する")')]);
  };

  // A mistyped invite code: the hub's refusal with its code, what was typed kept.
  const code = invite();
  await fill(`${code}X`, PASS, PASS);
  let error = await page.locator('#setup-error').innerText();
  assert.match(error, /E-DESK-011/);
  assert.match(error, /E-HUB-102/);
  assert.equal(await page.inputValue('input[name=invite_code]'), `${code}X`);
  assert.equal(await page.inputValue('input[name=hub_url]'), env.HUB_URL);
  assert.equal(await page.inputValue('input[name=device_name]'), 'デイの受付PC');
  assert.equal(await page.inputValue('input[name=passphrase]'), '', 'passphrases are not kept');
  assert.ok(!(await page.content()).includes(PASS));
  await shot(page, 'setup-error');

  // The passphrase typed differently the second time.
  await fill(code, PASS, `${PASS}!`);
  error = await page.locator('#setup-error').innerText();
  assert.match(error, /E-DESK-072/);
  assert.equal(await page.inputValue('input[name=invite_code]'), code);

  // Right at last.
  await fill(code, PASS, PASS);
  const done = await page.locator('main').innerText();
  assert.match(done, /登録しました/);
  assert.match(done, new RegExp(`テストデイサービス（${DS}_15`));
  assert.match(done, /デイの受付PC/);
  assert.match(done, /電話/);
  const office = JSON.parse(fs.readFileSync(path.join(C_DIR, 'office.json'), 'utf8'));
  assert.equal(await page.locator('#fingerprint').innerText(), office.fingerprint);
  await shot(page, 'setup-done');
  assert.ok(!deskOut.includes(PASS), 'the passphrase is never logged');

  // The desk, same server, same session, no restart.
  await page.click('text=受信箱を開く');
  await page.waitForLoadState();
  assert.equal(new URL(page.url()).pathname, '/inbox');
  assert.match(await page.locator('header').innerText(), /テストデイサービス/);
  assert.equal(desk.exitCode, null, 'still the first process');
  // A real form post on the desk from the browser (the browser's own Origin header).
  await page.goto(new URL('/settings', url).href);
  assert.match(await page.locator('main').innerText(), /デイの受付PC/);
  const [res] = await Promise.all([page.waitForNavigation(), page.click('button:has-text("今すぐ同期する")')]);
  assert.equal(res.status(), 200);
  assert.equal(new URL(page.url()).pathname, '/settings');

  // The first exchange: the 実績 dropped into the new office's outbox reaches A.
  const outbox = path.join(C_DIR, 'outbox');
  const bytes = fs.readFileSync(path.join(env.SAMPLE_DIR, JSK));
  fs.writeFileSync(path.join(outbox, `${JSK}.tmp`), bytes);
  fs.renameSync(path.join(outbox, `${JSK}.tmp`), path.join(outbox, JSK));
  await until('A’s 受信箱 shows the new office’s unit', async () => {
    await a.goto(`${A}/inbox`);
    return (await a.locator('tr', { hasText: SERIAL }).count()) > 0;
  });
  assert.ok(fs.readdirSync(path.join(env.WORK_DIR, 'a', 'import')).includes(JSK), 'in A’s import folder');
  await shot(a, 'setup-first-arrival');
  await until('the new office sees 取込済', async () => {
    await page.goto(new URL('/sent', url).href);
    return (await page.locator('tr', { hasText: SERIAL }).innerText()).includes('取込済');
  });
  await shot(page, 'setup-first-sent');
  assert.ok(!deskOut.includes(PASS), 'the passphrase is never logged');
});
