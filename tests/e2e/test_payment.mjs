// The payment screens: the cashier confirms the computed fees (with an
// adjustment and its reason), shows the QR code, the provider simulator
// pays, and the case screen turns 已缴费 without a reload; the voucher for
// both agencies (A5 in print); the applicant's phone shows the QR code,
// then 已缴费; the reconciliation report shows a planted amount mismatch
// and settles an order the provider paid without notifying.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fixture, sql, eq, assert, login, SCREENS } from './lib.mjs';
import { stateShown, openCase, signedIn } from './case_steps.mjs';

const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };
const WECHAT_UA = 'Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36 MicroMessenger/8.0.47.2560(0x28002F30) NetType/WIFI Language/zh_CN';

async function text(locator) { return (await locator.innerText()).trim(); }
const yuan = (fen) => (fen / 100).toFixed(2);   // display check only; amounts here are whole fen

// "Scan" the code: open the pay URL the way a phone's browser would; the
// simulator records the payment and sends the signed notification.
async function pay(url, query = '') {
	const res = await fetch(url + query, { redirect: 'manual' });
	await res.text();
	assert(res.status < 400, `the simulator paid ${url}: HTTP ${res.status}`);
}

async function until(what, fn, ms = 15000) {
	const end = Date.now() + ms;
	for (;;) {
		const v = fn();
		if (v) return v;
		if (Date.now() > end) throw new Error('timed out waiting for ' + what);
		await new Promise((r) => setTimeout(r, 200));
	}
}

// A signed-in page whose API requests carry X-Tb-Test-Now (test builds
// only): the whole session lives at that moment, log-in included.
async function signedInAt(t, user, nowSecs) {
	const page = await t.page();
	await page.route('**/api/v1/**', (route) => route.continue({ headers: { ...route.request().headers(), 'x-tb-test-now': String(nowSecs) } }));
	await login(page, user);
	return page;
}

function feeItems(id) {
	return sql(`SELECT seq, description, basis, amount_fen, rule, waived, reason FROM cases.fee_item WHERE case_id = ${id} ORDER BY seq`);
}

