// 政策法规: a region administrator drafts, edits and publishes a 办事指南
// for one county with a PDF; a staff user of that county sees it 未读 on
// the home panel, opens it (the read mark lands in the database); the
// applicants' page /zc/ shows it on a phone — and no more once the
// administrator has withdrawn it. A county administrator is offered no
// division above their county, and the API's refusal is shown when one is
// forced in; a stale version is said with 重新加载; a business user sees
// no admin screen.
import { assert, eq, fixture, login, sql } from './lib.mjs';

const COUNTY = '451102';   // 贺州市八步区: no other browser test works there
const CITY = '451100';     // 贺州市
const PHONE = { viewport: { width: 375, height: 740 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };
const SMALL_PHONE = { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };

async function text(locator) { return (await locator.innerText()).trim(); }
// from the top (the admin side menu is sticky: a page scrolled down by an
// upload would show it half-way in a full-page screenshot)
async function shot(t, page, name, opts) {
	await page.evaluate(() => window.scrollTo(0, 0));
	return t.shot(page, name, opts);
}

// Four random Chinese characters: a word only this run's documents hold
// (the full-text search finds it by its bigrams).
function nonce() {
	const pool = '甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午未申酉戌亥';
	let s = '';
	for (let i = 0; i < 4; i++) s += pool[Math.floor(Math.random() * pool.length)];
	return s;
}

// A small, well-formed one-page PDF.
function pdf(title) {
	const objs = [
		'<< /Type /Catalog /Pages 2 0 R >>',
		'<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
		'<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
		null,
		'<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
	];
	const stream = `BT /F1 18 Tf 72 760 Td (${title}) Tj ET`;
	objs[3] = `<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`;
	let out = '%PDF-1.4\n';
	const offs = [];
	objs.forEach((o, i) => { offs.push(out.length); out += `${i + 1} 0 obj\n${o}\nendobj\n`; });
	const xref = out.length;
	out += `xref\n0 ${objs.length + 1}\n0000000000 65535 f \n` + offs.map((o) => String(o).padStart(10, '0') + ' 00000 n \n').join('');
	out += `trailer\n<< /Size ${objs.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
	return Buffer.from(out, 'latin1');
}

function admin(grants, agency) {
	return fixture('user', { agency, totp: true, grants });
}

// An administrator logs in with the TOTP code (the password step answers
// 401 otp_required first); a business user with the password alone.
async function signIn(t, user, { mfa = false } = {}) {
	const page = await t.page();
	if (mfa) t.allow(401, /\/api\/v1\/auth\/login$/);
	await login(page, user, mfa ? { secret: user.totp_secret_b32 } : {});
	return page;
}

function docRow(id) {
	return sql(`SELECT state, version, title, category, division FROM pol.document WHERE id = ${id}`)[0];
}

export async function test_an_admin_publishes_a_guide_a_county_reads_it_and_the_public_sees_it_until_withdrawn(t) {
	const word = nonce();
	const title = `${word}不动产抵押权首次登记办事指南`;
	const boss = admin([['system_admin', '450000']], '450000');
	const a = await signIn(t, boss, { mfa: true });

	// 系统管理 → the card → the list
	await a.getByRole('link', { name: '系统管理', exact: true }).click();
	await a.locator('.admin-card').filter({ hasText: '政策法规' }).click();
	await a.waitForURL(/#\/admin\/policies$/);
	await a.locator('#pol-admin-list').filter({ hasText: /./ }).waitFor();
	await shot(t, a, 'admin-list');

	// a draft
	await a.getByRole('link', { name: '新建文件' }).click();
	await a.getByLabel('适用范围').selectOption(COUNTY);
	const regionOffered = await a.locator('#pol-division option[value="450000"]').count();
	eq(regionOffered, 1, 'the region administrator may choose the region');
	await a.getByLabel('类别').selectOption('guide');
	await a.getByLabel('标题').fill(title);
	await a.getByLabel('发文机关').fill('贺州市不动产登记中心');
	await a.getByLabel('文号').fill('贺不动产〔2026〕7号');
	await a.getByLabel('发布日期').fill('2026-11-20');
	await a.getByLabel('施行日期').fill('2026-12-01');
	const body = '一、适用范围\n本指南适用于在八步区办理抵押权首次登记的申请人。\n\n二、申请材料\n1. 不动产登记申请书；\n2. 主债权合同和抵押合同。\n\n三、注意事项\n<b>本行按原样显示</b>，不是网页标记。';
	await a.getByLabel('正文').fill(body);
	await a.getByRole('button', { name: '保存草稿' }).click();
	await a.waitForURL(/#\/admin\/policies\/\d+$/);
	const id = Number(/(\d+)$/.exec(a.url())[1]);
	await a.locator('.pol-sub').filter({ hasText: '第 1 版' }).waitFor();
	eq(docRow(id), ['draft', '1', title, 'guide', COUNTY], 'a draft in the database');

	// an edit: a new version
	await a.getByLabel('标题').fill(title + '（2026年版）');
	await a.getByRole('button', { name: '保存', exact: true }).click();
	await a.locator('.pol-sub').filter({ hasText: '第 2 版' }).waitFor();
	eq(docRow(id).slice(0, 3), ['draft', '2', title + '（2026年版）'], 'the edit saved as version 2');

	// a PDF, with its progress bar
	await a.locator('#pol-file').setInputFiles({ name: '抵押登记申请书样表.pdf', mimeType: 'application/pdf', buffer: pdf('Mortgage application form') });
	await a.locator('.bar-line.done').waitFor();
	await a.locator('#pol-files').getByRole('link', { name: '抵押登记申请书样表.pdf' }).waitFor();
	await a.locator('.pol-sub').filter({ hasText: '第 3 版' }).waitFor();
	eq(sql(`SELECT count(*) FROM pol.attachment WHERE document_id = ${id}`), [['1']], 'one attachment stored');
	await shot(t, a, 'admin-editor');
	// not a PDF: by its name, refused before a byte travels; by its bytes,
	// refused by the API and said so
	const uploadMsg = a.locator('.pol-side .hint');
	await a.locator('#pol-file').setInputFiles({ name: '说明.txt', mimeType: 'text/plain', buffer: Buffer.from('不是PDF') });
	await uploadMsg.filter({ hasText: '「说明.txt」不是 PDF 文件，不能上传。' }).waitFor();
	t.allow(415, new RegExp(`/api/v1/policies/${id}/attachments\\?`));
	await a.locator('#pol-file').setInputFiles({ name: '伪装.pdf', mimeType: 'application/pdf', buffer: Buffer.from('<html>not a pdf</html>') });
	await uploadMsg.filter({ hasText: '「伪装.pdf」上传失败：只能上传 PDF 文件。' }).waitFor();
	eq(sql(`SELECT count(*) FROM pol.attachment WHERE document_id = ${id}`), [['1']], 'still one attachment');

	// publish, confirmed
	await a.getByRole('button', { name: '发布', exact: true }).click();
	const dlg = a.getByRole('dialog');
	await dlg.getByText('申请人公开页面').waitFor();
	await shot(t, a, 'admin-publish-dialog');
	await dlg.getByRole('button', { name: '发布', exact: true }).click();
	await a.locator('.banner-ok').filter({ hasText: '文件已发布' }).waitFor();
	eq(docRow(id).slice(0, 2), ['published', '4'], 'published as version 4');

	// the versions: four, and the first one's snapshot
	await a.getByRole('link', { name: '版本记录' }).click();
	await a.locator('#pol-versions tbody tr').nth(3).waitFor();
	eq(await a.locator('#pol-versions tbody tr').count(), 4, 'four versions');
	await a.getByRole('link', { name: '查看第 1 版' }).click();
	await a.locator('#pol-snapshot').filter({ hasText: '第 1 版快照' }).waitFor();
	eq(await text(a.locator('#pol-snap-title')), title, 'version 1 had the first title');
	await shot(t, a, 'admin-versions');

	// a staff user of the county: 未读 on the home panel
	const clerk = fixture('user', { agency: COUNTY, grants: [['intake_clerk', COUNTY]] });
	const s = await signIn(t, clerk);
	const panel = s.locator('#pol-home');
	const entry = panel.getByRole('link', { name: title + '（2026年版）' });
	await entry.waitFor();
	assert(Number(await text(panel.locator('#pol-home-unread'))) >= 1, 'the unread count badge');
	await shot(t, s, 'home-panel');

	// 查看全部: the list, the document marked 未读
	await panel.getByRole('link', { name: '查看全部' }).click();
	await s.waitForURL(/#\/policies$/);
	const item = s.locator('.pol-item').filter({ hasText: title });
	await item.waitFor();
	eq(await text(item.locator('.pol-unread')), '未读', 'marked unread in the list');
	await shot(t, s, 'staff-list');

	// open it: the body as text, the read mark in the database
	const read = s.waitForResponse((r) => r.url().endsWith(`/api/v1/policies/${id}/read`) && r.request().method() === 'POST');
	await item.getByRole('link', { name: title + '（2026年版）' }).click();
	eq((await read).status(), 204, 'marked read');
	await s.locator('#pol-doc-title').waitFor();
	eq(await s.locator('#pol-body p').count(), 3, 'three paragraphs');
	assert((await text(s.locator('#pol-body'))).includes('<b>本行按原样显示</b>'), 'markup shown as text');
	eq(await s.locator('#pol-body b').count(), 0, 'never markup');
	eq(await s.locator('.pol-attachments a').getAttribute('href'), `/api/v1/policies/${id}/attachments/${sql(`SELECT id FROM pol.attachment WHERE document_id = ${id}`)[0][0]}`, 'the PDF link');
	await shot(t, s, 'staff-document');
	const marks = fixture('pol_read', { id, user_id: clerk.id }).read;
	eq(marks.map((m) => m[0]), ['4'], 'the current version read, in SQL');

	// back home: no longer unread
	await s.getByRole('link', { name: '工作台' }).click();
	await panel.locator('.panel-head').waitFor();
	await panel.locator('.empty, .notes').first().waitFor();
	eq(await panel.getByRole('link', { name: title + '（2026年版）' }).count(), 0, 'gone from the unread panel');

	// the applicants' page on a phone: no session, no cookie, no storage
	const phone = await t.page(PHONE);
	await phone.goto('/zc/');
	await phone.getByRole('link', { name: '办事指南', exact: true }).waitFor();
	await phone.getByRole('searchbox', { name: '搜索办事指南' }).fill(word);
	await phone.getByRole('button', { name: '搜索' }).click();
	const pub = phone.locator('.zc-item').filter({ hasText: title });
	await pub.waitFor();
	eq(await phone.evaluate(() => document.documentElement.scrollWidth), 375, 'nothing wider than the phone');
	await shot(t, phone, 'zc-list-phone');
	await pub.getByRole('link').click();
	await phone.locator('#zc-title').filter({ hasText: title }).waitFor();
	eq(await phone.locator('#zc-body p').count(), 3, 'three paragraphs on the phone');
	const href = await phone.locator('.zc-pdf').getAttribute('href');
	assert(/^\/api\/v1\/public\/policies\/\d+\/attachments\/\d+$/.test(href), 'a public PDF link: ' + href);
	const got = await phone.request.get(href);
	eq(got.status(), 200, 'the PDF downloads without a session');
	eq((await got.body()).subarray(0, 5).toString(), '%PDF-', 'a PDF');
	eq(await phone.evaluate(() => document.documentElement.scrollWidth), 375, 'the document fits the phone');
	await shot(t, phone, 'zc-document-phone');
	eq((await phone.context().cookies()).length, 0, 'no cookie');
	eq(await phone.evaluate(() => localStorage.length + sessionStorage.length), 0, 'no storage');

	// the smallest phone
	const small = await t.page(SMALL_PHONE);
	await small.goto(`/zc/#/doc/${id}`);
	await small.locator('#zc-title').waitFor();
	eq(await small.evaluate(() => document.documentElement.scrollWidth), 360, 'fits 360 px');

	// withdrawn, with a reason: gone from /zc/
	await a.goto(`/#/admin/policies/${id}`);
	await a.getByRole('button', { name: '撤回' }).click();
	const w = a.getByRole('dialog');
	await w.getByLabel('撤回理由（2–200 字）').fill('政策调整，另行发布新版指南');
	await w.getByRole('button', { name: '撤回', exact: true }).click();
	await a.locator('.banner-warn').filter({ hasText: '政策调整，另行发布新版指南' }).waitFor();
	eq(docRow(id)[0], 'withdrawn', 'withdrawn in the database');
	await shot(t, a, 'admin-withdrawn');

	// a visitor after the withdrawal (the public answers may be kept a
	// minute by a browser that asked before: Cache-Control max-age=60)
	t.allow(404, new RegExp(`/api/v1/public/policies/${id}$`));
	const later = await t.page(PHONE);
	await later.goto(`/zc/#/guide?q=${encodeURIComponent(word)}`);
	await later.locator('.zc-status').filter({ hasText: '没有找到' }).waitFor();
	eq(await later.locator('.zc-item').filter({ hasText: title }).count(), 0, 'no longer listed');
	const gone = await t.page(PHONE);
	await gone.goto(`/zc/#/doc/${id}`);
	await gone.locator('.zc-problem').filter({ hasText: '不存在或已撤回' }).waitFor();
	await shot(t, gone, 'zc-withdrawn-phone');
}
test_an_admin_publishes_a_guide_a_county_reads_it_and_the_public_sees_it_until_withdrawn.timeout = 480000;

export async function test_a_county_admin_cannot_choose_the_region_and_the_refusal_is_shown(t) {
	const county = admin([['jurisdiction_admin', COUNTY]], COUNTY);
	const page = await signIn(t, county, { mfa: true });
	await page.goto('/#/admin/policies/new');
	const picker = page.getByLabel('适用范围');
	await picker.locator('option[value]').first().waitFor({ state: 'attached' });
	const offered = await page.locator('#pol-division option').evaluateAll((os) => os.map((o) => o.value).filter(Boolean));
	eq(offered, [COUNTY], 'only the county itself');
	await shot(t, page, 'county-editor');

	// forced: an option the screen never offered
	await page.evaluate(() => {
		const s = document.getElementById('pol-division');
		const o = document.createElement('option');
		o.value = '450000';
		o.textContent = '广西壮族自治区';
		s.appendChild(o);
		s.value = '450000';
	});
	const title = `${nonce()}越权发布测试`;
	await page.getByLabel('类别').selectOption('notice');
	await page.getByLabel('标题').fill(title);
	await page.getByLabel('发文机关').fill('八步区不动产登记中心');
	await page.getByLabel('正文').fill('测试正文。');
	t.allow(403, /\/api\/v1\/policies$/);
	await page.getByRole('button', { name: '保存草稿' }).click();
	const refusal = page.locator('.pol-alert .banner-error');
	await refusal.waitFor();
	eq(await text(refusal.locator('span').first()), '未能保存：所选适用范围不在您的政策法规管理权限之内。', 'the refusal, in Chinese');
	eq(await text(refusal.locator('.pol-code')), 'out_of_scope', 'and its code');
	eq(sql(`SELECT count(*) FROM pol.document WHERE title = '${title}'`), [['0']], 'nothing written');
	await shot(t, page, 'county-refused');
}

export async function test_a_stale_version_is_said_with_reload(t) {
	const title = `${nonce()}通知公告版本冲突测试`;
	const d = fixture('pol_doc', { division: CITY, category: 'notice', title });
	const city = admin([['jurisdiction_admin', CITY]], CITY);
	const page = await signIn(t, city, { mfa: true });
	await page.goto(`/#/admin/policies/${d.id}`);
	await page.getByLabel('标题').waitFor();
	eq(await page.getByLabel('标题').inputValue(), title, 'the draft opened');
	// someone else saves meanwhile
	fixture('pol_patch', { id: d.id, version: d.version, title: title + '（他人修改）' });
	await page.getByLabel('标题').fill(title + '（我的修改）');
	t.allow(409, new RegExp(`/api/v1/policies/${d.id}$`));
	await page.getByRole('button', { name: '保存', exact: true }).click();
	const stale = page.locator('#pol-stale');
	await stale.waitFor();
	assert((await text(stale)).includes('已被他人修改'), 'said in Chinese');
	await shot(t, page, 'stale-version');
	await stale.getByRole('button', { name: '重新加载' }).click();
	await page.locator('#pol-stale').waitFor({ state: 'detached' });
	eq(await page.getByLabel('标题').inputValue(), title + '（他人修改）', 'the other edit shown after reloading');
	eq(docRow(d.id).slice(1, 3), ['2', title + '（他人修改）'], 'nothing overwritten');
}

export async function test_a_business_user_sees_no_admin_screen(t) {
	const clerk = fixture('user', { agency: COUNTY, grants: [['intake_clerk', COUNTY]] });
	const page = await signIn(t, clerk);
	const nav = page.getByRole('navigation', { name: '主菜单' });
	await nav.getByRole('link', { name: '政策法规' }).waitFor();
	eq(await nav.getByRole('link', { name: '系统管理' }).count(), 0, 'no 系统管理 in the menu');
	await page.goto('/#/admin/policies');
	await page.locator('.banner-info').filter({ hasText: '没有政策法规管理权限' }).waitFor();
	eq(await page.getByRole('link', { name: '新建文件' }).count(), 0, 'no 新建文件');
	await shot(t, page, 'business-no-admin');
	await page.goto('/#/admin');
	await page.locator('.banner-info').filter({ hasText: '没有系统管理权限' }).waitFor();
	eq(await page.locator('.admin-card').count(), 0, 'no admin card');
	// and the API refuses anyway
	t.allow(403, /\/api\/v1\/policies$/);
	const status = await page.evaluate(async (div) => {
		const me = await (await fetch('/api/v1/auth/me')).json();
		const r = await fetch('/api/v1/policies', { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': me.csrf_token },
			body: JSON.stringify({ division: div, category: 'notice', title: '业务人员不能发布', issuer: '某机构', body: '正文' }) });
		return [r.status, (await r.json()).code];
	}, COUNTY);
	eq(status[0], 403, 'the API refuses a business user');
}
