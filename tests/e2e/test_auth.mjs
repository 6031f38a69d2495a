// Sign-in and accounts in the browser: log-in with the TOTP step, a wrong
// password, the forced password change, TOTP enrolment, my sessions,
// log-out and the idle timeout.
import { assert, eq, fixture, login, sql, totp } from './lib.mjs';

const WARNING = '本系统含个人信息，仅限授权人员使用，所有操作均被记录';

function agencyName(code) { return sql(`SELECT name FROM iam.agency WHERE code = '${code}'`)[0][0]; }
async function text(locator) { return (await locator.innerText()).trim(); }

export async function test_log_in_with_totp_opens_the_home_screen(t) {
	const u = fixture('user', { agency: '451300', totp: true, grants: [['jurisdiction_admin', '451300']] });
	const page = await t.page();
	t.allow(401, /\/api\/v1\/auth\/login$/);
	await page.goto('/');
	await page.waitForURL(/#\/login/);
	eq(await text(page.locator('h1')), '工作人员登录', 'the log-in heading');
	await t.shot(page, 'login');
	await page.getByLabel('用户名').fill(u.username);
	await page.getByLabel('密码', { exact: true }).fill(u.password);
	await page.keyboard.press('Enter');
	const otp = page.getByLabel('动态验证码');
	await otp.waitFor();
	eq(await text(page.locator('.step-note')), '此账号已启用动态验证码。请打开验证器应用，输入当前显示的 6 位数字。', 'the TOTP step');
	// a wrong code first: said as such, the step stays
	const right = totp(u.totp_secret_b32);
	await otp.fill(right === '000000' ? '111111' : '000000');
	await page.getByRole('button', { name: '验证' }).click();
	await page.getByText('动态验证码错误或已使用，请输入验证器上的新验证码。').waitFor();
	await t.shot(page, 'login-totp-wrong');
	await otp.fill(right);
	await otp.press('Enter');
	await page.waitForURL(/#\/$/);
	await page.locator('h1', { hasText: '工作台' }).waitFor();
	eq(await text(page.locator('.who-name')), '测试用户', 'the user in the header');
	eq(await text(page.locator('.who-agency')), agencyName('451300'), 'the agency in the header');
	eq(await text(page.locator('.warning-text')), WARNING, 'the warning line');
	const wm = await page.locator('#watermark').getAttribute('data-text');
	assert(wm.startsWith(`测试用户（${u.username}） ${agencyName('451300')} `), 'watermark text: ' + wm);
	eq(sql(`SELECT count(*), bool_and(mfa) FROM iam.session WHERE user_id = ${u.id} AND revoked_at IS NULL`),
		[['1', 't']], 'one session, opened with the second factor');
	await t.shot(page, 'home-admin');
}

export async function test_a_wrong_password_is_refused_with_a_message(t) {
	const u = fixture('user', { grants: [['intake_clerk', '451302']] });
	const page = await t.page();
	t.allow(401, /\/api\/v1\/auth\/login$/);
	await page.goto('/#/login');
	await page.getByLabel('用户名').fill(u.username);
	await page.getByLabel('密码', { exact: true }).fill('Wrong-Passw0rd!');
	await page.getByRole('button', { name: '登录' }).click();
	const status = page.locator('.form-status');
	await status.filter({ hasText: '用户名或密码错误。' }).waitFor();
	eq(await text(status), '用户名或密码错误。', 'the message');
	eq(await page.getByLabel('密码', { exact: true }).getAttribute('aria-invalid'), 'true', 'the password field marked');
	assert(page.url().includes('#/login'), 'still at log-in');
	eq(sql(`SELECT count(*) FROM iam.session WHERE user_id = ${u.id}`), [['0']], 'no session');
	await t.shot(page, 'login-wrong-password');
}

export async function test_a_locked_log_in_says_how_long_to_wait(t) {
	const u = fixture('user', { grants: [['intake_clerk', '451302']] });
	const page = await t.page();
	t.allow(401, /\/api\/v1\/auth\/login$/);
	t.allow(429, /\/api\/v1\/auth\/login$/);
	await page.goto('/#/login');
	await page.getByLabel('用户名').fill(u.username);
	const pass = page.getByLabel('密码', { exact: true });
	let res;
	for (let i = 0; i < 6; i++) {
		await pass.fill('Wrong-Passw0rd!' + i);
		const answer = page.waitForResponse(/\/api\/v1\/auth\/login$/);
		await pass.press('Enter');
		res = await answer;
		await page.locator('.form-status').filter({ hasText: /./ }).waitFor();
	}
	eq(res.status(), 429, 'locked after five failures');
	const wait = Number(res.headers()['retry-after']);
	assert(wait > 0 && wait <= 60, 'Retry-After ' + wait);
	const said = wait < 60 ? `约 ${wait} 秒` : `约 ${Math.ceil(wait / 60)} 分钟`;
	eq(await text(page.locator('.form-status')), `登录失败次数过多，此账号在本终端已临时锁定，请${said}后再试。`, 'the wait');
	eq(sql(`SELECT count(*) FROM iam.session WHERE user_id = ${u.id}`), [['0']], 'no session');
	await t.shot(page, 'login-locked');
}

export async function test_a_forced_password_change_comes_before_the_home_screen(t) {
	const u = fixture('user', { must_change: true, grants: [['intake_clerk', '451302']] });
	const page = await t.page();
	t.allow(400, /\/api\/v1\/auth\/password$/);
	await login(page, u, { expectHome: false });
	await page.waitForURL(/#\/password$/);
	eq(await text(page.locator('h1')), '请先修改密码', 'the heading');
	eq(await text(page.locator('.checklist')), '长度 12–128 位\n至少包含大写字母、小写字母、数字、符号中的三类\n不能包含用户名\n修改后，您在其他终端上的登录会全部结束', 'the policy');
	// the menu does not lead around it
	await page.goto('/#/');
	await page.waitForURL(/#\/password$/);
	await t.shot(page, 'password-forced');
	await page.getByLabel('当前密码（临时密码）').fill(u.password);
	await page.getByLabel('新密码', { exact: true }).fill('abcdefghijklmn');
	await page.getByLabel('再次输入新密码').fill('abcdefghijklmn');
	await page.getByRole('button', { name: '修改密码' }).click();
	await page.locator('.form-status').filter({ hasText: '新密码不符合要求' }).waitFor();
	eq(await text(page.locator('.form-status')), '新密码不符合要求：12–128 位，含大写字母、小写字母、数字、符号中的三类，且不含用户名。', 'the server\'s answer');
	await t.shot(page, 'password-policy');
	eq(sql(`SELECT must_change_password FROM iam.user WHERE id = ${u.id}`), [['t']], 'not changed yet');
	await page.getByLabel('新密码', { exact: true }).fill('Neues-Passw0rt-2026');
	await page.getByLabel('再次输入新密码').fill('Neues-Passw0rt-2026');
	await page.getByLabel('再次输入新密码').press('Enter');
	await page.waitForURL(/#\/$/);
	await page.locator('h1', { hasText: '工作台' }).waitFor();
	eq(sql(`SELECT must_change_password FROM iam.user WHERE id = ${u.id}`), [['f']], 'changed in the database');
}

export async function test_a_business_user_enrols_totp_and_then_needs_it(t) {
	const u = fixture('user', { grants: [['intake_clerk', '451302']] });
	const page = await t.page();
	t.allow(401, /\/api\/v1\/auth\/login$/); // otp_required, the second time
	await login(page, u);
	await page.getByRole('link', { name: '动态验证码' }).click();
	await page.waitForURL(/#\/totp$/);
	assert(await page.getByLabel('绑定码').isHidden(), 'no enrolment code for a business user');
	await page.getByRole('button', { name: '生成绑定二维码' }).click();
	const img = page.getByRole('img', { name: '动态验证码绑定二维码' });
	await img.waitFor();
	assert((await img.getAttribute('src')).startsWith('data:image/png;base64,'), 'the QR code from the API');
	const secret = (await text(page.locator('#totp-secret'))).replace(/\s/g, '');
	assert(/^[A-Z2-7]{16,}$/.test(secret), 'the secret as text: ' + secret);
	await t.shot(page, 'totp-enrol');
	eq(sql(`SELECT totp_secret IS NULL, totp_pending IS NOT NULL FROM iam.user WHERE id = ${u.id}`), [['t', 't']], 'pending, not on');
	await page.getByLabel('动态验证码', { exact: true }).fill(totp(secret));
	await page.getByRole('button', { name: '确认绑定' }).click();
	await page.getByText('动态验证码已绑定。以后登录时，请在密码之后输入验证器上的动态验证码。').waitFor();
	await t.shot(page, 'totp-done');
	eq(sql(`SELECT totp_secret IS NOT NULL, totp_pending IS NULL FROM iam.user WHERE id = ${u.id}`), [['t', 't']], 'TOTP on in the database');
	// the next log-in asks for the code (a later 30-s step: each code counts once)
	await page.getByRole('button', { name: '退出登录' }).click();
	await page.waitForURL(/#\/login\?bye=1$/);
	await page.getByLabel('用户名').fill(u.username);
	await page.getByLabel('密码', { exact: true }).fill(u.password);
	await page.getByRole('button', { name: '登录' }).click();
	await page.getByLabel('动态验证码').fill(totp(secret, Date.now() + 30000));
	await page.getByRole('button', { name: '验证' }).click();
	await page.waitForURL(/#\/$/);
}

export async function test_an_administrator_enrols_with_the_enrolment_code(t) {
	const u = fixture('user', { agency: '451300', grants: [['jurisdiction_admin', '451300']] });
	const { code } = fixture('enrolment_code', { id: u.id });
	const page = await t.page();
	t.allow(403, /\/api\/v1\/auth\/totp\/enroll$/);
	await login(page, u, { expectHome: false });
	// the administrator's permissions need the second factor: enrolment first
	await page.waitForURL(/#\/totp$/);
	eq(await text(page.locator('.banner-warn')), '您的角色须使用动态验证码登录。绑定后请退出并重新登录，管理权限才会生效。', 'why');
	const field = page.getByLabel('绑定码');
	await field.fill('WXYZ-WXYZ-WXYZ-WXYZ');
	await field.press('Enter');
	await page.locator('.form-status', { hasText: '绑定码错误' }).waitFor();
	eq(await text(page.locator('.form-status')), '绑定码错误、已使用或已过期。', 'a wrong code');
	await field.fill(code.toLowerCase());
	await field.press('Enter');
	const secret = (await text(page.locator('#totp-secret'))).replace(/\s/g, '');
	await t.shot(page, 'totp-admin');
	await page.getByLabel('动态验证码', { exact: true }).fill(totp(secret));
	await page.getByLabel('动态验证码', { exact: true }).press('Enter');
	await page.locator('.banner-ok', { hasText: '动态验证码已绑定' }).waitFor();
	eq(sql(`SELECT totp_secret IS NOT NULL, enrol_code_hash IS NULL FROM iam.user WHERE id = ${u.id}`), [['t', 't']], 'TOTP on, the code used up');
}

export async function test_my_sessions_ends_another_session(t) {
	const u = fixture('user', { grants: [['intake_clerk', '451302']] });
	const other = fixture('api_login', { username: u.username }).session_id;
	const page = await t.page();
	await login(page, u);
	await page.getByRole('link', { name: '我的会话' }).click();
	await page.locator('h1', { hasText: '我的会话' }).waitFor();
	const rows = page.locator('tbody tr');
	await rows.nth(1).waitFor();
	eq(await rows.count(), 2, 'two sessions');
	eq(await page.locator('tbody .tag').allInnerTexts(), ['当前会话'], 'one marked current');
	await t.shot(page, 'sessions');
	const otherRow = page.locator('tbody tr:not(.row-current)');
	await otherRow.getByRole('button', { name: /^结束 / }).click();
	const dlg = page.getByRole('dialog', { name: '结束这个会话？' });
	await dlg.waitFor();
	await t.shot(page, 'sessions-confirm');
	await dlg.getByRole('button', { name: '结束会话' }).click();
	await page.getByText('会话已结束。').waitFor();
	await page.locator('tbody tr').nth(1).waitFor({ state: 'detached' });
	eq(await rows.count(), 1, 'one session left');
	eq(sql(`SELECT revoked_at IS NOT NULL FROM iam.session WHERE id = ${other}`), [['t']], 'revoked in the database');
	eq(sql(`SELECT count(*) FROM iam.session WHERE user_id = ${u.id} AND revoked_at IS NULL`), [['1']], 'this one still open');
}

export async function test_log_out_ends_the_session(t) {
	const u = fixture('user', { grants: [['intake_clerk', '451302']] });
	const page = await t.page();
	await login(page, u);
	const cookie = async () => (await page.context().cookies()).filter((c) => c.name === '__Host-tb_session');
	eq((await cookie()).length, 1, 'the session cookie is set');
	// the home screen's requests are answered before the session ends (an
	// inbox request still in flight at log-out would rightly get a 401)
	await page.locator('#inbox-title').waitFor();
	await page.getByRole('button', { name: '退出登录' }).focus();
	await page.keyboard.press('Enter');
	await page.waitForURL(/#\/login\?bye=1$/);
	eq(await text(page.locator('.banner')), '您已安全退出登录。', 'the message');
	await t.shot(page, 'logged-out');
	eq((await cookie()).length, 0, 'the cookie is gone');
	eq(sql(`SELECT revoked_at IS NOT NULL FROM iam.session WHERE user_id = ${u.id}`), [['t']], 'revoked in the database');
	const status = await page.evaluate(async () => (await fetch('/api/v1/auth/me')).status);
	eq(status, 401, 'the API refuses afterwards');
	// and the portal goes back to log-in
	await page.goto('/#/sessions');
	await page.waitForURL(/#\/login\?next=/);
}

export async function test_idle_timeout_warns_then_returns_to_log_in(t) {
	const u = fixture('user', { grants: [['intake_clerk', '451302']] });
	const ctx = await t.context();
	const page = await ctx.newPage();
	const start = Date.now();
	await page.clock.install({ time: start });
	await login(page, u);
	// the home screen's last request (the inbox) is activity too
	await page.locator('#inbox-title').waitFor();
	const idle = await page.evaluate(async () => (await (await fetch('/api/v1/auth/me')).json()).session.idle_timeout_s);
	eq(idle, 1800, 'the idle timeout the server tells');
	// a minute before the portal's deadline (itself a minute early)
	await page.clock.fastForward((idle - 120 + 2) * 1000);
	const dlg = page.getByRole('dialog', { name: '即将因长时间未操作退出' });
	await dlg.waitFor();
	assert((await text(dlg)).includes('为保护个人信息，长时间未操作将自动退出登录。'), 'the warning text');
	await t.shot(page, 'idle-warning');
	// 继续使用 asks the server (activity) and the warning goes
	const me = page.waitForResponse(/\/api\/v1\/auth\/me$/);
	await dlg.getByRole('button', { name: '继续使用' }).click();
	eq((await me).status(), 200, 'the session goes on');
	await dlg.waitFor({ state: 'detached' });
	// now the server sees the session idle too (its test clock), and the
	// portal reaches its deadline
	await ctx.setExtraHTTPHeaders({ 'X-TB-Test-Now': String(Math.floor(start / 1000) + idle + 300) });
	t.allow(401, /\/api\/v1\/auth\/logout$/);
	await page.clock.fastForward((idle - 120 + 2) * 1000);
	await dlg.waitFor();
	await page.clock.fastForward(62 * 1000);
	await page.waitForURL(/#\/login\?expired=1$/);
	eq(await text(page.locator('.banner')), '由于长时间未操作，您已安全退出，请重新登录。', 'the message');
	eq(await page.locator('#watermark').count(), 0, 'no staff frame');
	await t.shot(page, 'idle-expired');
	const status = await page.evaluate(async () => (await fetch('/api/v1/auth/me')).status);
	eq(status, 401, 'the server has ended the session');
}
