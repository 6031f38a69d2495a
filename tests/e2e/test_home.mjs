// The home screen: worklists with counts as the database has them, keyset
// paging, the agency inbox with its unread badge, the search by case
// number, and the print view with the watermark.
import { assert, eq, fixture, login, sql } from './lib.mjs';

const COUNTY = '450107'; // 西乡塘区: the units of these tests lie there, decided there
const ACTIVE = "state NOT IN ('closed', 'withdrawn', 'rejected')";

function count(q) { return Number(sql(q)[0][0]); }
async function text(locator) { return (await locator.innerText()).trim(); }

export async function test_worklists_match_the_database_and_page_by_keyset(t) {
	const made = fixture('cases', { county: COUNTY, n: 21, state: 'submitted' });
	sql(`UPDATE cases.case SET due_date = current_date - 1 WHERE id = ${made[0].id}`);
	const u = fixture('user', { agency: COUNTY, grants: [['reviewer', COUNTY]] });
	const page = await t.page();
	await login(page, u);
	await page.locator('#inbox-title').waitFor();

	const waiting = count(`SELECT count(*) FROM cases.case WHERE deciding_division = '${COUNTY}' AND state IN ('submitted', 'accepted')`);
	const overdue = count(`SELECT count(*) FROM cases.case WHERE deciding_division = '${COUNTY}' AND ${ACTIVE} AND state <> 'delivered' AND due_date < (now() AT TIME ZONE 'Asia/Shanghai')::date`);
	const elsewhere = count(`SELECT count(*) FROM cases.case WHERE receiving_agency = '${COUNTY}' AND deciding_agency <> '${COUNTY}' AND ${ACTIVE}`);
	assert(waiting >= 21 && overdue >= 1, 'the fixture made the cases');
	eq(await text(page.locator('#count-waiting')), String(waiting), 'waiting count');
	eq(await text(page.locator('#count-received_elsewhere')), String(elsewhere), 'received elsewhere count');
	eq(await text(page.locator('#count-overdue')), String(overdue), 'overdue count');
	eq(await text(page.locator('.list-desc')), `需要您办理下一步的案件，共 ${waiting} 件。`, 'the list line');

	// first page: the 20 lowest ids, in order; each row links to its case
	const ids = sql(`SELECT id, number FROM cases.case WHERE deciding_division = '${COUNTY}' AND state IN ('submitted', 'accepted') ORDER BY id`);
	const rows = page.locator('#worklist tbody tr');
	eq(await rows.count(), 20, 'a page of 20');
	eq(await page.locator('#worklist tbody a.case-link').evaluateAll((as) => as.map((a) => [a.getAttribute('href'), a.textContent])),
		ids.slice(0, 20).map(([id, n]) => [`#/cases/${id}`, n]), 'the first page, by id');
	eq(await text(page.locator('.pager-info')), `第 1 页，共 ${Math.ceil(waiting / 20)} 页`, 'page info');
	eq(await text(rows.first().locator('td').nth(1)), '抵押登记（设立）', 'business type by name');
	eq(await text(rows.first().locator('td').nth(2)), '待受理', 'state in Chinese');
	await t.shot(page, 'home-worklist');
	await page.getByRole('button', { name: '下一页' }).click();
	await page.locator('.pager-info', { hasText: '第 2 页' }).waitFor();
	eq(await page.locator('#worklist tbody a.case-link').first().textContent(), ids[20][1], 'the second page starts after the first');
	await page.getByRole('button', { name: '上一页' }).click();
	await page.locator('.pager-info', { hasText: '第 1 页' }).waitFor();

	// the overdue tab, by keyboard (arrow keys move between tabs)
	await page.getByRole('tab', { name: /待我办理/ }).focus();
	await page.keyboard.press('ArrowLeft');
	await page.locator('#tab-overdue[aria-selected="true"]').waitFor();
	await page.locator('.list-desc', { hasText: '超过承诺办结日期' }).waitFor();
	eq(await rows.count(), Math.min(overdue, 20), 'overdue rows');
	assert((await text(page.locator('#worklist'))).includes(made[0].number), 'the overdue case is listed');
	eq(await text(page.locator('#worklist .row-overdue .tag-red').first()), '已超期', 'marked overdue');
	await t.shot(page, 'home-overdue');
}

export async function test_inbox_badge_counts_unread_and_mark_read_updates_the_database(t) {
	fixture('cases', { county: COUNTY, n: 2, state: 'submitted' });
	const u = fixture('user', { agency: COUNTY, grants: [['reviewer', COUNTY]] });
	const page = await t.page();
	await login(page, u);
	await page.locator('#inbox-title').waitFor();
	const unread = count(`SELECT count(*) FROM cases.notification WHERE agency_code = '${COUNTY}' AND read_at IS NULL`);
	eq(await text(page.locator('#inbox-unread')), String(unread), 'the unread badge');
	const newest = sql(`SELECT n.id, c.number, n.message FROM cases.notification n JOIN cases.case c ON c.id = n.case_id WHERE n.agency_code = '${COUNTY}' ORDER BY n.id DESC LIMIT 1`)[0];
	const first = page.locator('.notes li').first();
	eq(await text(first.locator('.note-msg')), newest[2], 'the newest note first');
	eq(newest[2], '新收件：请受理审核', 'the note the API wrote');
	await first.getByRole('button', { name: `将 ${newest[1]} 的通知标为已读` }).click();
	await page.locator('#inbox-unread', { hasText: String(unread - 1) }).waitFor();
	eq(sql(`SELECT read_at IS NOT NULL, read_by FROM cases.notification WHERE id = ${newest[0]}`), [['t', String(u.id)]], 'read in the database, by whom');
	// only unread ones
	await page.getByRole('button', { name: '只看未读' }).click();
	await page.locator('[aria-pressed="true"]', { hasText: '只看未读' }).waitFor();
	assert(!(await text(page.locator('.inbox'))).includes(newest[1]) || unread - 1 > 10, 'the read note is not among the unread');
	await t.shot(page, 'home-inbox');
}

