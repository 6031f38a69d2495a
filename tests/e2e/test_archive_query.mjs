// An archive query (查档) end to end with approval, each person in a browser
// context of their own: a query clerk at the window of 来宾市兴宾区 files a
// query for a holder who is on the sensitive whitelist → 待审批, nothing of
// the register shown; the jurisdiction admin of 来宾市 (TOTP) approves it
// in 查询审批; the clerk sees it completed, with the holder's 查询记录, and
// downloads the signed certificate (a PDF); the public check of that
// certificate on a phone (/v/, 390 px), reached through the link the QR code
// holds, says 真实有效. Plus the other new screens (registry search, 我的查询,
// 白名单管理, 查询权限) with axe checks.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fixture, login, sql, eq, assert } from './lib.mjs';
import { tabTo, PDF } from './case_steps.mjs';

// The query's number as the page shows it.
async function serialShown(page) {
	return (await page.locator('#query-serial').textContent()).trim();
}

// File a query through 查档申请 (fields filled directly; the keyboard walk is
// the first test's). Answers the query's id once its page shows.
async function fileQuery(page, { kind, name, idNumber, reference, purpose, unitCode }) {
	await page.goto('/#/queries/new');
	await page.getByRole('heading', { name: '查档申请', level: 1 }).waitFor();
	await page.locator(`label[for="q-kind-${kind}"]`).click();
	await page.locator('#q-name').fill(name);
	await page.locator('#q-idno').fill(idNumber);
	if (reference) await page.locator('#q-ref').fill(reference);
	await page.locator('#q-purpose').fill(purpose);
	await page.locator('#q-file').setInputFiles({ name: '证明材料.pdf', mimeType: 'application/pdf', buffer: PDF });
	await page.locator('#q-file-hint.good').waitFor();
	await page.locator('#q-unit').fill(unitCode);
	await page.getByRole('button', { name: '提交查询' }).click();
	await page.locator('#query-title').waitFor();
	return Number(new URL(page.url()).hash.split('/')[2]);
}

