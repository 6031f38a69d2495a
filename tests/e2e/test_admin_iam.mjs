// The identity admin screens (系统管理): a system administrator creates an
// account (the temporary password shown once works), disables and enables
// it, resets its password, and adds and renames an agency; a jurisdiction
// administrator grants a role and revokes it, and is refused granting to
// an account they made; a security administrator approves and rejects
// permission requests (not their own: the server refuses, the screen says
// so) and lifts a log-in lock; a case-handling clerk sees no 系统管理 and
// the users screen shows a refusal, not data. Every step checked in SQL.
import { fixture, sql, eq, assert, login } from './lib.mjs';

const CITY = '451300';      // 来宾市
const COUNTY = '451302';    // 兴宾区

async function text(locator) { return (await locator.innerText()).trim(); }
const uniq = (p) => `${p}${Date.now().toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`;

async function admin(t, role, scope = CITY) {
	const u = fixture('user', { agency: scope, totp: true, grants: [[role, scope]] });
	const page = await t.page();
	t.allow(401, /\/api\/v1\/auth\/login$/);   // otp_required: the form then asks for the code
	await login(page, u, { secret: u.totp_secret_b32 });
	return { page, user: u };
}

// The confirmation dialog's button (the dialog is native <dialog>).
async function confirm(page, name) {
	const dlg = page.getByRole('dialog');
	await dlg.getByRole('button', { name, exact: true }).click();
	await dlg.waitFor({ state: 'detached' });
}

async function secretOf(page, id) {
	const dlg = page.getByRole('dialog');
	await dlg.locator(`#${id}`).waitFor();
	return text(dlg.locator(`#${id}`));
}

