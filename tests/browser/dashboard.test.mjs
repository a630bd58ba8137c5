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

test('種別: 居宅介護支援 and service offices side by side, table and grouped bars, over time', async () => {
  await a.goto(`${HUB}/m/groups`);
  const rows = a.locator('#group-table tbody tr');
  assert.ok((await rows.count()) >= 11, '10 areas and the total');
  assert.match(await rows.last().innerText(), /合計/);
  const bars = a.locator('svg[aria-label="種別ごとの導入率（圏域別）"]');
  assert.ok((await bars.locator('rect').count()) >= 22, 'two bars per row');
  assert.match(await bars.innerHTML(), /居宅介護支援/);
  assert.ok((await a.locator('#group-trend tbody tr').count()) >= 2, 'the snapshot and today');
  await shot(a, 'groups');
});

test('離脱: periods between snapshots with offices joined and left, chart, CSV', async () => {
  await a.goto(`${HUB}/m/departures`);
  const periods = a.locator('#period-table tbody tr');
  assert.ok((await periods.count()) >= 1);
  assert.match(await periods.last().innerText(), /^2025-01-31 → /);
  assert.equal(await a.locator('svg[aria-label="期間ごとの新たな導入と離脱（事業所数）"]').count(), 1);
  await shot(a, 'departures');
  const [download] = await Promise.all([a.waitForEvent('download'), a.getByRole('link', { name: '期間ごとの表を CSV でダウンロード' }).click()]);
  const file = path.join(env.DOWNLOAD_DIR, download.suggestedFilename());
  await download.saveAs(file);
  const bytes = fs.readFileSync(file);
  assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
  assert.match(bytes.subarray(3).toString('utf8'), /^期間の始め,期間の終わり,導入（始め）,新たに導入,離脱,導入（終わり）\r\n2025-01-31,/);
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
  // Cancelled: the phone's link answers 404 with the reason; the records stay.
  await a.getByRole('button', { name: '入力テスト-01 のリンクを取り消す' }).click();
  await a.waitForURL(/\/m\/timestudy/);
  const row = await a.locator('table.entry-links tr', { hasText: '入力テスト-01' }).innerText();
  assert.match(row, /取り消し済み（/);
  assert.match(row, /\t[23]\t/, 'its records kept');
  await a.locator('#entry').scrollIntoViewIfNeeded();
  await a.screenshot({ path: path.join(SHOTS, 'dashboard-timestudy-entry-cancelled.png') });
  const ctx2 = await browser.newContext({ locale: 'ja-JP', viewport: { width: 390, height: 844 }, isMobile: true });
  const phone2 = await ctx2.newPage();
  const res = await phone2.goto(url);
  assert.equal(res.status(), 404);
  assert.match(await phone2.locator('body').innerText(), /このリンクは取り消されました/);
  await shot(phone2, 'timestudy-entry-phone-cancelled');
  await ctx2.close();
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
  assert.match(body, /計画書（月の指定なし）/);
  // The city sets its own wage: the row says so, the figures follow.
  const before = await a.locator('table.effect tr.total').innerText();
  await a.locator('#p_hourly_labour_yen').fill('2500');
  await a.getByRole('button', { name: '前提を保存して計算し直す' }).click();
  await a.waitForURL(/\/m\/effect\?saved=1/);
  assert.match(await a.locator('[role=status]').innerText(), /前提を保存しました/);
  assert.equal(await a.locator('table.assumptions tr.changed').count(), 1);
  assert.match(await a.locator('table.assumptions tr.changed').innerText(), /この市区町村が変更.*city-a が変更（変更前: 2000 円\/時/s);
  assert.notEqual(await a.locator('table.effect tr.total').innerText(), before);
  await a.locator('#assumptions').scrollIntoViewIfNeeded();
  await a.screenshot({ path: path.join(SHOTS, 'dashboard-effect-assumptions.png') });
  // A refused value: shown beside its row, nothing stored.
  await a.locator('#p_postage_yen').fill('-5');
  await a.getByRole('button', { name: '前提を保存して計算し直す' }).click();
  assert.match(await a.locator('.field-error').innerText(), /0以上の数にしてください/);
  assert.match(await a.locator('div.error[role=alert]').innerText(), /何も保存していません/);
  await a.locator('#p_postage_yen').scrollIntoViewIfNeeded();
  await a.screenshot({ path: path.join(SHOTS, 'dashboard-effect-assumptions-error.png') });
  await a.goto(`${HUB}/m/effect`);
  assert.equal(await a.locator('#p_postage_yen').inputValue(), '110');
});