export async function test_the_cashier_confirms_fees_shows_the_qr_and_the_screen_turns_paid(t) {
	const c = fixture('pay_case', { state: 'registered' });
	const cs = await signedIn(t, c.cashier);
	t.allow(404, new RegExp(`/api/v1/cases/${c.id}/payment$`));   // no order yet
	await openCase(cs, c.id);
	await stateShown(cs, '已登簿');

	// the computed items, each with its basis, as the database holds them
	const computed = feeItems(c.id);
	assert(computed.length >= 1, 'fees computed at registration');
	const rows = cs.locator('.fee-items tbody tr');
	eq(await rows.count(), computed.length, 'one row per item');
	for (let i = 0; i < computed.length; i++) {
		eq(await text(rows.nth(i).locator('.fee-basis')), computed[i][2], `the basis of item ${i + 1}`);
		eq(await text(rows.nth(i).locator('.fee-amount')), yuan(Number(computed[i][3])), `the amount of item ${i + 1}`);
	}
	const base = computed.filter((r) => r[5] !== 't').reduce((s, r) => s + Number(r[3]), 0);
	eq(await text(cs.locator('#fee-total')), `¥${yuan(base)} 元`, 'the computed total');
	await t.shot(cs, 'fees-computed');

	// an added item needs its reason; it waits until 确认收费
	await cs.getByRole('button', { name: '增加收费项目' }).click();
	const add = cs.getByRole('dialog');
	await add.getByLabel('项目类别').selectOption('certificate');
	await add.getByLabel('项目名称').fill('不动产登记证明加印');
	await add.getByLabel('单价（元）').fill('10');
	await add.getByRole('button', { name: '增加', exact: true }).click();
	eq(await add.isVisible(), true, 'no reason: the dialog stays');
	await add.getByLabel('增加理由（2–200 字）').fill('申请人要求加印一份登记证明');
	await t.shot(cs, 'fees-add-dialog', { axe: false });
	await add.getByRole('button', { name: '增加', exact: true }).click();
	await add.waitFor({ state: 'detached' });
	eq(await text(cs.locator('#fee-total')), `¥${yuan(base + 1000)} 元`, 'the total with the added item');
	eq(feeItems(c.id).length, computed.length, 'nothing sent yet');
	await t.shot(cs, 'fees-adjusted');

	await cs.locator('#set-fees').click();
	const dlg = cs.getByRole('dialog');
	await dlg.getByText('申请人要求加印一份登记证明').waitFor();
	await dlg.getByRole('button', { name: '确认收费' }).click();
	await stateShown(cs, '待缴费');
	eq(sql(`SELECT state, fee_total_fen FROM cases.case WHERE id = ${c.id}`), [['fees_set', String(base + 1000)]], 'fees set with the added item');
	const added = feeItems(c.id).filter((r) => r[1] === '不动产登记证明加印');
	eq(added.map((r) => [r[3], r[4], r[6]]), [['1000', '', '申请人要求加印一份登记证明']], 'the manual item with its reason');

	// the QR code of the provider's pay URL
	await cs.getByRole('button', { name: '生成支付二维码' }).click();
	await cs.locator('#pay-qr').waitFor();
	await cs.waitForFunction(() => { const i = document.getElementById('pay-qr'); return i && i.complete && i.naturalWidth > 0; });
	const order = fixture('pay_order', { id: c.id });
	eq([order.state, order.amount_fen], ['pending', base + 1000], 'one pending order for the total');
	eq(await text(cs.locator('#pay-order')), order.out_trade_no, 'the order number shown');
	assert(/^\d:\d\d:\d\d$/.test(await text(cs.locator('#pay-left'))), 'the time left counts down');
	const png = path.join(SCREENS, 'payment-qr-element.png');
	await cs.locator('#pay-qr').screenshot({ path: png });
	eq(execFileSync('zbarimg', ['--raw', '-q', png], { encoding: 'utf8' }).trim(), order.code_url, 'the QR code holds the pay URL');
	await t.shot(cs, 'pay-qr');
	await cs.getByRole('button', { name: '向顾客展示二维码' }).click();
	const big = cs.locator('dialog.pay-customer');
	await big.waitFor();
	const size = await big.locator('img').evaluate((i) => i.getBoundingClientRect().width);
	assert(size >= 400, 'the customer-facing QR is large: ' + size);
	await t.shot(cs, 'pay-customer', { axe: false });

	// the simulator pays; the page learns it by itself (no reload)
	await cs.evaluate(() => { window.__same_page = true; });
	await pay(order.code_url);
	await big.locator('.pay-big-paid').filter({ hasText: '已缴费' }).waitFor();
	await t.shot(cs, 'pay-customer-paid', { axe: false });
	await big.getByRole('button', { name: '返回' }).click();
	await stateShown(cs, '已缴费');
	eq(await cs.evaluate(() => window.__same_page === true), true, 'the same page, not reloaded');
	eq(sql(`SELECT c.state, o.state FROM cases.case c JOIN pay.order o ON o.case_id = c.id WHERE c.id = ${c.id}`), [['paid', 'paid']], 'paid');
	await cs.locator('.pay-done').waitFor();
	await t.shot(cs, 'paid');

	// the voucher, from the case screen
	await cs.getByRole('link', { name: '缴费凭证', exact: true }).click();
	await cs.locator('#voucher-number').waitFor();
	const [[vno, vamount, vtx]] = sql(`SELECT number, amount_fen, transaction_id FROM pay.voucher WHERE case_id = ${c.id}`);
	eq(await text(cs.locator('#voucher-number')), vno, 'the voucher number');
	eq(await text(cs.locator('#voucher-order')), order.out_trade_no, 'the order number');
	eq(await text(cs.locator('#voucher-amount')), yuan(Number(vamount)), 'the amount');
	assert((await text(cs.locator('.voucher'))).includes(vtx), 'the provider transaction id');
	await t.shot(cs, 'voucher');
	await cs.emulateMedia({ media: 'print' });
	const pdf = path.join(SCREENS, 'payment-voucher-a5.pdf');
	await cs.pdf({ path: pdf, preferCSSPageSize: true, printBackground: true });
	const info = execFileSync('pdfinfo', [pdf], { encoding: 'utf8' });
	assert(/Pages:\s+1\n/.test(info), 'one page: ' + info);
	assert(/Page size:\s+4(19|20)(\.\d+)? x 59[45](\.\d+)? pts \(A5\)/.test(info), 'A5: ' + info);
	execFileSync('pdftoppm', ['-png', '-r', '60', '-singlefile', pdf, path.join(SCREENS, 'payment-voucher-a5')]);

	// the window that took the case in sees the same voucher
	const w = await signedIn(t, c.clerk);
	await w.goto(`/#/cases/${c.id}/voucher`);
	await w.locator('#voucher-number').filter({ hasText: vno }).waitFor();
	eq(await text(w.locator('#voucher-amount')), yuan(Number(vamount)), 'the window sees the amount');
}
test_the_cashier_confirms_fees_shows_the_qr_and_the_screen_turns_paid.timeout = 180000;