export async function test_a_system_administrator_creates_disables_and_resets_an_account(t) {
	const { page } = await admin(t, 'system_admin');
	// the header link and the landing page: the cards of what this role may use
	await page.getByRole('link', { name: '系统管理' }).first().click();
	await page.waitForURL(/#\/admin$/);
	const cards = page.locator('.admin-card-title');
	await cards.first().waitFor();
	const titles = await cards.allInnerTexts();
	for (const want of ['用户管理', '登录锁定', '登记机构', '业务流程', '统计分析', '政策法规']) assert(titles.includes(want), `card ${want} on the landing page: ${titles}`);
	for (const not of ['权限申请', '审计日志']) assert(!titles.includes(not), `no card ${not} for a system administrator`);
	await t.shot(page, 'landing-system-admin');

	await page.locator('.admin-card', { hasText: '用户管理' }).click();
	await page.waitForURL(/#\/admin\/users$/);
	await page.locator('#users-table tbody tr').first().waitFor();
	await t.shot(page, 'users');

	// create: the temporary password appears once
	const username = uniq('ui');
	await page.getByRole('button', { name: '新建账号' }).click();
	const dlg = page.getByRole('dialog');
	await dlg.getByLabel('用户名').fill(username);
	await dlg.getByLabel('姓名').fill('韦小梅');
	await dlg.getByLabel('所属登记机构').selectOption(COUNTY);
	await dlg.getByLabel('手机号（可选）').fill('0772-1234567');
	await t.shot(page, 'user-new-dialog');
	await dlg.getByRole('button', { name: '创建' }).click();
	const password = await secretOf(page, 'secret-password');
	assert(/^[A-Za-z0-9]{4}(-[A-Za-z0-9]{4}){3}$/.test(password), `a temporary password: ${password}`);
	await t.shot(page, 'user-created-secret');
	const row = sql(`SELECT id, display_name, agency_code, phone, status, must_change_password, created_by IS NOT NULL FROM iam.user WHERE username = '${username}'`);
	eq(row.length, 1, 'the account in the database');
	const id = row[0][0];
	eq(row[0].slice(1), ['韦小梅', COUNTY, '0772-1234567', 'active', 't', 't'], 'its fields, must change the password, made by the admin');
	await confirm(page, '我已记下');
	await page.waitForURL(new RegExp(`#/admin/users/${id}$`));
	await page.locator('#acct-title').waitFor();
	await t.shot(page, 'user-detail');

	// the password works once: the new user must change it at log-in
	const fresh = await t.page();
	await login(fresh, { username, password }, { expectHome: false });
	await fresh.waitForURL(/#\/password/);

	// disable (its sessions end), then enable
	await page.getByRole('button', { name: '停用', exact: true }).click();
	await confirm(page, '停用');
	await page.locator('.adm-tag', { hasText: '已停用' }).waitFor();
	eq(sql(`SELECT status FROM iam.user WHERE id = ${id}`), [['disabled']], 'disabled in the database');
	eq(sql(`SELECT count(*) FROM iam.session WHERE user_id = ${id} AND revoked_at IS NULL`), [['0']], 'its sessions ended');
	await page.getByRole('button', { name: '启用', exact: true }).click();
	await confirm(page, '启用');
	await page.locator('.adm-tag', { hasText: '正常' }).waitFor();
	eq(sql(`SELECT status FROM iam.user WHERE id = ${id}`), [['active']], 'active again');

	// reset the password: a new temporary one, shown once
	const before = sql(`SELECT password_hash FROM iam.user WHERE id = ${id}`)[0][0];
	await page.getByRole('button', { name: '重置密码' }).click();
	await confirm(page, '重置密码');
	const second = await secretOf(page, 'secret-password');
	assert(second !== password, 'a new temporary password');
	await t.shot(page, 'user-reset-secret');
	await confirm(page, '我已记下');
	eq(sql(`SELECT password_hash <> '${before.replace(/'/g, "''")}', must_change_password FROM iam.user WHERE id = ${id}`), [['t', 't']], 'a new hash, to be changed');
	eq(sql(`SELECT count(*) FROM audit.event WHERE action = 'user.password.reset' AND object_id = '${id}'`), [['1']], 'audited');

	// a system administrator grants no roles: no grant form on the page
	eq(await page.locator('#grant-add').count(), 0, 'no grant form without role.manage');
	// and cannot manage its own account
	await page.goto(`/#/admin/users`);
	await page.locator('#users-table tbody tr').first().waitFor();
}

export async function test_a_jurisdiction_administrator_grants_and_revokes_a_role(t) {
	const target = fixture('user', { agency: COUNTY });
	const { page } = await admin(t, 'jurisdiction_admin');
	await page.goto(`/#/admin/users/${target.id}`);
	await page.locator('#grants-title').waitFor();
	// only case-handling roles are offered to a jurisdiction administrator
	const offered = await page.locator('#grant-role option').allInnerTexts();
	assert(offered.includes('审核员') && !offered.some((o) => /管理员|审计员/.test(o)), `business roles only: ${offered}`);
	await page.getByLabel('角色', { exact: true }).selectOption('reviewer');
	await page.getByLabel('管辖范围', { exact: true }).selectOption(COUNTY);
	await page.getByRole('button', { name: '授予角色' }).click();
	await page.locator('#grants-table tbody tr', { hasText: '审核员' }).waitFor();
	const g = sql(`SELECT id, scope_code, granted_by IS NOT NULL FROM iam.grant WHERE user_id = ${target.id} AND role_code = 'reviewer'`);
	eq(g.map((r) => r.slice(1)), [[COUNTY, 't']], 'the grant in the database');
	await t.shot(page, 'user-grants');

	// revoke, after the confirmation
	await page.locator('#grants-table tbody tr', { hasText: '审核员' }).getByRole('button', { name: '收回' }).click();
	await t.shot(page, 'grant-revoke-confirm');
	await confirm(page, '收回角色');
	await page.locator('#grants-table').waitFor({ state: 'detached' });
	eq(sql(`SELECT count(*) FROM iam.grant WHERE user_id = ${target.id}`), [['0']], 'the grant gone');
	eq(sql(`SELECT count(*) FROM audit.event WHERE action = 'grant.delete' AND object_id = '${g[0][0]}'`), [['1']], 'audited');

	// an account this administrator made: the server refuses the grant, and the screen says why
	t.allow(403, /\/api\/v1\/users\/\d+\/grants$/);
	await page.goto('/#/admin/users');
	await page.getByRole('button', { name: '新建账号' }).click();
	const dlg = page.getByRole('dialog');
	const username = uniq('mine');
	await dlg.getByLabel('用户名').fill(username);
	await dlg.getByLabel('姓名').fill('覃自建');
	await dlg.getByLabel('所属登记机构').selectOption(COUNTY);
	await dlg.getByRole('button', { name: '创建' }).click();
	await secretOf(page, 'secret-password');
	await confirm(page, '我已记下');
	await page.locator('#grants-title').waitFor();
	await page.getByLabel('角色', { exact: true }).selectOption('intake_clerk');
	await page.getByLabel('管辖范围', { exact: true }).selectOption(COUNTY);
	await page.getByRole('button', { name: '授予角色' }).click();
	const refusal = page.locator('#grant-problem [role=alert]');
	await refusal.waitFor();
	assert((await text(refusal)).includes('创建该账号的管理员不能为其授予角色'), `the refusal: ${await text(refusal)}`);
	assert((await text(refusal)).includes('creator_may_not_grant'), 'with its code');
	eq(sql(`SELECT count(*) FROM iam.grant g JOIN iam.user u ON u.id = g.user_id WHERE u.username = '${username}'`), [['0']], 'nothing granted');
	await t.shot(page, 'grant-refused');
}

export async function test_a_security_administrator_decides_requests_and_lifts_a_lock(t) {
	const clerk = fixture('user', { agency: COUNTY, grants: [['intake_clerk', COUNTY]] });
	const other = fixture('user', { agency: COUNTY, grants: [['intake_clerk', COUNTY]] });
	const { page, user: me } = await admin(t, 'security_admin');
	const approveId = fixture('perm_request', { user_id: clerk.id, role: 'reviewer', scope: COUNTY, reason: '科室调整，兼任审核' }).id;
	const rejectId = fixture('perm_request', { user_id: other.id, role: 'registrar', scope: COUNTY, reason: '想学习登簿' }).id;
	const ownId = fixture('perm_request', { user_id: me.id, role: 'auditor', scope: COUNTY, reason: '本人申请' }).id;

	await page.getByRole('link', { name: '系统管理' }).first().click();
	await page.locator('.admin-nav a', { hasText: '权限申请' }).click();
	await page.waitForURL(/#\/admin\/requests$/);
	const row = (id) => page.locator(`#requests-table tr[data-id="${id}"]`);
	await row(approveId).waitFor();
	await t.shot(page, 'requests');

	// approve: the role is granted
	await row(approveId).getByRole('button', { name: '同意' }).click();
	await page.getByRole('dialog').getByLabel('审批意见（可选）').fill('同意，按岗位调整');
	await confirm(page, '同意并授予');
	await row(approveId).waitFor({ state: 'detached' });
	eq(sql(`SELECT status, comment FROM iam.permission_request WHERE id = ${approveId}`), [['approved', '同意，按岗位调整']], 'approved');
	eq(sql(`SELECT count(*) FROM iam.grant WHERE user_id = ${clerk.id} AND role_code = 'reviewer' AND scope_code = '${COUNTY}'`), [['1']], 'granted');

	// reject: the reason is required
	await row(rejectId).getByRole('button', { name: '驳回' }).click();
	const dlg = page.getByRole('dialog');
	await dlg.getByRole('button', { name: '驳回', exact: true }).click();
	await dlg.getByText('请填写驳回理由').waitFor();
	await dlg.getByLabel('驳回理由（必填，2–500 字）').fill('登簿须经培训考核，请先参加培训');
	await t.shot(page, 'request-reject-dialog');
	await confirm(page, '驳回');
	await row(rejectId).waitFor({ state: 'detached' });
	eq(sql(`SELECT status, comment FROM iam.permission_request WHERE id = ${rejectId}`), [['rejected', '登簿须经培训考核，请先参加培训']], 'rejected with its reason');
	eq(sql(`SELECT count(*) FROM iam.grant WHERE user_id = ${other.id} AND role_code = 'registrar'`), [['0']], 'nothing granted');

	// one's own request: the server refuses, the screen shows it
	t.allow(403, new RegExp(`/api/v1/permission-requests/${ownId}/approve$`));
	await row(ownId).getByRole('button', { name: '同意' }).click();
	await confirm(page, '同意并授予');
	const refusal = page.locator('#req-status [role=alert]');
	await refusal.waitFor();
	assert((await text(refusal)).includes('不能审批本人提出的权限申请'), `the refusal: ${await text(refusal)}`);
	eq(sql(`SELECT status FROM iam.permission_request WHERE id = ${ownId}`), [['pending']], 'still pending');
	await t.shot(page, 'request-own-refused');

	// the decided ones under their tabs
	await page.getByRole('link', { name: '已驳回' }).click();
	await row(rejectId).waitFor();

	// a log-in lock of the clerk, lifted
	const lock = fixture('admin_lock', { user_id: other.id }).id;
	await page.locator('.admin-nav a', { hasText: '登录锁定' }).click();
	const lrow = page.locator(`#locks-table tr[data-id="${lock}"]`);
	await lrow.waitFor();
	await t.shot(page, 'locks');
	await lrow.getByRole('button', { name: '解除锁定' }).click();
	await confirm(page, '解除锁定');
	await lrow.waitFor({ state: 'detached' });
	eq(sql(`SELECT count(*) FROM iam.login_throttle WHERE id = ${lock}`), [['0']], 'the lock lifted');
	eq(sql(`SELECT count(*) FROM audit.event WHERE action = 'auth.login.unlock' AND object_id = '${other.id}'`), [['1']], 'audited');

	// without user.manage the users screen opens accounts by number
	await page.locator('.admin-nav a', { hasText: '用户管理' }).click();
	await page.getByLabel('用户编号').fill(String(clerk.id));
	await page.getByRole('button', { name: '打开' }).click();
	await page.locator('#grants-table tbody tr', { hasText: '审核员' }).waitFor();
	await t.shot(page, 'user-grants-security');
}

export async function test_a_system_administrator_adds_and_renames_an_agency(t) {
	const { page } = await admin(t, 'system_admin');
	await page.goto('/#/admin/agencies?city=' + CITY);
	await page.locator('#agencies-table tbody tr').first().waitFor();
	await t.shot(page, 'agencies');
	await page.getByRole('button', { name: '新增机构' }).click();
	const dlg = page.getByRole('dialog');
	await dlg.getByLabel('所在市').selectOption(CITY);
	await dlg.getByLabel('所在县（市、区）').selectOption(COUNTY);
	const code = await dlg.getByLabel('机构代码').inputValue();
	assert(new RegExp(`^${COUNTY}\\d{2}$`).test(code), `the next free code offered: ${code}`);
	const tag = String(Date.now() % 100000);
	const name = `兴宾区不动产登记中心城东分中心${tag}`;
	await dlg.getByLabel('机构名称').fill(name);
	await t.shot(page, 'agency-new-dialog');
	await confirm(page, '新增');
	const r = page.locator(`#agencies-table tr[data-code="${code}"]`);
	await r.waitFor();
	eq(sql(`SELECT name, division_code FROM iam.agency WHERE code = '${code}'`), [[name, COUNTY]], 'the agency in the database');

	await r.getByRole('button', { name: '改名' }).click();
	const renamed = `兴宾区不动产登记中心东城分中心${tag}`;
	await page.getByRole('dialog').getByLabel('新名称（2–64 字）').fill(renamed);
	await confirm(page, '保存');
	await page.locator(`#agencies-table tr[data-code="${code}"]`, { hasText: renamed }).waitFor();
	eq(sql(`SELECT name, version FROM iam.agency WHERE code = '${code}'`), [[renamed, '2']], 'renamed, version 2');
	eq(sql(`SELECT count(*) FROM audit.event WHERE action = 'agency.rename' AND object_id = '${code}'`), [['1']], 'audited');
}

export async function test_a_clerk_sees_no_system_management_and_is_refused(t) {
	const clerk = fixture('user', { agency: COUNTY, grants: [['intake_clerk', COUNTY]] });
	const page = await t.page();
	await login(page, clerk);
	await page.locator('#topnav a').first().waitFor();
	eq(await page.locator('#topnav a', { hasText: '系统管理' }).count(), 0, 'no 系统管理 in the header');
	t.allow(403, /\/api\/v1\/users\?/);
	await page.goto('/#/admin/users');
	const refusal = page.locator('[role=alert]', { hasText: '不能查看账号列表' });
	await refusal.waitFor();
	assert((await text(refusal)).includes('您没有执行此操作的权限'), `the refusal: ${await text(refusal)}`);
	eq(await page.locator('#users-table').count(), 0, 'no list');
	await t.shot(page, 'users-refused-clerk');
	await page.goto('/#/admin');
	await page.getByText('您的账号没有系统管理权限').waitFor();
}

// each runs several screens with a TOTP log-in; on a busy machine more than the default 90 s
test_a_system_administrator_creates_disables_and_resets_an_account.timeout = 240000;
test_a_security_administrator_decides_requests_and_lifts_a_lock.timeout = 240000;
test_a_jurisdiction_administrator_grants_and_revokes_a_role.timeout = 180000;
test_a_system_administrator_adds_and_renames_an_agency.timeout = 150000;
test_a_clerk_sees_no_system_management_and_is_refused.timeout = 150000;
