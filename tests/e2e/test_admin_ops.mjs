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
		const county = '451022';   // 田东县
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

const num = (s) => Number(String(s).replace(/[,\s]/g, '').replace(/工作日$/, ''));
async function tile(page, key) { return text(page.locator(`#stats-overview .stats-tile[data-key="${key}"] .stats-tile-value`)); }

export async function test_statistics_equal_sql_over_a_subtree_with_charts_and_csv(t) {
	const f = fixture('ops_stats', {});
	const [k1] = f.counties;
	const { page } = await signedInAdmin(t, 'system_admin');
	await page.goto(`/#/admin/stats?division=${f.city}`);
	await page.locator('#stats-overview .stats-tile').first().waitFor();
	await page.locator('#stats-by-month svg').waitFor();
	await page.locator('#stats-fees svg, #stats-fees .stats-table').first().waitFor();

	// the key figures against the base tables (the subtree holds only this
	// test's cases, all received this month)
	const sub = (div) => `(ref.covers('${div}', c.receiving_division) OR ref.covers('${div}', c.deciding_division))`;
	const facts = (div) => sql(`SELECT count(*) FILTER (WHERE c.received_at IS NOT NULL),
		count(*) FILTER (WHERE c.received_at IS NOT NULL AND c.receiving_division <> c.deciding_division),
		(SELECT count(*) FROM cases.event e JOIN cases.case c ON c.id = e.case_id WHERE e.action = 'register' AND ${sub(div)}),
		(SELECT count(*) FROM cases.event e JOIN cases.case c ON c.id = e.case_id WHERE e.action = 'reject' AND ${sub(div)})
		FROM cases.case c WHERE ${sub(div)}`)[0].map(Number);
	const [received, cross, registered, rejected] = facts(f.city);
	eq([received, cross, registered, rejected], [5, 2, 2, 1], 'the fixture\'s cases in SQL');
	eq(num(await tile(page, 'received')), received, '收件数 = SQL');
	eq(num(await tile(page, 'cross_received')), cross, '跨辖区收件数 = SQL');
	eq(await tile(page, 'cross_bp'), `${(cross * 100 / received).toFixed(2)}%`, '跨辖区占比 = SQL');
	eq(num(await tile(page, 'registered')), registered, '登簿数 = SQL');
	eq(num(await tile(page, 'rejected')), rejected, '不予登记数 = SQL');

	// the monthly chart: one bar per month of the default period (12), the
	// current month's bar holding the cases
	const bars = page.locator('#stats-by-month svg rect.chart-bar');
	eq(await bars.count(), 12, 'one bar per month');
	eq(await page.locator('#stats-by-month svg').getAttribute('role'), 'img', 'the chart is an image to assistive technology');
	assert((await page.locator('#stats-by-month svg title').first().textContent()).length > 0, 'with a title');
	eq(await bars.last().locator('title').textContent(), `${f.month} 收件数：${received}`, 'this month\'s bar');
	const monthRow = page.locator('#stats-table-by-month tbody tr', { hasText: f.month });
	eq(num(await text(monthRow.locator('td').nth(1))), received, 'the table under the chart');
	// by business type: the mortgages
	const typeRow = page.locator('#stats-table-by-type tbody tr', { hasText: '抵押登记（设立）' });
	eq(num(await text(typeRow.locator('td').nth(2))), received, 'by type: 抵押登记（设立）');
	eq(await page.locator('#stats-by-type svg rect.chart-bar').count(), await page.locator('#stats-table-by-type tbody tr').count(), 'a bar per type row');
	await t.shot(page, 'stats');

	// CSV of the monthly table: the BOM, the Chinese header, this month's row
	const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#stats-by-month .stats-csv').click()]);
	const csv = readFileSync(await download.path(), 'utf8');
	eq(csv.charCodeAt(0), 0xfeff, 'the CSV starts with the BOM');
	const lines = csv.slice(1).split('\r\n');
	const header = await page.locator('#stats-table-by-month thead th').allInnerTexts();
	eq(lines[0].split(',')[0], '月份', 'the header in Chinese');
	eq(lines[0].split(',').length, header.length, 'as many columns as the table');
	assert(lines.some((l) => l.startsWith(`${f.month},${received},${cross},`)), 'this month\'s line: ' + lines.join(' | '));
	assert(/^attachment; filename\*=UTF-8''by-month-/.test(download.suggestedFilename() ? `attachment; filename*=UTF-8''${download.suggestedFilename()}` : ''), 'named by the report');

	// the first county through the picker: its cases only
	await page.getByLabel('统计范围', { exact: true }).selectOption(f.city);
	await page.getByLabel('县（市、区）').selectOption(k1);
	await page.getByRole('button', { name: '统计', exact: true }).click();
	await page.waitForURL(new RegExp(`division=${k1}`));
	await page.locator('#stats-overview .stats-tile').first().waitFor();
	const [r1] = facts(k1);
	eq(num(await tile(page, 'received')), r1, '收件数 of the county = SQL');
	await page.locator('#stats-processing svg').waitFor();
	await t.shot(page, 'stats-county');
}


export async function test_a_business_user_sees_none_of_the_admin_screens_data(t) {
	const clerk = fixture('ops_logins', { n: 0 });
	const page = await t.page();
	await login(page, clerk);
	eq(await page.locator('#topnav').getByRole('link', { name: '系统管理' }).count(), 0, 'no 系统管理 in the menu');
	t.allow(403, /\/api\/v1\/(audit|workflows|stats)/);   // the calls made below
	await page.goto('/#/admin/audit');
	await page.locator('#audit-denied').waitFor();
	eq(await page.locator('.audit-row, #audit-chain-state').count(), 0, 'no audit rows, no chain state');
	await t.shot(page, 'audit-refused');
	await page.goto('/#/admin/workflow');
	await page.locator('#wf-denied').waitFor();
	eq(await page.locator('tr[data-code]').count(), 0, 'no business types');
	await page.goto('/#/admin/stats');
	await page.locator('#stats-denied').waitFor();
	eq(await page.locator('.stats-tile').count(), 0, 'no figures');
	// and the API itself, CSV included
	for (const url of ['/api/v1/audit', '/api/v1/audit/verify', '/api/v1/workflows/business-types', '/api/v1/workflows/pilots',
		'/api/v1/stats/overview', '/api/v1/stats/by-month?division=451302&format=csv']) {
		const status = await page.evaluate(async (u) => (await fetch(u, { credentials: 'same-origin' })).status, url);
		eq(status, 403, `${url} refused`);
	}
}

// the machine is shared and the stack sanitizer-built: room for slow runs
for (const fn of [test_the_auditor_filters_the_trail_and_sees_the_chain_verified, test_keyset_paging_of_the_audit_trail,
	test_a_workflow_change_through_the_screen_lands_in_the_database, test_a_county_workflow_admin_sees_the_types_read_only,
	test_statistics_equal_sql_over_a_subtree_with_charts_and_csv, test_a_business_user_sees_none_of_the_admin_screens_data]) fn.timeout = 240000;
test_statistics_equal_sql_over_a_subtree_with_charts_and_csv.timeout = 360000;   // a dozen staff log in to fill the subtree
