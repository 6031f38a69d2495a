// Whole journeys through the case screens: a clerk at the window in 来宾市
// 兴宾区 (451302) takes an application in by keyboard; the staff of 南宁市
// 青秀区 (450103), where the unit lies, decide it — each person in a
// browser context of their own; the database checked after every step.
import { fixture } from './lib.mjs';
import {
	WINDOW, DECIDING, PDF, staffs, signedIn, tabTo, expectStep, state, act, stateShown, openCase, eq, assert, sql, sorted,
} from './case_steps.mjs';

async function uploadByKeyboard(page, docLabel, name) {
	await tabTo(page, `input[aria-label="选择文件：${docLabel}"]`);
	let chooser = null;
	for (let i = 0; i < 3 && !chooser; i++) {   // a key press now and then opens no chooser under load: press again
		const wait = page.waitForEvent('filechooser', { timeout: 5000 }).catch(() => null);
		await page.keyboard.press('Space');
		chooser = await wait;
	}
	await chooser.setFiles({ name, mimeType: 'application/pdf', buffer: PDF });
	await page.locator(`li.doc-row:has(input[aria-label="选择文件：${docLabel}"]) .bar-line.done`).waitFor();
}

export async function test_a_mortgage_goes_from_the_window_to_delivery(t) {
	const unit = fixture('card_unit', { county: DECIDING, mortgage: true });
	const [clerk, reviewer, registrar, cashier, issuer] = staffs(['intake_clerk', WINDOW], ['reviewer', DECIDING],
		['registrar', DECIDING], ['cashier', DECIDING], ['issuer', DECIDING]);
	const holder = unit.holders[0];
	const obligor = unit.holders[1];

	// --- the window: the wizard, keyboard only ---
	const w = await signedIn(t, clerk);
	await w.goto('/#/cases/new');
	await expectStep(w, '第 1 步：选择业务类型');
	await t.shot(w, 'wizard-type');
	await tabTo(w, 'input[value="mortgage.establish"]');
	await w.keyboard.press('Space');
	await w.keyboard.press('Enter');

	await expectStep(w, '第 2 步：不动产单元');
	await tabTo(w, '#unit_code');
	await w.keyboard.type(unit.code);
	await w.locator('.unit-card').waitFor();
	eq(await w.locator('#unit_code-hint').textContent(), '单元代码有效。', 'the unit code is valid');
	const card = w.locator('.unit-card');
	eq(await card.locator('dd').first().textContent(), unit.code, 'the card names the unit');
	assert((await card.textContent()).includes(unit.location), 'the card shows the location');
	const holderRows = await card.locator('table').first().locator('tbody tr').allTextContents();
	assert(holderRows.every((r, i) => r.includes(unit.holders[i].name) && r.includes(unit.holders[i].id_number.slice(-4)) && !r.includes(unit.holders[i].id_number)), 'holders with masked ID numbers: ' + holderRows);
	const mortgageRow = await card.locator('table').nth(1).locator('tbody tr').first().textContent();
	assert(mortgageRow.startsWith('第 1 顺位中国建设银行800,000.00 元'), 'the mortgage with its rank: ' + mortgageRow);
	await t.shot(w, 'wizard-unit-card');
	await w.keyboard.press('Enter');

	await expectStep(w, '第 3 步：申请人');
	await tabTo(w, '[data-path="parties/0/name"]');
	await w.keyboard.type(holder.name);
	await tabTo(w, '[data-path="parties/0/id_number"]');
	await w.keyboard.type(holder.id_number);
	await w.locator('#' + await w.evaluate(() => document.activeElement.id) + '-hint').filter({ hasText: '号码校验通过。' }).waitFor();
	await tabTo(w, '[data-path="parties/1/name"]');
	await w.keyboard.type(obligor.name);
	await tabTo(w, '[data-path="parties/1/id_number"]');
	await w.keyboard.type(obligor.id_number);
	await t.shot(w, 'wizard-parties');
	await w.keyboard.press('Enter');

	await expectStep(w, '第 4 步：业务信息');
	await tabTo(w, '[data-path="fields/mortgagee_bank fields/mortgagee_name"]');
	await w.keyboard.type('中国工商银行');
	await tabTo(w, '[data-path="fields/amount_fen"]');
	await w.keyboard.type('500000');
	await tabTo(w, '[data-path="fields/term_from"]');
	await w.keyboard.type('20261201');
	await tabTo(w, '[data-path="fields/term_to"]');
	await w.keyboard.type('20461130');
	await tabTo(w, '[data-path="fields/mortgage_type"]');
	await w.keyboard.press('ArrowDown');
	await tabTo(w, '[data-path="fields/debtor"]');
	await w.keyboard.type(holder.name);
	await t.shot(w, 'wizard-fields');
	await w.keyboard.press('Enter');

	await expectStep(w, '第 5 步：申请材料');
	const [[id, number, fields]] = sql(`SELECT id, number, fields::text FROM cases.case WHERE unit_code = '${unit.code}'`);
	eq(sorted(JSON.parse(fields)), sorted({ amount_fen: 50000000, debtor: holder.name, mortgage_type: 'ordinary', mortgagee_bank: 'ICBC',
		mortgagee_name: '中国工商银行', term_from: '2026-12-01', term_to: '2046-11-30' }), 'the case as created (yuan on screen, fen on the wire)');
	eq(state(id), 'draft', 'a draft until submitted');
	await uploadByKeyboard(w, '不动产登记申请书', '申请书.pdf');
	await uploadByKeyboard(w, '申请人身份证明', '身份证.pdf');
	await uploadByKeyboard(w, '抵押合同', '抵押合同.pdf');
	await t.shot(w, 'wizard-attachments');
	eq(sql(`SELECT document_type, filename FROM cases.attachment WHERE case_id = ${id} ORDER BY id`),
		[['application', '申请书.pdf'], ['identity', '身份证.pdf'], ['mortgage_contract', '抵押合同.pdf']], 'uploaded');
	await tabTo(w, 'button[type=submit]');
	await w.keyboard.press('Enter');

	await expectStep(w, '第 6 步：核对提交');
	await t.shot(w, 'wizard-review');
	await tabTo(w, 'button[type=submit]');
	eq((await w.evaluate(() => document.activeElement.textContent)), '提交', 'the last step submits');
	await w.keyboard.press('Enter');
	await w.waitForURL(new RegExp(`#/cases/${id}/receipt$`));
	await w.locator('.receipt-no strong').filter({ hasText: number }).waitFor();
	eq(state(id), 'submitted', 'submitted');
	eq(await w.evaluate(() => sessionStorage.getItem('tb.case_draft')), null, 'the draft is gone once submitted');

	// --- the deciding county: accept, then ask for a document ---
	const rv = await signedIn(t, reviewer);
	await openCase(rv, id);
	await t.shot(rv, 'detail-submitted');
	await act(rv, '受理');
	await stateShown(rv, '审核中');
	eq(state(id), 'accepted', 'accepted');
	await act(rv, '要求补正', async (d) => {
		await d.getByLabel('抵押合同').check();
		await d.getByLabel('其他补正要求（每行一项）').fill('抵押合同第 3 页缺少抵押人签字');
		await t.shot(rv, 'dialog-supplement', { axe: false });
	});
	await stateShown(rv, '待补正');
	eq(sql(`SELECT state, (SELECT details->>'missing' FROM cases.event WHERE case_id = c.id AND action = 'request_supplement') FROM cases.case c WHERE id = ${id}`),
		[['supplement_requested', '["抵押合同", "抵押合同第 3 页缺少抵押人签字"]']], 'the list of missing documents');

	// --- the window: the 补正 round trip ---
	await openCase(w, id);
	eq(await w.locator('.banner-warn ul li').allTextContents(), ['抵押合同', '抵押合同第 3 页缺少抵押人签字'], 'the clerk sees what is missing');
	await uploadByKeyboard(w, '抵押合同', '抵押合同（补正）.pdf');
	await t.shot(w, 'detail-supplement');
	await act(w, '补正后重新提交');
	await stateShown(w, '待受理');
	eq(state(id), 'submitted', 'resubmitted');
	eq(sql(`SELECT count(*) FROM cases.attachment WHERE case_id = ${id} AND document_type = 'mortgage_contract'`), [['2']], 'the new contract kept with the old');

	// --- decide, register, charge, issue, deliver, close ---
	await openCase(rv, id);
	await act(rv, '受理');
	await stateShown(rv, '审核中');
	await act(rv, '审核通过', async (d) => { await d.getByLabel('办理意见（可不填）').fill('材料齐全，同意登记'); });
	await stateShown(rv, '审核通过');
	eq(state(id), 'approved', 'approved');

	const rg = await signedIn(t, registrar);
	await openCase(rg, id);
	await act(rg, '登簿');
	await stateShown(rg, '已登簿');
	const [[st, cert]] = sql(`SELECT state, certificate_no FROM cases.case WHERE id = ${id}`);
	eq(st, 'registered', 'registered');
	assert(/^桂\(\d{4}\)南宁市不动产证明第\d{7}号$/.test(cert), 'a certificate number: ' + cert);
	eq(sql(`SELECT rank, holder_name, amount_fen FROM reg.entry WHERE made_by_case = ${id}`), [['2', '中国工商银行', '50000000']], 'a second-rank mortgage in the register');
	await t.shot(rg, 'detail-registered');

	const cs = await signedIn(t, cashier);
	await openCase(cs, id);
	// the fees computed at registration, confirmed as they are (test_payment adjusts them)
	t.allow(404, new RegExp(`/api/v1/cases/${id}/payment$`));   // no online order: paid at the window
	// the items registering computed: a residential unit's mortgage, 80 元
	eq(await cs.locator('#fee-total').textContent(), '¥80.00 元', 'the computed total shown');
	await cs.locator('#set-fees').click();
	const fd = cs.getByRole('dialog');
	await t.shot(cs, 'dialog-fees', { axe: false });
	await fd.getByRole('button', { name: '确认收费' }).click();
	await fd.waitFor({ state: 'detached' });
	await stateShown(cs, '待缴费');
	eq(sql(`SELECT state, fee_total_fen FROM cases.case WHERE id = ${id}`), [['fees_set', '8000']], 'fees set in fen');
	await act(cs, '窗口收费', async (d) => {
		eq(await d.getByLabel('实收金额（元）').inputValue(), '80.00', 'the amount due offered');
		await d.getByLabel('收据号码').fill('GX2026-000123');
	});
	await stateShown(cs, '已缴费');
	eq(sql(`SELECT state FROM cases.case WHERE id = ${id}`), [['paid']], 'paid');

	const is = await signedIn(t, issuer);
	await openCase(is, id);
	await act(is, '缮证');
	await stateShown(is, '已缮证');
	eq(state(id), 'issued', 'issued');
	await act(is, '送达', async (d) => { await d.getByLabel('邮件运单号').fill('SF1234567890'); });
	await stateShown(is, '已送达');
	eq(sql(`SELECT state, (SELECT details->>'tracking_number' FROM cases.event WHERE case_id = c.id AND action = 'deliver') FROM cases.case c WHERE id = ${id}`),
		[['delivered', 'SF1234567890']], 'delivered by mail');
	await act(is, '办结');
	await stateShown(is, '已办结');
	eq(state(id), 'closed', 'closed');
	eq(await is.locator('.timeline .tl-action').allTextContents(),
		['录入', '提交受理', '受理', '要求补正', '补正后重新提交', '受理', '审核通过', '登簿', '核定收费', '收费', '缮证', '送达', '办结'], 'the timeline');
	await t.shot(is, 'detail-closed');
}
test_a_mortgage_goes_from_the_window_to_delivery.timeout = 480000;