export async function test_the_applicant_pays_on_the_phone_and_sees_paid(t) {
	const c = fixture('pay_case', { state: 'fees_set' });
	const total = Number(sql(`SELECT fee_total_fen FROM cases.case WHERE id = ${c.id}`)[0][0]);

	// inside WeChat: a pay link beside the code
	const wx = await t.page({ ...PHONE, userAgent: WECHAT_UA });
	await wx.goto(`/p/#${c.number}`);
	await wx.getByLabel('申请人证件号码后六位').fill(c.id_last6);
	await wx.getByLabel('申请人证件号码后六位').press('Enter');
	await wx.locator('#ap-paylink').waitFor();
	const order = fixture('pay_order', { id: c.id });
	eq(await wx.locator('#ap-paylink').getAttribute('href'), order.code_url, 'the pay link is the pay URL');
	await t.shot(wx, 'applicant-wechat');

	const page = await t.page(PHONE);
	await page.goto(`/p/#${c.number}`);
	await page.getByLabel('申请人证件号码后六位').fill(c.id_last6);
	await page.getByLabel('申请人证件号码后六位').press('Enter');
	await page.locator('#ap-qr').waitFor();
	await page.waitForFunction(() => { const i = document.getElementById('ap-qr'); return i && i.complete && i.naturalWidth > 0; });
	eq(await text(page.locator('#ap-state')), '请缴纳登记费', 'the state');
	eq(await text(page.locator('#ap-amount')), `${yuan(total)} 元`, 'the amount');
	eq(await page.locator('#ap-paylink').count(), 0, 'no pay link outside WeChat');
	eq(fixture('pay_order', { id: c.id }).out_trade_no, order.out_trade_no, 'the same order for both pages');
	const png = path.join(SCREENS, 'payment-applicant-qr.png');
	await page.locator('#ap-qr').screenshot({ path: png });
	eq(execFileSync('zbarimg', ['--raw', '-q', png], { encoding: 'utf8' }).trim(), order.code_url, 'the phone QR holds the pay URL');
	eq(await page.evaluate(() => document.documentElement.scrollWidth), 390, 'nothing wider than the phone');
	await t.shot(page, 'applicant-qr');

	await page.evaluate(() => { window.__same_page = true; });
	await pay(order.code_url);
	await page.locator('#ap-paid').filter({ hasText: '已缴费' }).waitFor({ timeout: 20000 });
	await page.locator('#ap-state').filter({ hasText: '已缴费' }).waitFor();
	eq(await page.evaluate(() => window.__same_page === true), true, 'the same page, not reloaded');
	eq(sql(`SELECT state FROM cases.case WHERE id = ${c.id}`), [['paid']], 'paid');
	await t.shot(page, 'applicant-paid');
}
test_the_applicant_pays_on_the_phone_and_sees_paid.timeout = 120000;

