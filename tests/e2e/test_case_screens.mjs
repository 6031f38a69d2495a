// The case screens one behaviour at a time: the server's validation shown
// and cleared, files refused before upload, the draft across a reload, a
// stale tab, the printable receipt.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fixture, SCREENS } from './lib.mjs';
import {
	WINDOW, DECIDING, staff, staffs, signedIn, expectStep, state, act, stateShown, openCase, eq, assert, sql,
} from './case_steps.mjs';

async function toUnitStep(page, type = /抵押登记（设立）/) {
	await page.goto('/#/cases/new');
	await page.getByLabel(type).check();
	await page.getByRole('button', { name: '下一步' }).click();
	await expectStep(page, '第 2 步：不动产单元');
}

export async function test_live_validation_messages_come_from_the_server_and_clear(t) {
	const unit = fixture('card_unit', { county: DECIDING, seizure: true });
	const w = await signedIn(t, staff('intake_clerk', WINDOW));
	const asked = [];
	w.on('request', (r) => { if (r.url().endsWith('/api/v1/cases/validate')) asked.push(JSON.parse(r.postData())); });
	await toUnitStep(w);
	const code = w.getByLabel('不动产单元代码');
	const hint = w.locator('#unit_code-hint');
	await code.fill(unit.code.slice(0, 19) + 'X' + unit.code.slice(20));
	await hint.filter({ hasText: '第 20 位须为定着物特征码 F、L、Q 或 W。' }).waitFor();
	eq(await code.getAttribute('aria-invalid'), 'true', 'marked invalid');
	eq(asked[asked.length - 1].unit_code, unit.code.slice(0, 19) + 'X' + unit.code.slice(20), 'the server was asked');
	await t.shot(w, 'bad-unit-code');
	await code.fill(unit.code);
	await hint.filter({ hasText: '单元代码有效。' }).waitFor();
	eq(await code.getAttribute('aria-invalid'), null, 'the mark cleared');
	const warn = w.locator('.unit-card .banner-error');
	eq((await warn.textContent()).startsWith('查封警示：该单元现有 1 项查封，查封期间不能办理登簿。'), true, 'a seizure shown as a warning');
	await t.shot(w, 'seized-unit-card');
	await w.getByRole('button', { name: '下一步' }).click();
	await expectStep(w, '第 3 步：申请人');
	const idn = w.locator('fieldset.party').nth(0).getByLabel('证件号码');
	const good = unit.holders[0].id_number;
	const bad = good.slice(0, 17) + (good[17] === '0' ? '1' : '0');
	await idn.fill(bad);
	const idHint = w.locator(`#${await idn.getAttribute('id')}-hint`);
	await idHint.filter({ hasText: '证件号码校验位不正确，请核对后重新录入。' }).waitFor();
	await t.shot(w, 'bad-id-number');
	await idn.fill(good);
	await idHint.filter({ hasText: '号码校验通过。' }).waitFor();
	eq(await idn.getAttribute('aria-invalid'), null, 'cleared');
	// Next with an empty name and a bad number stays on the step
	await idn.fill(bad);
	await w.getByRole('button', { name: '下一步' }).click();
	await idHint.filter({ hasText: '证件号码校验位不正确，请核对后重新录入。' }).waitFor();
	eq(await w.locator('.step-title').textContent(), '第 3 步：申请人', 'still on the parties step');
	eq(sql(`SELECT count(*) FROM cases.case WHERE unit_code = '${unit.code}'`), [['0']], 'no case made');
}

export async function test_a_file_of_the_wrong_type_or_size_is_refused_before_upload(t) {
	const unit = fixture('unit', { county: DECIDING });
	const clerk = staff('intake_clerk', WINDOW);
	const c = fixture('case', { username: clerk.username, code: unit.code });
	const w = await signedIn(t, clerk);
	const posted = [];
	w.on('request', (r) => { if (r.method() === 'POST' && /\/attachments$/.test(r.url())) posted.push(r.url()); });
	await openCase(w, c.id);
	const row = w.locator('li.doc-row[data-doc="identity"]');
	await w.getByLabel('选择文件：申请人身份证明').setInputFiles({ name: '说明.txt', mimeType: 'text/plain', buffer: Buffer.from('not a scan') });
	await row.locator('.hint.bad').filter({ hasText: '「说明.txt」不是 PDF、JPEG 或 PNG 文件，不能上传。' }).waitFor();
	// 21 MiB made in the page (cheaper than sending it through the driver), dropped on the row
	await w.evaluate(() => {
		const dt = new DataTransfer();
		dt.items.add(new File([new Uint8Array(21 * 1024 * 1024)], '扫描件.pdf', { type: 'application/pdf' }));
		document.querySelector('li.doc-row[data-doc="identity"] .drop').dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
	});
	await row.locator('.hint.bad').filter({ hasText: '「扫描件.pdf」大小为 21.0 MB，超过 20 MB 上限，不能上传。' }).waitFor();
	await t.shot(w, 'refused-file');
	eq(posted, [], 'no upload was sent');
	eq(sql(`SELECT count(*) FROM cases.attachment WHERE case_id = ${c.id}`), [['3']], 'nothing stored');
	// dropped on the row, a PDF goes up with its progress bar
	await w.evaluate(() => {
		const dt = new DataTransfer();
		dt.items.add(new File(['%PDF-1.4\n%%EOF\n'], '身份证背面.pdf', { type: 'application/pdf' }));
		document.querySelector('li.doc-row[data-doc="identity"] .drop').dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
	});
	await row.locator('.bar-line.done').filter({ hasText: '身份证背面.pdf' }).waitFor();
	eq(sql(`SELECT filename FROM cases.attachment WHERE case_id = ${c.id} AND document_type = 'identity' ORDER BY id`), [['申请书.pdf'], ['身份证背面.pdf']], 'the dropped file stored');
}