test('報告書 with the time study and the effect prints without navigation', async () => {
  await a.goto(`${HUB}/m/report`);
  // Bars, trend, map; at least one composition chart per time-study set; the effect.
  assert.ok((await a.locator('svg').count()) >= 7, `${await a.locator('svg').count()} charts`);
  const body = await a.locator('body').innerText();
  assert.match(body, /業務時間調査（タイムスタディ）/);
  for (const set of ['地域包括支援センター', 'ケアプランのやりとり', '介護職員']) assert.ok(body.includes(set), set);
  assert.match(body, /削減効果/);
  assert.match(body, /この市区町村が変更した前提: 人件費（1時間あたり） 2500 円\/時/);
  assert.equal(await a.locator('svg[aria-label="月別の削減額の内訳（%）"]').count(), 1);
  await shot(a, 'report');
  await a.locator('#report-timestudy').screenshot({ path: path.join(SHOTS, 'dashboard-report-timestudy.png') });
  await a.locator('#report-effect').screenshot({ path: path.join(SHOTS, 'dashboard-report-effect.png') });
  await a.emulateMedia({ media: 'print' });
  assert.equal(await a.locator('header.top').isVisible(), false);
  await shot(a, 'report-print');
  await a.emulateMedia({ media: 'screen' });
  // Back to the defaults.
  await a.goto(`${HUB}/m/effect`);
  await a.getByRole('button', { name: '変更をすべて取り消して既定値に戻す' }).click();
  await a.waitForURL(/\/m\/effect\?reset=1/);
  assert.equal(await a.locator('table.assumptions tr.changed').count(), 0);
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

test('アンケート: the city adds its own questions, links issued as CSV, answered on a phone without login, counted', async () => {
  await a.goto(`${HUB}/m/survey`);
  const add = a.locator('form.add-question');
  await add.locator('#q-text').fill('研修会への参加を希望しますか。');
  await add.locator('#q-kind').selectOption('single');
  await add.locator('#q-choices').fill('希望する\n希望しない\nわからない');
  await add.getByRole('button', { name: '設問を追加' }).click();
  await a.waitForURL(/\/m\/survey/);
  await add.locator('#q-text').fill('市へのご意見をお書きください。');
  await add.locator('#q-kind').selectOption('text');
  await add.locator('input[name=required]').uncheck();
  await add.getByRole('button', { name: '設問を追加' }).click();
  await a.waitForURL(/\/m\/survey/);
  const questions = await a.locator('#question-table tbody tr').allInnerTexts();
  assert.equal(questions.length, 4, 'H1, R1 and the two of the city');
  assert.match(questions[2], /Q1\s+研修会への参加を希望しますか。\s+選択肢から1つ（希望する／希望しない／わからない）\s+必須/);
  assert.match(questions[3], /Q2\s+市へのご意見をお書きください。\s+自由記述\s+任意/);
  await a.locator('#questions').scrollIntoViewIfNeeded();
  await a.screenshot({ path: path.join(SHOTS, 'dashboard-survey-questions.png') });
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
  await phone.getByLabel('希望する', { exact: true }).check();
  await phone.locator('textarea[name=Q2]').fill('FAXの送付状づくりが負担です。');
  await shot(phone, 'survey-phone');
  await phone.getByRole('button', { name: '回答を送る' }).click();
  assert.match(await phone.locator('[role=status]').innerText(), /回答を受け付けました/);
  await a.goto(`${HUB}/m/survey`);
  assert.match(await a.locator('body').innerText(), /うち回答済み 1 件/);
  assert.ok((await a.locator('#survey-table tbody tr').count()) >= 11);
  const q1 = await a.locator('#results-Q1 tbody tr').last().innerText();
  assert.match(q1, /合計\s+1\s+1（100\.0%）\s+0（0\.0%）\s+0（0\.0%）/);
  assert.match(await a.locator('#results-Q2').innerText(), /FAXの送付状づくりが負担です。/);
  await shot(a, 'survey');
  await a.locator('#results-Q1').scrollIntoViewIfNeeded();
  await a.screenshot({ path: path.join(SHOTS, 'dashboard-survey-results.png') });
  const [answers] = await Promise.all([a.waitForEvent('download'), a.getByRole('link', { name: /回答一覧（事業所別）/ }).click()]);
  const answersFile = path.join(env.DOWNLOAD_DIR, answers.suggestedFilename());
  await answers.saveAs(answersFile);
  const answersBytes = fs.readFileSync(answersFile);
  assert.deepEqual([...answersBytes.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
  assert.match(answersBytes.subarray(3).toString('utf8'), /希望する,FAXの送付状づくりが負担です。/);
});

test('ログイン: five failures lock the name with a Japanese message, for a real and an unknown name alike', async () => {
  const p = await newPage();
  const texts = [];
  for (const name of ['city-a-2', 'nobody-at-all']) {
    for (let i = 0; i < 5; i++) {
      await p.goto(`${HUB}/login`);
      await p.getByLabel('ログイン名').fill(name);
      await p.getByLabel('パスワード').fill('wrong-password');
      await p.getByRole('button', { name: 'ログイン' }).click();
    }
    texts.push(await p.locator('[role=alert]').innerText());
  }
  assert.match(texts[0], /ログインの失敗が続いたため、しばらくログインできません。1分ほど待ってから/);
  assert.equal(texts[0], texts[1], 'no difference between a real and an unknown name');
  await shot(p, 'login-locked');
  await p.context().close();
});

test('利用者: the operator adds a user to つなぐ市; the city sees who has access', async () => {
  const op = await newPage();
  await op.goto(`${HUB}/login`);
  await op.getByLabel('ログイン名').fill('ops');
  await op.getByLabel('パスワード').fill(PASSWORD);
  await op.getByRole('button', { name: 'ログイン' }).click();
  await op.waitForURL(`${HUB}/operator`);
  const row = op.locator('tr', { hasText: 'つなぐ市' });
  await row.getByLabel('つなぐ市 に追加するログイン名').fill('city-a-3');
  await row.getByLabel('つなぐ市 に追加する利用者の初期パスワード').fill(PASSWORD);
  await row.getByRole('button', { name: '追加' }).click();
  await op.waitForURL(/\/operator\?added=/);
  assert.match(await op.locator('[role=status]').innerText(), /つなぐ市 に city-a-3 を利用者として追加しました/);
  assert.match(await op.locator('tr', { hasText: 'つなぐ市' }).innerText(), /city-a、city-a-2、city-a-3/);
  await shot(op, 'operator');
  await a.goto(`${HUB}/m`);
  await a.getByRole('link', { name: '利用者' }).click();
  await a.waitForURL(`${HUB}/m/account`);
  const users = await a.locator('#user-table tbody tr').allInnerTexts();
  assert.deepEqual(users.map((u) => u.split('\t')[0].replace(/\s+/g, '')), ['city-a（あなた）', 'city-a-2', 'city-a-3']);
  await shot(a, 'account');
  const c = await newPage();
  await login(c, 'city-a-3');
  assert.match(await c.locator('header').innerText(), /つなぐ市/);
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
  for (const p of ['/m/groups', '/m/departures', '/m/survey', '/m/account', '/m/report']) {
    await b.goto(`${HUB}${p}`);
    const t = await b.locator('body').innerText();
    assert.ok(!t.includes('見本') && !t.includes('city-a') && !t.includes('研修会への参加'), p);
  }
  await b.goto(`${HUB}/m`);
  await shot(b, 'b-overview');
});