export async function test_the_reconciliation_report_shows_a_planted_mismatch_and_settles_from_the_statement(t) {
	const [a, b] = [fixture('pay_case', { state: 'fees_set' }), fixture('pay_case', { state: 'fees_set' })];
	// a: paid and notified; b: paid at the provider, the notification lost
	const oa = fixture('pay_open', { id: a.id, username: a.cashier.username });
	const ob = fixture('pay_open', { id: b.id, username: b.cashier.username });
	await pay(oa.code_url);
	await pay(ob.code_url, '?notify=0');
	await until('order a paid', () => sql(`SELECT state FROM pay.order WHERE out_trade_no = '${oa.out_trade_no}'`)[0][0] === 'paid');
	eq(sql(`SELECT state FROM pay.order WHERE out_trade_no = '${ob.out_trade_no}'`), [['pending']], 'b not recorded');
	const date = sql(`SELECT to_char(now() AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD')`)[0][0];
	// the provider's statement with a's amount changed: a planted mismatch
	const csv = fixture('pay_statement', { date, tamper: `amount:${oa.out_trade_no}:${oa.amount_fen - 1}` }).csv;

	// a day's statement is imported once the day is over: the cashiers work tomorrow
	const tomorrow = Date.parse(`${date}T10:00:00+08:00`) / 1000 + 86400;
	const cs = await signedInAt(t, a.cashier, tomorrow);
	await cs.getByRole('link', { name: '支付对账' }).click();
	await cs.getByLabel('对账日期').fill(date);
	await cs.getByLabel('对账单文件（CSV）').setInputFiles({ name: `tradebill-${date}.csv`, mimeType: 'text/csv', buffer: Buffer.from(csv) });
	eq(await text(cs.locator('#recon-file-name')), `tradebill-${date}.csv`, 'the file picked');
	await cs.getByRole('button', { name: '导入对账单' }).click();
	await cs.locator('.recon-tiles').waitFor();
	const mismatch = cs.locator('#recon-amount-mismatch tbody tr').filter({ hasText: oa.out_trade_no });
	await mismatch.waitFor();
	eq((await mismatch.locator('td').allInnerTexts()).slice(3), [yuan(oa.amount_fen), yuan(oa.amount_fen - 1)], 'recorded and statement amounts');
	eq(await text(mismatch.locator('td').nth(2)), a.number, 'the case');
	const lost = cs.locator('#recon-paid-unrecorded tbody tr').filter({ hasText: ob.out_trade_no });
	await lost.waitFor();
	eq(await text(lost.locator('td').last()), '须由导入对账单以外的人员确认', 'the importer does not settle');
	const matched = Number(await text(cs.locator('.recon-tile.tile-ok .recon-n')));
	const report = await cs.evaluate(async (d) => (await fetch(`/api/v1/payments/reconciliation?date=${d}`, { headers: { Accept: 'application/json' } })).json(), date);
	eq(matched, report.matched, 'the matched count as the API counts it');
	await t.shot(cs, 'reconciliation');

	// another cashier settles b from the statement, with a reason
	const c2 = await signedInAt(t, b.cashier, tomorrow);
	await c2.goto(`/#/reconciliation?date=${date}`);
	const lost2 = c2.locator('#recon-paid-unrecorded tbody tr').filter({ hasText: ob.out_trade_no });
	await lost2.getByRole('button', { name: `按对账单确认缴费：${ob.out_trade_no}` }).click();
	const dlg = c2.getByRole('dialog');
	await dlg.getByLabel('确认理由（2–200 字）').fill('对账单显示已支付，支付通知未送达');
	await t.shot(c2, 'reconciliation-settle', { axe: false });
	await dlg.getByRole('button', { name: '确认缴费' }).click();
	await lost2.waitFor({ state: 'detached' });
	eq(sql(`SELECT c.state, o.state FROM cases.case c JOIN pay.order o ON o.case_id = c.id WHERE c.id = ${b.id}`), [['paid', 'paid']], 'b settled');
	await t.shot(c2, 'reconciliation-settled');
}
test_the_reconciliation_report_shows_a_planted_mismatch_and_settles_from_the_statement.timeout = 180000;