export async function test_a_draft_survives_a_reload_without_keeping_id_numbers(t) {
	const unit = fixture('card_unit', { county: DECIDING });
	const w = await signedIn(t, staff('intake_clerk', WINDOW));
	await toUnitStep(w);
	await w.getByLabel('不动产单元代码').fill(unit.code);
	await w.locator('.unit-card').waitFor();
	await w.getByRole('button', { name: '下一步' }).click();
	const ps = w.locator('fieldset.party');
	await ps.nth(0).getByLabel('姓名或名称').fill(unit.holders[0].name);
	await ps.nth(0).getByLabel('证件号码').fill(unit.holders[0].id_number);
	await ps.nth(1).getByLabel('姓名或名称').fill(unit.holders[1].name);
	await ps.nth(1).getByLabel('证件号码').fill(unit.holders[1].id_number);
	const stored = await w.evaluate(() => JSON.stringify(sessionStorage) + JSON.stringify(localStorage));
	assert(stored.includes(unit.holders[0].name) && !stored.includes(unit.holders[0].id_number) && !stored.includes(unit.holders[0].id_number.slice(-6)), 'no ID number in browser storage: ' + stored);
	await w.reload();
	await expectStep(w, '第 3 步：申请人');
	eq(await w.locator('p.banner-warn').textContent(), '页面已重新载入：为保护个人信息，草稿不保存证件号码，请重新录入各申请人的证件号码。', 'asked again');
	eq(await ps.nth(0).getByLabel('姓名或名称').inputValue(), unit.holders[0].name, 'the name kept');
	eq(await ps.nth(0).getByLabel('证件号码').inputValue(), '', 'the number asked again');
	await t.shot(w, 'draft-reloaded');
	await ps.nth(0).getByLabel('证件号码').fill(unit.holders[0].id_number);
	await ps.nth(1).getByLabel('证件号码').fill(unit.holders[1].id_number);
	await w.getByRole('button', { name: '下一步' }).click();
	await w.getByLabel(/抵押权人/).fill('某某小额贷款有限公司');
	await w.getByLabel('被担保债权数额（元）').fill('300000.5');
	await w.getByLabel('债务履行期限起').fill('2026-12-01');
	await w.getByLabel('债务履行期限止').fill('2029-11-30');
	await w.getByLabel('抵押方式').selectOption('maximum');
	await w.getByLabel('债务人').fill(unit.holders[0].name);
	await w.getByRole('button', { name: '下一步' }).click();
	await expectStep(w, '第 5 步：申请材料');
	const [[id, fields]] = sql(`SELECT id, fields::text FROM cases.case WHERE unit_code = '${unit.code}'`);
	eq(JSON.parse(fields).amount_fen, 30000050, '300000.5 元 is 30000050 fen');
	eq(JSON.parse(fields).mortgagee_name, '某某小额贷款有限公司', 'a mortgagee not in the bank list by name');
	await w.reload();
	await expectStep(w, '第 5 步：申请材料');
	assert((await w.locator('.step p.muted').first().textContent()).startsWith(`案件 ${sql(`SELECT number FROM cases.case WHERE id = ${id}`)[0][0]} 已创建（草稿）`), 'the same case after a reload');
	eq(sql(`SELECT count(*) FROM cases.case WHERE unit_code = '${unit.code}'`), [['1']], 'one case, not two');
}

