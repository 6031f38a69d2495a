// 节假日安排 (#/admin/calendar): the year grid (twelve months, 2026 as the
// State Council's notice, 2027 provisional), a day set to 放假 through the
// dialog and the message of how many open cases' due dates moved (the
// case's due date in the database moved with it), then back to an
// ordinary day; keyboard movement in the grid; a county-scoped calendar
// manager sees the calendar read-only.
import { fixture, sql, eq, assert, login } from './lib.mjs';

const cn = (day) => { const [y, m, d] = day.split('-').map(Number); return `${y}年${m}月${d}日`; };
const dueOf = (id) => sql(`SELECT due_date::text FROM cases.case WHERE id = ${id}`)[0][0];

async function manager(t, scope) {
	const u = fixture('user', { agency: scope, totp: true, grants: [['system_admin', scope]] });
	const page = await t.page();
	t.allow(401, /\/api\/v1\/auth\/login$/);   // the password step asks for the second factor
	await login(page, u, { secret: u.totp_secret_b32 });
	return page;
}

export async function test_the_year_grid_and_a_day_set_through_the_dialog(t) {
	const c = fixture('cal_case');
	const year = c.day.slice(0, 4);
	const page = await manager(t, '450000');
	try {
		// the header's 系统管理 → the card → the screen
		await page.getByRole('link', { name: '系统管理' }).first().click();
		await page.getByRole('link', { name: /节假日/ }).first().click();
		await page.waitForURL(/#\/admin\/calendar/);
		await page.locator('.cal-grid').waitFor();
		eq(await page.locator('.cal-month').count(), 12, 'twelve months');
		eq(await page.locator('.admin-nav a[aria-current="page"]').innerText(), '节假日', 'the side menu marks the screen');
		assert((await page.locator('.cal-legend').innerText()).includes('调休上班'), 'a legend');

		// 2026 as the notice: status, source, the marked days and their notes
		await page.goto('/#/admin/calendar?year=2026');
		await page.locator('.cal-grid').waitFor();
		eq((await page.locator('.cal-status .adm-tag').innerText()).trim(), '正式', '2026 is official');
		assert((await page.locator('.cal-status').innerText()).includes('国务院办公厅关于2026年部分节假日安排的通知'), 'the source');
		eq(await page.locator('.cal-day.cal-holiday').count(), 3 + 9 + 3 + 5 + 3 + 3 + 7, 'the days off of the notice');
		eq(await page.locator('.cal-day.cal-workday').count(), 6, 'the make-up working days');
		const feb = page.locator('.cal-month').nth(1);
		assert((await feb.locator('.cal-notes').innerText()).includes('15–23日'), 'the Spring Festival run in February');
		assert((await page.getByRole('button', { name: /^2026年10月10日 星期六，调休上班/ }).count()) === 1, 'a make-up day named');
		eq((await page.locator('.cal-sum').innerText()).trim(), '放假 33 天（其中工作日 19 天），调休上班 6 天', 'the year summed up');
		await t.shot(page, 'year-2026');

		// 2027: provisional, statutory days only
		await page.getByRole('button', { name: '2027 年 ›' }).click();
		await page.waitForURL(/year=2027/);
		await page.locator('.cal-status .adm-tag', { hasText: '暂定' }).waitFor();
		eq(await page.locator('.cal-day.cal-holiday').count(), 13, 'the statutory days of 2027');
		assert((await page.locator('.cal-month').nth(1).locator('.cal-notes').innerText()).includes('春节（除夕）'), '除夕 on 2027-02-05');

		// a day of the case's window set to 放假 through the dialog
		await page.goto(`/#/admin/calendar?year=${year}`);
		await page.locator('.cal-grid').waitFor();
		const before = dueOf(c.id);
		eq(before, c.due_date, 'the due date as submitted');
		const dayBtn = page.getByRole('button', { name: new RegExp('^' + cn(c.day)) });
		await dayBtn.click();
		const dlg = page.getByRole('dialog');
		await dlg.waitFor();
		eq(await dlg.getByRole('radio', { name: '放假' }).isChecked(), true, 'an ordinary day offers 放假 first');
		eq(await dlg.getByRole('radio', { name: '调休上班' }).isDisabled(), true, 'a weekday is no make-up day');
		eq(await dlg.getByRole('radio', { name: '恢复为普通日' }).isDisabled(), true, 'nothing to undo on an ordinary day');
		await dlg.getByRole('button', { name: '保存' }).click();
		eq(await dlg.isVisible(), true, 'a note is needed');
		await dlg.getByLabel(/^说明/).fill('测试临时放假');
		await t.shot(page, 'dialog');
		await dlg.getByRole('button', { name: '保存' }).click();
		await dlg.waitFor({ state: 'detached' });
		const msg = page.locator('.cal-notice .banner');
		await msg.waitFor();
		const text = await msg.innerText();
		const m = /(\d+) 件在办案件的承诺办结日期已重新计算/.exec(text);
		assert(m && Number(m[1]) >= 1, 'the message says how many cases moved: ' + text);
		assert(text.includes(`已将 ${cn(c.day)} 设为放假（测试临时放假）`), 'and what was set: ' + text);
		const audit = sql(`SELECT details->>'cases_moved' FROM audit.event WHERE action = 'calendar.change' AND object_id = '${c.day}' ORDER BY seq DESC LIMIT 1`);
		eq(audit[0][0], m[1], 'the audit row counts the same cases');
		assert(dueOf(c.id) > before, 'the case is due a working day later');
		const marked = page.getByRole('button', { name: new RegExp('^' + cn(c.day) + ' 星期.，放假：测试临时放假') });
		eq(await marked.count(), 1, 'the day is shown as 放假 with its note');
		assert(await marked.evaluate((b) => b.classList.contains('cal-holiday') && document.activeElement === b), 'marked, and focus back on it');
		await t.shot(page, 'saved');

		// keyboard: right arrow moves the grid's focus to the next day; Enter opens it; Esc closes
		await page.keyboard.press('ArrowRight');
		const next = await page.evaluate(() => document.activeElement.getAttribute('aria-label'));
		const d = new Date(c.day + 'T00:00:00Z'); d.setUTCDate(d.getUTCDate() + 1);
		assert(next.startsWith(cn(d.toISOString().slice(0, 10))), 'the next day has the focus: ' + next);
		await page.keyboard.press('ArrowLeft');
		await page.keyboard.press('Enter');
		await dlg.waitFor();
		eq(await dlg.getByLabel(/^说明/).inputValue(), '测试临时放假', 'the dialog shows the note');
		// back to an ordinary day: the due date is the one submitted again
		await dlg.getByRole('radio', { name: '恢复为普通日' }).check();
		eq(await dlg.getByLabel(/^说明/).isDisabled(), true, 'no note for an ordinary day');
		await dlg.getByRole('button', { name: '保存' }).click();
		await dlg.waitFor({ state: 'detached' });
		await page.locator('.cal-notice .banner', { hasText: '恢复为普通日' }).waitFor();
		eq(dueOf(c.id), before, 'the due date is back');
		eq(await page.locator(`.cal-day.cal-holiday[aria-label^="${cn(c.day)}"]`).count(), 0, 'the day is ordinary again');
	} finally {
		fixture('cal_clear', { day: c.day });
	}
}

export async function test_a_county_calendar_manager_reads_the_calendar_only(t) {
	const page = await manager(t, '451302');
	await page.goto('/#/admin/calendar?year=2026');
	await page.locator('.cal-grid').waitFor();
	eq(await page.locator('button.cal-day').count(), 0, 'no day to click');
	eq(await page.locator('.cal-day.cal-holiday').count(), 33, 'the days are shown all the same');
	assert(!(await page.locator('.cal-year-edit').count()), 'no year status to change');
	await t.shot(page, 'read-only');
}
test_the_year_grid_and_a_day_set_through_the_dialog.timeout = 240000;