export async function test_a_whitelisted_holder_query_waits_for_approval_then_yields_a_certificate(t) {
	const f = fixture('query_people');
	const { clerk, admin, unit } = f;
	t.allow(401, /\/api\/v1\/auth\/login$/);   // the password step of a TOTP log-in
	const holder = unit.holder;

	// --- the window: the query request, by keyboard ---
	const w = await t.page();
	await login(w, clerk);
	await w.getByRole('navigation', { name: '主菜单' }).getByRole('link', { name: '查档申请' }).click();
	await w.getByRole('heading', { name: '查档申请', level: 1 }).waitFor();
	await t.shot(w, 'query-new');
	// the first requester kind (权利人) holds the focus
	eq(await w.evaluate(() => document.activeElement.value), 'holder', 'the requester kind has the focus');
	await tabTo(w, '#q-name');
	await w.keyboard.type(holder.name);
	await tabTo(w, '#q-idno');
	await w.keyboard.type(holder.id_number);
	await tabTo(w, '#q-purpose');
	await w.keyboard.type('办理继承公证前核实名下不动产');
	await tabTo(w, '#q-file');
	let chooser = null;
	for (let i = 0; i < 3 && !chooser; i++) {   // a key press now and then opens no chooser under load: press again
		const wait = w.waitForEvent('filechooser', { timeout: 5000 }).catch(() => null);
		await w.keyboard.press('Space');
		chooser = await wait;
	}
	assert(chooser, 'the file chooser opens from the keyboard');
	await chooser.setFiles({ name: '身份证复印件.pdf', mimeType: 'application/pdf', buffer: PDF });
	await w.locator('#q-file-hint.good').waitFor();
	await tabTo(w, '#q-unit');
	await w.keyboard.type(unit.code);
	await t.shot(w, 'query-filled');
	await w.keyboard.press('Enter');

	// --- 待审批: said plainly, nothing of the register shown ---
	await w.locator('#query-title').waitFor();
	const serial = await serialShown(w);
	assert(/^CX-451302-\d{4}-\d{7}$/.test(serial), 'a query number: ' + serial);
	await w.locator('.query-head .state').filter({ hasText: /^待审批$/ }).waitFor();
	assert(await w.locator('.state-banner').filter({ hasText: '待审批' }).isVisible(), 'the pending banner');
	eq(await w.locator('.result-card').count(), 0, 'no register data while pending');
	eq(await w.locator('#download-cert').count(), 0, 'no certificate while pending');
	const id = Number(new URL(w.url()).hash.split('/')[2]);
	eq(sql(`SELECT state, requester_kind, purpose FROM qry.query WHERE id = ${id}`)[0], ['pending_approval', 'holder', '办理继承公证前核实名下不动产'], 'the query is stored pending');
	await t.shot(w, 'query-pending');

	// 我的查询 lists it as pending
	await w.getByRole('navigation', { name: '主菜单' }).getByRole('link', { name: '我的查询' }).click();
	const row = w.locator('table.queries tbody tr').filter({ hasText: serial });
	await row.waitFor();
	assert((await row.textContent()).includes('待审批'), 'the list shows it pending');
	await t.shot(w, 'my-queries');

	// --- the jurisdiction admin approves it (TOTP log-in) ---
	const a = await t.page();
	await login(a, admin, { secret: admin.totp_secret_b32 });
	await a.getByRole('navigation', { name: '主菜单' }).getByRole('link', { name: '查询审批' }).click();
	const card = a.locator('li.approval').filter({ hasText: serial });
	await card.waitFor();
	assert((await card.textContent()).includes('办理继承公证前核实名下不动产'), 'the card shows the purpose');
	assert(!(await card.textContent()).includes(holder.id_number), 'the card never shows the full ID number');
	await t.shot(a, 'approvals');
	await card.getByRole('button', { name: `批准查询 ${serial}` }).click();
	const dlg = a.getByRole('dialog');
	await dlg.waitFor();
	await dlg.getByRole('button', { name: '确认批准' }).click();
	await a.locator('.toast').filter({ hasText: `查询 ${serial} 已批准。` }).waitFor();
	await a.locator('li.approval').filter({ hasText: serial }).waitFor({ state: 'detached' });
	eq(sql(`SELECT state, decided_by FROM qry.query WHERE id = ${id}`)[0], ['completed', String(admin.id)], 'approved by the admin');

	// --- the window: completed, the result, the certificate ---
	await w.goto(`/#/queries/${id}`);
	await w.locator('.query-head .state').filter({ hasText: /^已完成$/ }).waitFor();
	const result = w.locator('.result-card');
	await result.first().waitFor();
	const resultText = await result.first().textContent();
	assert(resultText.includes(unit.code) && resultText.includes(unit.location), 'the result names the unit');
	assert(resultText.includes(holder.name) && !resultText.includes(holder.id_number), 'the holder, ID number masked');
	assert(await w.locator('.queried-by').isVisible(), 'a holder sees who queried their units');
	await t.shot(w, 'query-completed');

	const [download] = await Promise.all([
		w.waitForEvent('download'),
		w.getByRole('button', { name: '下载查询结果证明' }).click(),
	]);
	const pdf = readFileSync(await download.path());
	eq(pdf.subarray(0, 5).toString('latin1'), '%PDF-', 'the certificate is a PDF');
	assert(pdf.length > 5000 && pdf.length < 300 * 1024, `a certificate of plausible size: ${pdf.length} bytes`);
	assert(download.suggestedFilename().includes(serial), 'the file is named by the serial: ' + download.suggestedFilename());
	await w.locator('.toast').filter({ hasText: '查询结果证明已下载。' }).waitFor();

	// --- the public check on a phone, from the certificate's QR code ---
	// the link under the QR code (pdftotext; the line breaks taken out):
	// opened by a phone's browser it lands on /v/#<serial>.<code>
	const file = await download.path();
	const text = execFileSync('pdftotext', ['-enc', 'UTF-8', file, '-'], { encoding: 'utf8' }).replace(/\s+/g, '');
	const link = /(https?:\/\/[^/]+\/api\/v1\/public\/certificates\/(ZM-[0-9-]+)\?code=([0-9a-f]{32}))/.exec(text);
	assert(link, 'the certificate names its verification link');
	const [, url, certSerial, code] = link;
	const phone = await t.page({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
	await phone.goto(url.replace(/^https?:\/\/[^/]+/, ''));
	await phone.waitForURL(/\/v\/#ZM-/);
	await phone.locator('#vf-verdict').waitFor();
	eq(await phone.locator('#vf-verdict').textContent(), '真实有效', 'the certificate is genuine');
	const facts = await phone.locator('.vf-facts').first().textContent();
	assert(facts.includes(certSerial) && facts.includes('出具后登记簿未变更'), 'the page names the certificate and the unchanged register: ' + facts);
	await phone.getByText('国密 SM2 签名信息').click();
	assert((await phone.locator('.vf-sig').textContent()).includes('1234567812345678'), 'the SM2 user id is shown');
	await t.shot(phone, 'verify-genuine');
	t.allow(404, /\/api\/v1\/public\/certificates\//);
	await phone.goto(`/v/?s=${certSerial}&c=${code.replace(/^./, (c) => (c === '0' ? '1' : '0'))}`);
	await phone.locator('#vf-verdict').filter({ hasText: '无法验证' }).waitFor();
	await t.shot(phone, 'verify-invalid');
}
test_a_whitelisted_holder_query_waits_for_approval_then_yields_a_certificate.timeout = 240000;

export async function test_a_prospective_party_sees_facts_only_and_a_rejected_query_gives_its_reason(t) {
	const open = fixture('query_people', { whitelist: false });   // nobody on it is whitelisted
	const f = fixture('query_people');
	t.allow(401, /\/api\/v1\/auth\/login$/);   // the password step of a TOTP log-in
	const w = await t.page();
	await login(w, f.clerk);

	// a prospective party: completed at once, yes/no facts, no names or numbers
	const factsId = await fileQuery(w, { kind: 'prospective_party', name: '覃海燕', idNumber: f.other_id_number,
		purpose: '购房前核实房屋权利状况', unitCode: open.unit.code });
	await w.locator('.query-head .state').filter({ hasText: /^已完成$/ }).waitFor();
	const card = await w.locator('.result-card').textContent();
	assert(card.includes('登记事实') && card.includes('已抵押是') && card.includes('查封否'), 'the facts: ' + card);
	assert(!card.includes(open.unit.holder.name) && !card.includes(open.unit.certificate_no), 'no holder name, no certificate number');
	eq(await w.locator('.queried-by').count(), 0, 'only a holder sees who queried');
	eq(sql(`SELECT state, result->>'visibility' FROM qry.query WHERE id = ${factsId}`), [['completed', 'facts']], 'stored as facts');
	await t.shot(w, 'query-facts');

	// a lawyer's query touching a whitelisted person: pending, then rejected
	const id = await fileQuery(w, { kind: 'lawyer', name: '黎明律师', idNumber: f.other_id_number, reference: '(2026)桂1302民初88号',
		purpose: '代理诉讼调查', unitCode: f.unit.code });
	const serial = (await w.locator('#query-serial').textContent()).trim();
	await w.locator('.query-head .state').filter({ hasText: /^待审批$/ }).waitFor();
	const a = await t.page();
	await login(a, f.admin, { secret: f.admin.totp_secret_b32 });
	await a.goto('/#/query-approvals');
	const pending = a.locator('li.approval').filter({ hasText: serial });
	await pending.waitFor();
	assert((await pending.textContent()).includes('(2026)桂1302民初88号'), 'the card shows the investigation order');
	await pending.getByRole('button', { name: `驳回查询 ${serial}` }).click();
	const dlg = a.getByRole('dialog');
	await dlg.getByLabel('驳回理由').fill('调查令与查询的不动产无关');
	await t.shot(a, 'reject-dialog');
	await dlg.getByRole('button', { name: '确认驳回' }).click();
	await a.locator('.toast').filter({ hasText: `查询 ${serial} 已驳回。` }).waitFor();
	eq(sql(`SELECT state, reject_reason FROM qry.query WHERE id = ${id}`), [['rejected', '调查令与查询的不动产无关']], 'rejected with the reason');

	await w.getByRole('button', { name: '刷新状态' }).click();   // the page still shows it pending
	await w.locator('.query-head .state').filter({ hasText: /^已驳回$/ }).waitFor();
	assert((await w.locator('.state-banner').textContent()).includes('驳回理由：调查令与查询的不动产无关'), 'the reason is shown');
	eq(await w.locator('#download-cert').count(), 0, 'no certificate for a rejected query');
	eq(await w.locator('.result-card').count(), 0, 'no register data');
	await t.shot(w, 'query-rejected');
}
test_a_prospective_party_sees_facts_only_and_a_rejected_query_gives_its_reason.timeout = 200000;

export async function test_an_admin_keeps_the_whitelist_and_query_permissions(t) {
	const f = fixture('query_people');
	const { clerk, admin } = f;
	const holder = f.unit.holder;
	t.allow(401, /\/api\/v1\/auth\/login$/);   // the password step of a TOTP log-in
	const a = await t.page();
	await login(a, admin, { secret: admin.totp_secret_b32 });
	await a.getByRole('navigation', { name: '主菜单' }).getByRole('link', { name: '白名单' }).click();
	const wl = a.locator('table tbody tr').filter({ hasText: holder.name }).filter({ hasText: holder.id_number.slice(-4) });
	await wl.waitFor();
	const wlText = await wl.textContent();
	assert(!wlText.includes(holder.id_number) && wlText.includes(holder.id_number.slice(-4)), 'the whitelist shows the ID number masked: ' + wlText);
	await t.shot(a, 'whitelist');
	// add a person by keyboard (the name input holds the focus), then remove them
	const other = { name: '蒙志刚', id_number: f.other_id_number };
	eq(await a.evaluate(() => document.activeElement.id), 'wl-name', 'the name input has the focus');
	await a.keyboard.type(other.name);
	await tabTo(a, '#wl-idno');
	await a.keyboard.type(other.id_number);
	await tabTo(a, '#wl-reason');
	await a.keyboard.type('家庭暴力受害人');
	await a.keyboard.press('Enter');
	await a.locator('.toast').filter({ hasText: `${other.name} 已加入白名单。` }).waitFor();
	const added = a.locator('table tbody tr').filter({ hasText: other.name });
	await added.waitFor();
	eq(sql(`SELECT reason, scope_code, id_masked FROM qry.whitelist WHERE name = '${other.name}' AND id_masked LIKE '%${other.id_number.slice(-4)}' AND removed_at IS NULL`),
		[['家庭暴力受害人', '451300', (await added.locator('td.mono').textContent()).trim()]], 'stored with the masked number shown');
	await added.getByRole('button', { name: `将 ${other.name} 移出白名单` }).click();
	await a.getByRole('dialog').getByRole('button', { name: '移出白名单' }).click();
	await a.locator('table tbody tr').filter({ hasText: other.name }).waitFor({ state: 'detached' });
	eq(sql(`SELECT count(*) FROM qry.whitelist WHERE name = '${other.name}' AND id_masked LIKE '%${other.id_number.slice(-4)}' AND removed_at IS NOT NULL`), [['1']], 'removed, and kept as removed');

	// the clerk's daily quota, set in 查询权限
	await a.getByRole('navigation', { name: '主菜单' }).getByRole('link', { name: '查询权限' }).click();
	await a.getByRole('heading', { name: '查询权限', level: 1 }).waitFor();
	const mine = a.locator('table tbody tr').filter({ hasText: clerk.username });
	await mine.waitFor();
	await t.shot(a, 'query-permissions');
	await mine.getByRole('button', { name: /^设置 .* 的查询权限$/ }).click();
	const qd = a.getByRole('dialog');
	await qd.getByLabel('可查询地区（行政区划代码）').fill('451302');
	await qd.getByLabel('每日查询限额（次）').fill('30');
	await t.shot(a, 'query-permissions-edit');
	await qd.getByRole('button', { name: '保存' }).click();
	await a.locator('.toast').filter({ hasText: '查询权限已保存。' }).waitFor();
	eq(sql(`SELECT divisions, daily_quota FROM qry.permission WHERE user_id = ${clerk.id}`), [['{451302}', '30']], 'the permission is stored');
	assert((await a.locator('table tbody tr').filter({ hasText: clerk.username }).textContent()).includes('兴宾区'), 'the division shown by name');
}
test_an_admin_keeps_the_whitelist_and_query_permissions.timeout = 150000;

export async function test_registry_search_by_unit_code_shows_the_unit_card(t) {
	const f = fixture('query_people', { whitelist: false });
	const page = await t.page();
	await login(page, f.clerk);
	await page.getByRole('navigation', { name: '主菜单' }).getByRole('link', { name: '登记查询' }).click();
	await page.getByRole('heading', { name: '登记信息查询', level: 1 }).waitFor();
	await t.shot(page, 'registry-search');
	eq(await page.evaluate(() => document.activeElement.id), 'rs-unit', 'the unit code input has the focus');
	await page.keyboard.type(f.unit.code);
	await page.keyboard.press('Enter');
	const card = page.locator('.result-card');
	await card.first().waitFor();
	const text = await card.first().textContent();
	assert(text.includes(f.unit.code) && text.includes(f.unit.holder.name) && !text.includes(f.unit.holder.id_number), 'the unit, its holder, the ID masked: ' + text);
	await t.shot(page, 'registry-results');
	// a holder search: the ID number goes in the body, never in a URL
	const urls = [];
	page.on('request', (r) => urls.push(r.url()));
	await page.getByLabel('权利人姓名和证件号码').check();
	await page.locator('#rs-hname').fill(f.unit.holder.name);
	await page.locator('#rs-hid').fill(f.unit.holder.id_number);
	await page.getByRole('button', { name: '查询', exact: true }).click();
	await page.locator('.result-card').filter({ hasText: f.unit.code }).waitFor();
	assert(urls.every((u) => !u.includes(f.unit.holder.id_number)), 'no ID number in a URL');
}