export async function test_a_stale_tab_shows_what_changed_and_reloads(t) {
	const unit = fixture('unit', { county: DECIDING });
	const [clerk, reviewer] = staffs(['intake_clerk', WINDOW], ['reviewer', DECIDING]);
	const c = fixture('case', { username: clerk.username, code: unit.code, submit: true });
	fixture('act', { username: reviewer.username, id: c.id, action: 'accept' });
	t.allow(409, new RegExp(`/api/v1/cases/${c.id}/actions/approve$`));
	const a = await signedIn(t, reviewer);
	await openCase(a, c.id);
	const b = await a.context().newPage();   // a second tab of the same session
	await openCase(b, c.id);
	await stateShown(b, '已受理');
	// tab A sends it back for a document; the window resubmits; A accepts again
	await act(a, '要求补正', async (d) => { await d.getByLabel('其他补正要求（每行一项）').fill('申请书缺少申请人签字'); });
	await stateShown(a, '待补正');
	fixture('act', { username: clerk.username, id: c.id, action: 'resubmit' });
	await openCase(a, c.id);
	await act(a, '受理');
	await stateShown(a, '已受理');
	const [[version]] = sql(`SELECT version FROM cases.case WHERE id = ${c.id}`);
	// tab B still shows the first acceptance
	await act(b, '审核通过');
	const stale = b.locator('.stale');
	await stale.waitFor();
	eq(await stale.locator('h2').textContent(), '案件已被他人更新', 'what happened');
	const ps = await stale.locator('p').allTextContents();
	eq(ps[0], '您打开本页后，案件已被他人办理过（当前状态仍为“已受理”），“审核通过”未执行。', 'what changed');
	assert(/^最新办理：受理，测试用户（.+），\d{4}-\d\d-\d\d \d\d:\d\d。$/.test(ps[1]), 'the latest step by whom and when: ' + ps[1]);
	eq(state(c.id), 'accepted', 'nothing approved');
	eq(sql(`SELECT version FROM cases.case WHERE id = ${c.id}`), [[version]], 'nothing changed');
	await t.shot(b, 'stale-version');
	await b.getByRole('button', { name: '重新加载' }).click();
	await b.locator('.stale').waitFor({ state: 'detached' });
	eq(await b.locator('.timeline .tl-action').allTextContents(), ['创建草稿', '提交', '受理', '要求补正', '补正后重新提交', '受理'], 'the fresh timeline');
}

export async function test_the_receipt_prints_on_one_a4_page(t) {
	const unit = fixture('unit', { county: DECIDING });
	const clerk = staff('intake_clerk', WINDOW);
	const c = fixture('case', { username: clerk.username, code: unit.code, submit: true });
	const w = await signedIn(t, clerk);
	await w.goto(`/#/cases/${c.id}/receipt`);
	const r = w.locator('article.receipt');
	await r.waitFor();
	await w.locator('.receipt-follow img').evaluate((img) => img.complete || new Promise((ok) => { img.onload = ok; }));
	eq(await w.locator('#receipt-title').textContent(), '不动产登记受理回执', 'the title');
	eq(await w.locator('.receipt-no strong').textContent(), c.number, 'the case number');
	const rows = Object.fromEntries(await w.locator('.receipt-table tr').evaluateAll((trs) => trs.map((tr) => [tr.cells[0].textContent, tr.cells[1].textContent])));
	eq(rows['业务类型'], '抵押登记（设立）', 'the type');
	eq(rows['不动产单元号'], unit.code, 'the unit');
	eq(rows['申请人'], '张三（权利人）、李四（义务人）', 'the applicants');
	eq(rows['受理机构'], sql(`SELECT name FROM iam.agency WHERE code = '${WINDOW}'`)[0][0], 'the window');
	eq(rows['承诺办结日期'], sql(`SELECT to_char(due_date, 'YYYY-MM-DD') FROM cases.case WHERE id = ${c.id}`)[0][0], 'the promised date');
	eq(await w.locator('.receipt-docs tbody tr').allTextContents(),
		['1不动产登记申请书申请书.pdf', '2申请人身份证明申请书.pdf', '3抵押合同申请书.pdf'], 'the documents received');
	assert((await w.locator('.receipt-url').textContent()).endsWith('/p/#' + c.number), 'the applicant page');
	eq(await w.locator('.receipt-follow img').evaluate((img) => img.naturalWidth > 0), true, 'the QR code shown');
	await t.shot(w, 'receipt');
	await w.emulateMedia({ media: 'print' });
	eq(await w.locator('.receipt-tools').isVisible(), false, 'no buttons in print');
	const pdf = path.join(SCREENS, 'case_screens-receipt-a4.pdf');
	await w.pdf({ path: pdf, format: 'A4', printBackground: true });
	const info = execFileSync('pdfinfo', [pdf], { encoding: 'utf8' });
	assert(/Pages:\s+1\n/.test(info), 'one page: ' + info);
	assert(/Page size:\s+595\.\d+ x 841\.\d+ pts \(A4\)/.test(info), 'A4: ' + info);
	execFileSync('pdftoppm', ['-png', '-r', '60', '-singlefile', pdf, path.join(SCREENS, 'case_screens-receipt-a4')]);
	assert(readFileSync(path.join(SCREENS, 'case_screens-receipt-a4.png')).length > 1000, 'the printed page rendered');
}
