// The applicant's progress page on a phone (375×667): no staff session,
// the state in plain words, the promised date, the steps without staff
// names, the missing documents of a supplement request; a wrong last six
// and a locked number said without telling which part was wrong.
import { assert, eq, fixture, sql } from './lib.mjs';

const PHONE = { viewport: { width: 375, height: 667 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };
const MISSING = ['抵押合同原件', '借款人收入证明（近六个月）'];

async function text(locator) { return (await locator.innerText()).trim(); }
function failures(number) {
	const r = sql(`SELECT failures FROM cases.progress_attempt WHERE number = '${number}'`);
	return r.length ? Number(r[0][0]) : 0;
}

export async function test_applicant_sees_progress_and_the_missing_documents_on_a_phone(t) {
	const [c] = fixture('cases', { state: 'supplement_requested', missing: MISSING });
	const page = await t.page(PHONE);
	t.allow(404, /\/api\/v1\/public\/progress$/);
	await page.goto(`/p/#${c.number}`);
	eq(await text(page.locator('h1')), '办理进度查询', 'the heading');
	eq(await page.getByLabel('案件编号').inputValue(), c.number, 'the number from the link');
	eq(await page.locator('#watermark').count(), 0, 'no watermark');
	await t.shot(page, 'applicant-form');

	// a wrong last six: one message for any wrong part; counted
	const wrong = c.id_last6 === '000000' ? '111111' : '000000';
	await page.getByLabel('申请人证件号码后六位').fill(wrong);
	await page.getByRole('button', { name: '查询' }).click();
	const status = page.locator('.ap-status');
	await status.filter({ hasText: '不正确' }).waitFor();
	eq(await text(status), '案件编号或证件号码后六位不正确，请核对受理回执后重试。', 'the wrong-pair message');
	eq(failures(c.number), 1, 'the failed attempt is counted');
	await t.shot(page, 'applicant-wrong');

	await page.getByLabel('申请人证件号码后六位').fill(c.id_last6.toLowerCase());
	await page.getByLabel('申请人证件号码后六位').press('Enter');
	const state = page.locator('#ap-state');
	await state.waitFor();
	eq(await text(state), '需要补充材料', 'the state in plain words');
	eq(await text(page.locator('.ap-number')), `抵押登记（设立） · ${c.number}`, 'type and number');
	eq(await page.locator('.ap-missing li').allInnerTexts(), MISSING, 'what is missing, as the deciding agency wrote it');
	const due = sql(`SELECT to_char(due_date, 'FMYYYY"年"FMMM"月"FMDD"日"') FROM cases.case WHERE id = ${c.id}`)[0][0];
	eq(await text(page.locator('.ap-facts dd')), due, 'the promised date');
	eq(await page.locator('.ap-step-name').allInnerTexts(), ['要求补充材料', '登记机构受理', '申请已提交', '窗口录入申请'], 'the steps, newest first');
	const body = await text(page.locator('body'));
	const staff = sql(`SELECT DISTINCT u.username, u.display_name FROM cases.event e JOIN iam.user u ON u.id = e.actor_id WHERE e.case_id = ${c.id}`);
	for (const [name, display] of staff) assert(!body.includes(name) && !body.includes(display), 'no staff name on the page');
	const width = await page.evaluate(() => document.documentElement.scrollWidth);
	eq(width, 375, 'nothing wider than the phone');
	await t.shot(page, 'applicant-progress');
}

export async function test_applicant_is_held_back_after_five_wrong_attempts(t) {
	const [c] = fixture('cases', { state: 'submitted' });
	const page = await t.page(PHONE);
	t.allow(404, /\/api\/v1\/public\/progress$/);
	t.allow(429, /\/api\/v1\/public\/progress$/);
	await page.goto(`/p/#${c.number}`);
	const last6 = page.getByLabel('申请人证件号码后六位');
	const status = page.locator('.ap-status');
	for (let i = 1; i <= 5; i++) {
		await last6.fill(String(100000 + i));
		const res = page.waitForResponse(/\/api\/v1\/public\/progress$/);
		await last6.press('Enter');
		await res;
		await status.filter({ hasText: /./ }).waitFor();
	}
	eq(failures(c.number), 5, 'five counted');
	// now even the right answer is held back, and said so
	await last6.fill(c.id_last6);
	const res = page.waitForResponse(/\/api\/v1\/public\/progress$/);
	await last6.press('Enter');
	eq((await res).status(), 429, 'locked');
	await status.filter({ hasText: '暂停查询' }).waitFor();
	assert(/^该案件编号查询错误次数过多，已暂停查询。请约 \d+ 分钟后再试。$/.test(await text(status)), 'the lock message: ' + await text(status));
	eq(await page.locator('#ap-state').count(), 0, 'no progress shown');
	await t.shot(page, 'applicant-locked');
}
