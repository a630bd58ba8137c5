// Browser test of the hub's municipal dashboard. dashboard.sh starts a hub with two
// municipality accounts (A: つなぐ市, the synthetic city; B: 312029) and writes the synthetic
// city's files. A logs in, imports the city's files, reads every screen and downloads a CSV;
// B sees none of it. Each screen is saved under screenshots/dashboard-*.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';

const env = process.env;
const HUB = env.HUB_URL;
const CITY = env.CITY_DIR;
const SHOTS = path.join(import.meta.dirname, 'screenshots');
const PASSWORD = env.DASH_PASSWORD;

let browser;
let a; // つなぐ市's page

async function shot(page, name) {
  await page.screenshot({ path: path.join(SHOTS, `dashboard-${name}.png`), fullPage: true });
}

async function newPage() {
  const ctx = await browser.newContext({ locale: 'ja-JP', viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  return ctx.newPage();
}

async function login(page, user) {
  await page.goto(`${HUB}/login`);
  await page.getByLabel('ログイン名').fill(user);
  await page.getByLabel('パスワード').fill(PASSWORD);
  await page.getByRole('button', { name: 'ログイン' }).click();
  await page.waitForURL(`${HUB}/m`);
}

async function upload(kind, files) {
  await a.goto(`${HUB}/m/data`);
  await a.locator('#kind').selectOption(kind);
  await a.locator('#file').setInputFiles(files);
  await a.getByRole('button', { name: '取り込む' }).click();
  await a.waitForURL(`${HUB}/m/data`);
}

before(async () => {
  fs.mkdirSync(SHOTS, { recursive: true });
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  a = await newPage();
});

after(async () => {
  await browser?.close();
});

test('a wrong password is refused; the right one opens the overview', async () => {
  await a.goto(`${HUB}/login`);
  await a.getByLabel('ログイン名').fill('city-a');
  await a.getByLabel('パスワード').fill('wrong-password');
  await a.getByRole('button', { name: 'ログイン' }).click();
  assert.match(await a.locator('[role=alert]').innerText(), /ログイン名またはパスワードが違います/);
  await shot(a, 'login');
  await login(a, 'city-a');
  assert.match(await a.locator('body').innerText(), /事業所一覧.*がありません/s);
});

test('A imports the synthetic city: open data, 圏域 table, survey waves, overrides', async () => {
  const od = fs.readdirSync(path.join(CITY, 'opendata')).map((n) => path.join(CITY, 'opendata', n));
  await upload('opendata', od);
  await upload('areas', [path.join(CITY, 'areas.csv')]);
  await upload('answers', [path.join(CITY, 'answers_2025-01.csv')]);
  // The first wave's state, kept as a dated snapshot; then the second wave.
  await a.goto(`${HUB}/m`);
  await a.locator('#as_of').fill('2025-01-31');
  await a.getByRole('button', { name: 'スナップショットを保存' }).click();
  await a.waitForURL(`${HUB}/m`);
  await upload('answers', [path.join(CITY, 'answers_2025-07.csv')]);
  await upload('overrides', [path.join(CITY, 'overrides.csv')]);
  const text = await a.locator('body').innerText();
  for (const name of ['areas.csv', 'answers_2025-01.csv', 'answers_2025-07.csv', 'overrides.csv', 'jigyosho_430_all_20250701000000.csv']) {
    assert.ok(text.includes(name), `${name} listed`);
  }
  await shot(a, 'data');
});

test('overview: counts, rate, change since the snapshot, trend chart', async () => {
  await a.goto(`${HUB}/m`);
  const offices = Number(await a.locator('#offices').innerText());
  assert.ok(offices > 100, `${offices} offices`);
  assert.match(await a.locator('#rate').innerText(), /^\d+\.\d%$/);
  const body = await a.locator('body').innerText();
  assert.match(body, /2025-01-31 から [+−±]\d+\.\dポイント/);
  // 9970000001 with a desk, and the two hub-only offices that exchanged a unit.
  assert.match(body, /ハブに登録 \/ 有効な端末あり\s*3 \/ 3/);
  assert.equal(await a.locator('svg[aria-label="導入率の推移"] path').count(), 3);
  await shot(a, 'overview');
});

test('圏域別: table with change, 100% stacked bars', async () => {
  await a.goto(`${HUB}/m/areas`);
  const rows = a.locator('#area-table tbody tr');
  assert.ok((await rows.count()) >= 11, '10 areas and the total');
  assert.match(await rows.first().innerText(), /中央圏域/);
  assert.match(await rows.last().innerText(), /合計/);
  const bars = a.locator('svg[aria-label="圏域別の導入状況（構成比）"]');
  assert.ok((await bars.locator('rect').count()) > 30);
  assert.match(await bars.innerHTML(), /導入している/);
  await shot(a, 'areas');
});

test('地図: offices as coloured dots, no tiles', async () => {
  await a.goto(`${HUB}/m/map`);
  const dots = await a.locator('svg circle').count();
  assert.ok(dots > 100, `${dots} dots`);
  assert.equal(await a.locator('img').count(), 0);
  await shot(a, 'map');
});

test('働きかけ and 事業所: only つなぐ市’s offices, unmatched ones can be assigned', async () => {
  await a.goto(`${HUB}/m/outreach`);
  assert.ok((await a.locator('h2', { hasText: '地域包括支援センター' }).count()) >= 1);
  await shot(a, 'outreach');
  await a.goto(`${HUB}/m/offices`);
  const text = await a.locator('#office-table').innerText();
  assert.ok(!text.includes('0300000100'), 'B’s office not listed');
  assert.ok(!text.includes('となり町'), 'the neighbour town’s offices not listed');
  const before = await a.locator('#unmatched + p + table tbody tr').count().catch(() => 0);
  if (before > 0) {
    await a.locator('#unmatched ~ table').first().getByRole('button', { name: '保存' }).first().click();
    await a.waitForURL(/\/m\/offices/);
    const after = await a.locator('#unmatched + p + table tbody tr').count().catch(() => 0);
    assert.equal(after, before - 1, 'one office assigned');
  }
  await shot(a, 'offices');
  // A foreign office is not found.
  const res = await a.goto(`${HUB}/m/offices/0300000100`);
  assert.equal(res.status(), 404);
});

test('招待状: A prints invitation letters for two offices straight from the outreach list', async () => {
  await a.goto(`${HUB}/m/outreach`);
  const form = a.locator('form[action="/m/invites"]').first();
  const boxes = form.locator('input[name=office]');
  assert.ok((await boxes.count()) >= 2, 'checkboxes on the list');
  await boxes.nth(0).check();
  await boxes.nth(1).check();
  await form.getByRole('button', { name: '選んだ事業所の招待状を発行して印刷' }).click();
  await a.waitForURL(`${HUB}/m/invites`);
  const letters = a.locator('article.letter');
  assert.equal(await letters.count(), 2);
  const codes = await a.locator('article.letter .code').allInnerTexts();
  assert.equal(codes.length, 2);
  assert.notEqual(codes[0], codes[1]);
  for (const c of codes) assert.match(c, /^[A-Z0-9-]{8,}$/);
  const first = await letters.first().innerText();
  assert.ok(first.includes(HUB), 'the hub URL');
  assert.match(first, /はじめての設定/);
  assert.match(first, /鍵の指紋/);
  await shot(a, 'invite-letters');
  await a.emulateMedia({ media: 'print' });
  assert.equal(await a.locator('header.top').isVisible(), false);
  assert.equal(await a.locator('.letters-intro').isVisible(), false);
  await shot(a, 'invite-letters-print');
  await a.emulateMedia({ media: 'screen' });
  // The codes are shown only there.
  await a.goto(`${HUB}/m/outreach`);
  assert.ok(!(await a.locator('body').innerText()).includes(codes[0]));
});

test('タイムスタディ: uploaded records, composition bars per center and person, before/after table', async () => {
  await upload('timestudy_center', [path.join(CITY, 'timestudy_center.csv')]);
  await upload('timestudy_exchange', [path.join(CITY, 'timestudy_exchange.csv')]);
  await upload('timestudy_care_worker', [path.join(CITY, 'timestudy_care_worker.csv')]);
  await a.goto(`${HUB}/m/timestudy?set=center&by=center`);
  assert.ok((await a.locator('svg.chart').count()) >= 1, 'composition chart');
  assert.ok((await a.locator('svg.chart rect').count()) > 10);
  assert.match(await a.locator('body').innerText(), /夜間は 22:00〜5:00/);
  await shot(a, 'timestudy');
  await a.goto(`${HUB}/m/timestudy?set=exchange&by=person`);
  assert.ok((await a.locator('table.compare tbody tr').count()) >= 1, 'before/after rows');
  await shot(a, 'timestudy-exchange');
  await a.goto(`${HUB}/m/timestudy?set=care_worker&by=person`);
  await shot(a, 'timestudy-care-worker');
  const [download] = await Promise.all([a.waitForEvent('download'), a.getByRole('link', { name: /構成.*CSV/ }).click()]);
  const file = path.join(env.DOWNLOAD_DIR, download.suggestedFilename());
  await download.saveAs(file);
  const bytes = fs.readFileSync(file);
  assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
  assert.match(bytes.subarray(3).toString('utf8'), /^職員ごと,時期,時間帯/);
});

test('タイムスタディの入力: an entry link per person, slot grid and 開始/終了 on a phone', async () => {
  await a.goto(`${HUB}/m/timestudy?set=center&by=person`);
  const f = a.locator('form.ts-links');
  await f.locator('input[name=label]').fill('入力テスト-01');
  await f.locator('input[name=center]').fill('中央包括');
  await f.locator('select[name=set]').selectOption('center');
  await f.locator('select[name=phase]').selectOption('前');
  const [download] = await Promise.all([a.waitForEvent('download'), a.getByRole('button', { name: /入力用リンクを発行/ }).click()]);
  const file = path.join(env.DOWNLOAD_DIR, download.suggestedFilename());
  await download.saveAs(file);
  const bytes = fs.readFileSync(file);
  assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
  const url = bytes.subarray(3).toString('utf8').split(/[,\r\n]/).find((c) => c.includes('/t/'));
  assert.ok(url, 'an entry link in the CSV');
  const ctx = await browser.newContext({ locale: 'ja-JP', viewport: { width: 390, height: 844 }, isMobile: true });
  const phone = await ctx.newPage();
  await phone.goto(url);
  assert.match(await phone.locator('body').innerText(), /入力テスト-01/);
  assert.equal(await phone.locator('.ts-grid select').count(), 48);
  await phone.locator('select[name=category]').selectOption('7');
  await phone.getByRole('button', { name: '開始' }).click();
  assert.match(await phone.locator('[role=status]').innerText(), /計測中: 電話・連絡調整/);
  await phone.getByRole('button', { name: '終了' }).click();
  await phone.locator('select[name=s0]').selectOption('1');
  await phone.locator('select[name=s1]').selectOption('1');
  await phone.locator('select[name=s2]').selectOption('8');
  await shot(phone, 'timestudy-entry-phone-full');
  await phone.getByRole('button', { name: '時間帯の入力を保存' }).click();
  assert.match(await phone.locator('body').innerText(), /記録（(2 件、合計 45|3 件、合計 46) 分）/);
  await phone.locator('select[name=s0]').scrollIntoViewIfNeeded();
  await phone.screenshot({ path: path.join(SHOTS, 'dashboard-timestudy-entry-phone.png') });
  await ctx.close();
  await a.goto(`${HUB}/m/timestudy?set=center&by=person`);
  const body = await a.locator('body').innerText();
  assert.match(body, /入力テスト-01/);
  await shot(a, 'timestudy-entry-links');
});

test('効果: the hub’s exchanged units in minutes and yen, with the assumptions and sources', async () => {
  await a.goto(`${HUB}/m/effect`);
  const body = await a.locator('body').innerText();
  assert.ok(body.includes(env.CM_OFFICE), 'the sending office');
  assert.match(body, /この市のタイムスタディ/);
  assert.ok((await a.locator('table.effect tbody tr').count()) >= 2, 'a month and the total');
  assert.ok((await a.locator('table.assumptions tbody tr').count()) > 10);
  assert.equal(await a.locator('svg.chart').count(), 1);
  await shot(a, 'effect');
  const [download] = await Promise.all([a.waitForEvent('download'), a.getByRole('link', { name: 'CSV でダウンロード' }).first().click()]);
  const file = path.join(env.DOWNLOAD_DIR, download.suggestedFilename());
  await download.saveAs(file);
  const bytes = fs.readFileSync(file);
  assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
  assert.match(bytes.subarray(3).toString('utf8'), /^月,事業所数,送信件数/);
});

test('報告書 prints without navigation', async () => {
  await a.goto(`${HUB}/m/report`);
  assert.equal(await a.locator('svg').count(), 3);
  await a.emulateMedia({ media: 'print' });
  assert.equal(await a.locator('header.top').isVisible(), false);
  await shot(a, 'report-print');
  await a.emulateMedia({ media: 'screen' });
});

test('a table downloads as CSV that Excel opens (UTF-8 with BOM)', async () => {
  await a.goto(`${HUB}/m/areas`);
  const [download] = await Promise.all([a.waitForEvent('download'), a.getByRole('link', { name: /CSV/ }).click()]);
  const file = path.join(env.DOWNLOAD_DIR, download.suggestedFilename());
  await download.saveAs(file);
  assert.match(download.suggestedFilename(), /つなぐ市_.*_adoption\.csv$/);
  const bytes = fs.readFileSync(file);
  assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
  const text = bytes.subarray(3).toString('utf8');
  assert.match(text, /中央圏域/);
  assert.ok(text.includes('\r\n'));
});

test('アンケート: links issued as CSV, answered on a phone without login, counted', async () => {
  await a.goto(`${HUB}/m/survey`);
  const [download] = await Promise.all([a.waitForEvent('download'), a.getByRole('button', { name: /発行して CSV/ }).click()]);
  const file = path.join(env.DOWNLOAD_DIR, download.suggestedFilename());
  await download.saveAs(file);
  const csv = fs.readFileSync(file).subarray(3).toString('utf8');
  const url = csv.split(/[,\r\n]/).find((c) => c.includes('/a/'));
  assert.ok(url, 'a link in the CSV');
  const ctx = await browser.newContext({ locale: 'ja-JP', viewport: { width: 390, height: 844 }, isMobile: true });
  const phone = await ctx.newPage();
  await phone.goto(url);
  await phone.getByLabel('導入している', { exact: true }).first().check();
  await phone.getByLabel('主要な相手とは原則連携').check();
  await shot(phone, 'survey-phone');
  await phone.getByRole('button', { name: '回答を送る' }).click();
  assert.match(await phone.locator('[role=status]').innerText(), /回答を受け付けました/);
  await a.goto(`${HUB}/m/survey`);
  assert.match(await a.locator('body').innerText(), /うち回答済み 1 件/);
  assert.ok((await a.locator('#survey-table tbody tr').count()) >= 11);
  await shot(a, 'survey');
});

test('B sees only its own office and none of A’s data', async () => {
  const b = await newPage();
  await login(b, 'city-b');
  await b.goto(`${HUB}/m/offices`);
  const text = await b.locator('body').innerText();
  assert.ok(text.includes('0300000100'), 'B’s invited office');
  assert.ok(!text.includes('見本'), 'no office of つなぐ市');
  await b.goto(`${HUB}/m/data`);
  assert.ok(!(await b.locator('body').innerText()).includes('areas.csv'));
  const res = await b.goto(`${HUB}/m/offices/9970000001`);
  assert.equal(res.status(), 404);
  await shot(b, 'b-offices-404');
  await b.goto(`${HUB}/m/timestudy`);
  assert.match(await b.locator('body').innerText(), /タイムスタディの記録はまだありません/);
  await b.goto(`${HUB}/m/effect`);
  assert.ok(!(await b.locator('body').innerText()).includes(env.CM_OFFICE), 'none of A’s offices');
  await b.goto(`${HUB}/m`);
  await shot(b, 'b-overview');
});