export async function test_search_by_case_number_opens_the_case_or_says_not_found(t) {
	const [c] = fixture('cases', { county: COUNTY, n: 1, state: 'submitted' });
	const u = fixture('user', { agency: COUNTY, grants: [['reviewer', COUNTY]] });
	const page = await t.page();
	await login(page, u);
	const q = page.getByRole('searchbox', { name: '查询内容' });
	await q.fill('TB-450107-2026-99');
	await q.press('Enter');
	eq(await text(page.locator('.search-result')), '案件编号格式为 TB-六位地区码-年份-六位序号，例如 TB-450103-2026-000001。', 'format');
	await q.fill('TB-450107-1999-999999');
	await q.press('Enter');
	await page.locator('.search-result', { hasText: '未找到' }).waitFor();
	eq(await text(page.locator('.search-result')), '在您的工作清单和机构通知中未找到案件 TB-450107-1999-999999（已办结、已撤回或不予登记的案件不在清单中）。可改用当事人证件号码查询。', 'not found');
	await t.shot(page, 'home-search-not-found');
	await q.fill(c.number.toLowerCase());
	await q.press('Enter');
	await page.waitForURL(new RegExp(`#/cases/${c.id}$`));
}

export async function test_search_by_id_number_lists_the_cases_masked(t) {
	const [c] = fixture('cases', { county: COUNTY, n: 1, state: 'submitted' });
	const u = fixture('user', { agency: COUNTY, grants: [['reviewer', COUNTY]] });
	const page = await t.page();
	await login(page, u);
	await page.getByRole('combobox', { name: '查询方式' }).selectOption('resident_id');
	const q = page.getByRole('searchbox', { name: '查询内容' });
	await q.fill('11010519491231002x');
	await q.press('Enter');
	const table = page.locator('.search-result table');
	await table.waitFor();
	const row = table.locator('tr', { hasText: c.number });
	eq((await row.locator('td').allInnerTexts()).slice(0, 4), [c.number, '待受理', '张三', '权利人'], 'the match');
	const masked = await row.locator('td').nth(4).innerText();
	assert(masked !== '11010519491231002X' && masked.includes('*'), 'masked: ' + masked);
	await t.shot(page, 'home-search-id');
}

export async function test_print_view_carries_the_warning_and_watermark(t) {
	const u = fixture('user', { grants: [['intake_clerk', '451302']] });
	const page = await t.page();
	await login(page, u);
	await page.locator('#inbox-title').waitFor();
	await page.emulateMedia({ media: 'print' });
	const look = await page.evaluate(() => {
		const wm = getComputedStyle(document.getElementById('watermark'));
		return {
			wm: wm.display !== 'none' && wm.backgroundImage.startsWith('url("data:image/png'),
			warning: getComputedStyle(document.querySelector('.warning')).display !== 'none',
			nav: getComputedStyle(document.getElementById('topnav')).display,
			search: getComputedStyle(document.querySelector('.search')).display,
		};
	});
	eq(look, { wm: true, warning: true, nav: 'none', search: 'none' }, 'printed: warning and watermark, no menu or search');
	await t.shot(page, 'print');
}

export async function test_an_outage_is_shown_as_such_with_retry(t) {
	const u = fixture('user', { grants: [['intake_clerk', '451302']] });
	const page = await t.page();
	await login(page, u);
	await page.locator('#inbox-title').waitFor();
	// the worklist service answers 503 (as nginx does when it is down)
	t.allow(503, /\/api\/v1\/cases\?/);
	t.allow(503, /\/api\/v1\/auth\/me$/);
	const down = (route) => route.fulfill({ status: 503, contentType: 'application/problem+json', body: '{"type":"about:blank","title":"Service Unavailable","status":503,"code":"service_unavailable"}' });
	await page.route(/\/api\/v1\/cases\?/, down);
	await page.getByRole('tab', { name: /已超期/ }).click();
	const box = page.locator('#worklist .banner-error');
	await box.waitFor();
	eq(await text(box.locator('span')), '服务暂时不可用，请稍后重试。', 'the outage in the panel');
	await page.unroute(/\/api\/v1\/cases\?/);
	await box.getByRole('button', { name: '重试' }).click();
	await page.locator('#worklist .list-desc').waitFor();
	// the whole page: who am I cannot be answered on reload
	await page.route(/\/api\/v1\/auth\/me$/, down);
	await page.reload();
	await page.locator('.error-panel h1').waitFor();
	eq(await text(page.locator('.error-panel h1')), '服务暂时不可用', 'said as an outage');
	eq(await text(page.locator('.error-panel p').first()), '服务暂时不可用，请稍后重试。', 'the message');
	await t.shot(page, 'outage');
	await page.unroute(/\/api\/v1\/auth\/me$/);
	await page.getByRole('button', { name: '重试' }).click();
	await page.locator('#inbox-title').waitFor();
	eq(await text(page.locator('h1')), '工作台', 'back at work after the retry');
}