export async function test_a_pre_notice_is_taken_in_and_registered(t) {
	const unit = fixture('card_unit', { county: DECIDING });
	const [clerk, reviewer, registrar] = staffs(['intake_clerk', WINDOW], ['reviewer', DECIDING], ['registrar', DECIDING]);
	const w = await signedIn(t, clerk);
	await w.goto('/#/cases/new');
	await w.getByLabel(/预告登记（设立）/).check();
	await w.getByRole('button', { name: '下一步' }).click();
	await w.getByLabel('不动产单元代码').fill(unit.code);
	await w.locator('.unit-card').waitFor();
	await w.getByRole('button', { name: '下一步' }).click();
	await expectStep(w, '第 3 步：申请人');
	const ps = w.locator('fieldset.party');
	await ps.nth(0).getByLabel('姓名或名称').fill('覃小燕');
	await ps.nth(0).getByLabel('证件号码').fill(unit.holders[0].id_number);
	await ps.nth(1).getByLabel('姓名或名称').fill(unit.holders[1].name);
	await ps.nth(1).getByLabel('证件号码').fill(unit.holders[1].id_number);
	await w.getByRole('button', { name: '下一步' }).click();
	await expectStep(w, '第 4 步：业务信息');
	await w.getByLabel('买受人').fill('覃小燕');
	await w.getByLabel('出卖人').fill(unit.holders[1].name);
	await w.getByLabel('买卖合同编号').fill('NN-2026-0815');
	await w.getByLabel('合同价款（元）').fill('1,280,000');
	await w.getByRole('button', { name: '下一步' }).click();
	await expectStep(w, '第 5 步：申请材料');
	const [[id, fields]] = sql(`SELECT id, fields::text FROM cases.case WHERE unit_code = '${unit.code}'`);
	eq(sorted(JSON.parse(fields)), sorted({ buyer: '覃小燕', seller: unit.holders[1].name, price_fen: 128000000, contract_number: 'NN-2026-0815' }), 'the pre-notice fields');
	for (const [doc, name] of [['不动产登记申请书', '申请书.pdf'], ['申请人身份证明', '身份证.pdf'], ['买卖合同', '买卖合同.pdf']]) {
		await w.getByLabel('选择文件：' + doc).setInputFiles({ name, mimeType: 'application/pdf', buffer: PDF });
		await w.locator(`li.doc-row:has(input[aria-label="选择文件：${doc}"]) .bar-line.done`).waitFor();
	}
	await w.getByRole('button', { name: '下一步' }).click();
	await expectStep(w, '第 6 步：核对提交');
	await w.getByRole('button', { name: '提交' }).click();
	await w.waitForURL(new RegExp(`#/cases/${id}/receipt$`));
	eq(state(id), 'submitted', 'submitted');

	const rv = await signedIn(t, reviewer);
	await openCase(rv, id);
	await act(rv, '受理');
	await stateShown(rv, '审核中');
	await act(rv, '审核通过');
	await stateShown(rv, '审核通过');
	const rg = await signedIn(t, registrar);
	await openCase(rg, id);
	await act(rg, '登簿');
	await stateShown(rg, '已登簿');
	eq(sql(`SELECT kind, holder_name FROM reg.entry WHERE made_by_case = ${id}`), [['pre_notice', '覃小燕']], 'the pre-notice in the register');
	eq(state(id), 'registered', 'registered');
	await t.shot(rg, 'pre-notice-registered');
}
test_a_pre_notice_is_taken_in_and_registered.timeout = 240000;
