// 账号详情 (#/admin/users/{id}): the account (GET /api/v1/users/{id},
// user.manage) with its actions, its log-in locks (GET /auth/login-locks,
// lifted here too), and its roles (GET /users/{id}/grants, role.manage):
// granting a role at a scope (the form offers only what the portal's
// mirror of the grant rules allows; the server decides, and its refusal —
// the creator may not grant, no admin and case-handling roles on one
// account, the 三员 separation — is shown as it said) and revoking one
// after a confirmation.

import { h, replace, toast, confirmDialog, field, fmtTime } from '../ui.js';
import { get, post, del } from '../api.js';
import { can, me } from '../session.js';
import { adminFrame } from '../admin_nav.js';
import {
	roles as loadRoles, permName, TRIAD_NAMES, refusal, loadDivisions, divisionLabel, divisionLevel,
	childDivisions, mayGrant, isAdminRole, allAgencies, GRANT_FORBIDDEN,
} from '../admin_common.js';
import { statusTag, userActions } from './admin_users.js';

export async function render(main, [idText]) {
	const id = Number(idText);
	const content = adminFrame(main, '#/admin/users');
	const status = h('div', { 'aria-live': 'polite', id: 'user-status' });
	const head = h('div', { class: 'admin-head' },
		h('h1', { class: 'admin-title', id: 'user-title' }, `账号 ${id}`),
		h('div', { class: 'actions' }, h('a', { class: 'btn', href: '#/admin/users' }, '返回账号列表')));
	const redraw = () => render(main, [idText]);

	// the account itself (user.manage); a security administrator has none
	let u = null;
	let account;
	if (can('user.manage')) {
		try {
			u = await get(`/api/v1/users/${id}`);
		} catch (e) {
			account = refusal(e, '无法查看该账号');
		}
	}
	let agencyName = '';
	const roleList = await loadRoles();
	const roleByCode = new Map(roleList.map((r) => [r.code, r]));
	const roleName = (c) => (roleByCode.get(c) ? roleByCode.get(c).name : c);
	if (u) {
		const ag = (await allAgencies()).find((a) => a.code === u.agency_code);
		agencyName = ag ? ag.name : u.agency_code;
		await loadDivisions([u.division_code]);
		head.firstChild.textContent = `${u.display_name}（${u.username}）`;
		account = h('section', { class: 'panel', 'aria-labelledby': 'acct-title' },
			h('div', { class: 'panel-head' }, h('h2', { class: 'panel-title', id: 'acct-title' }, '账号信息'),
				h('div', { class: 'admin-ops' }, userActions(u, { after: redraw, status, small: false }))),
			h('dl', { class: 'admin-dl' },
				h('dt', {}, '用户编号'), h('dd', { class: 'mono' }, String(u.id)),
				h('dt', {}, '用户名'), h('dd', { class: 'mono' }, u.username),
				h('dt', {}, '姓名'), h('dd', {}, u.display_name),
				h('dt', {}, '状态'), h('dd', {}, statusTag(u.status), u.must_change_password ? h('span', { class: 'adm-tag adm-tag-info' }, '待改密码') : null),
				h('dt', {}, '所属机构'), h('dd', {}, `${agencyName}（${u.agency_code}）`),
				h('dt', {}, '所属区划'), h('dd', {}, divisionLabel(u.division_code)),
				h('dt', {}, '手机号'), h('dd', {}, u.phone || h('span', { class: 'muted' }, '未填写')),
				h('dt', {}, '动态验证码'), h('dd', {}, u.totp_enabled ? '已绑定' : '未绑定'),
				h('dt', {}, '创建时间'), h('dd', {}, fmtTime(u.created_at))));
	}

	// its log-in locks (user.manage or role.manage over it)
	let locks = null;
	if (can('user.manage') || can('role.manage')) {
		try {
			const r = await get('/api/v1/auth/login-locks');
			const mine = (r.items || []).filter((l) => l.user_id === id);
			if (mine.length) {
				locks = h('section', { class: 'panel', 'aria-labelledby': 'locks-title' },
					h('h2', { class: 'panel-title', id: 'locks-title' }, '登录锁定'),
					h('p', { class: 'muted' }, '该账号因多次密码错误，在以下终端暂时不能登录。核实是本人后可以解除。'),
					h('table', { class: 'admin-table' },
						h('thead', {}, h('tr', {}, ['来源地址', '失败次数', '锁定至', ''].map((c) => h('th', { scope: 'col' }, c || h('span', { class: 'sr-only' }, '操作'))))),
						h('tbody', {}, mine.map((l) => {
							const b = h('button', { type: 'button', class: 'btn btn-small', onclick: async () => {
								b.disabled = true;
								try { await del(`/api/v1/auth/login-locks/${l.id}`); } catch (e) { b.disabled = false; replace(status, refusal(e, '未能解除锁定')); return; }
								toast('已解除登录锁定', 'ok');
								redraw();
							} }, '解除锁定');
							return h('tr', {}, h('td', { class: 'mono' }, l.source), h('td', {}, String(l.failures)),
								h('td', {}, fmtTime(l.locked_until)), h('td', { class: 'admin-ops' }, b));
						}))));
			}
		} catch { /* the locks are a side panel; the locks screen shows any failure */ }
	}

	// its roles (role.manage)
	let grantsPanel = null;
	if (can('role.manage')) grantsPanel = await grantsSection(id, u, roleList, roleName, status, redraw);

	if (u && !grantsPanel) {
		grantsPanel = h('section', { class: 'panel panel-aside', 'aria-labelledby': 'grants-title' },
			h('h2', { class: 'panel-title', id: 'grants-title' }, '角色授权'),
			h('p', { class: 'muted' }, '账号的角色由安全管理员或属地管理员授予和收回（三员分立：系统管理员管理账号，不授予角色）。'));
	}
	if (!u && !account && grantsPanel) {
		account = h('p', { class: 'muted' }, '账号资料由系统管理员和属地管理员管理，您在这里只管理该账号的角色。');
	}
	if (!account && !grantsPanel) {
		account = h('div', { class: 'banner banner-error', role: 'alert' }, '您没有查看账号或管理角色的权限。');
	}
	replace(content, head, status, account || null, locks, grantsPanel);
}

async function grantsSection(id, u, roleList, roleName, status, redraw) {
	let grants;
	try {
		grants = (await get(`/api/v1/users/${id}/grants`)).items || [];
	} catch (e) {
		return h('section', { class: 'panel', 'aria-labelledby': 'grants-title' },
			h('h2', { class: 'panel-title', id: 'grants-title' }, '角色授权'), refusal(e, '无法查看该账号的角色'));
	}
	const division = u ? u.division_code : null;
	await loadDivisions(grants.map((g) => g.scope).concat(division ? [division] : []));
	const myRoles = me.roles || [];
	const self = me.user.id === id;

	const revoke = async (g, btn) => {
		const ok = await confirmDialog(`收回角色 · ${roleName(g.role)}`, h('div', {},
			h('p', {}, `确定收回该账号在 ${divisionLabel(g.scope)} 的“${roleName(g.role)}”角色？`),
			h('p', {}, '收回后立即生效：该账号已登录的会话不再具有此角色的权限。此操作记入审计日志。')), '收回角色');
		if (!ok) return;
		btn.disabled = true;
		try {
			await del(`/api/v1/grants/${g.id}`);
		} catch (e) {
			btn.disabled = false;
			replace(status, refusal(e, '未能收回角色', GRANT_FORBIDDEN));
			return;
		}
		toast(`已收回角色“${roleName(g.role)}”`, 'ok');
		redraw();
	};
	const table = grants.length
		? h('table', { class: 'admin-table', id: 'grants-table' },
			h('caption', { class: 'sr-only' }, '已授予的角色'),
			h('thead', {}, h('tr', {}, ['角色', '管辖范围', '包含权限', '授予时间', ''].map((c) => h('th', { scope: 'col' }, c || h('span', { class: 'sr-only' }, '操作'))))),
			h('tbody', {}, grants.map((g) => {
				const r = roleList.find((x) => x.code === g.role) || {};
				const b = self || !mayGrant(myRoles, g.role, g.scope) ? null
					: h('button', { type: 'button', class: 'btn btn-small btn-danger-outline', onclick: () => revoke(g, b) }, '收回');
				return h('tr', {},
					h('td', {}, roleName(g.role), r.triad ? h('span', { class: 'adm-tag adm-tag-info' }, TRIAD_NAMES[r.triad]) : null),
					h('td', {}, divisionLabel(g.scope)),
					h('td', { class: 'muted' }, (r.permissions || []).map(permName).join('、')),
					h('td', {}, fmtTime(g.granted_at)),
					h('td', { class: 'admin-ops' }, b || h('span', { class: 'muted' }, '无权收回')));
			})))
		: h('p', { class: 'empty' }, '该账号尚未授予任何角色。');

	// the grant form: roles this administrator could grant somewhere, scopes
	// within the account's division (the server refuses any other)
	let form = null;
	if (!self) {
		const scopes = [];
		if (division) {
			scopes.push(division);
			try { for (const c of await childDivisions(division)) scopes.push(c.code); } catch { /* the division alone */ }
		} else {
			// the account's division unknown (no user.manage): one's own
			// role.manage scopes and the divisions right below them
			for (const g of myRoles.filter((x) => x.role in { security_admin: 1, jurisdiction_admin: 1 })) {
				if (!scopes.includes(g.scope)) scopes.push(g.scope);
				try { for (const c of await childDivisions(g.scope)) if (!scopes.includes(c.code)) scopes.push(c.code); } catch { /* its own scope alone */ }
			}
			await loadDivisions(scopes);
		}
		const usable = roleList.filter((r) => scopes.some((s) => mayGrant(myRoles, r.code, s)));
		const roleSel = h('select', { id: 'grant-role', required: true }, h('option', { value: '' }, '请选择角色'),
			usable.map((r) => h('option', { value: r.code }, r.name + (isAdminRole(r.code) ? '（管理员）' : ''))));
		const scopeSel = h('select', { id: 'grant-scope', required: true });
		const fillScopes = () => {
			const ok = scopes.filter((s) => !roleSel.value || mayGrant(myRoles, roleSel.value, s));
			replace(scopeSel, h('option', { value: '' }, ok.length ? '请选择范围' : '无可选范围'),
				ok.map((s) => h('option', { value: s }, `${divisionLabel(s)} · ${divisionLevel(s)}`)));
			if (ok.length === 1) scopeSel.value = ok[0];
		};
		fillScopes();
		roleSel.addEventListener('change', fillScopes);
		const problem = h('div', { 'aria-live': 'polite', id: 'grant-problem' });
		const submit = h('button', { type: 'submit', class: 'btn btn-primary', id: 'grant-add' }, '授予角色');
		form = h('form', { class: 'admin-filters', 'aria-label': '授予角色' },
			field('角色', roleSel), field('管辖范围', scopeSel), submit);
		form.addEventListener('submit', async (e) => {
			e.preventDefault();
			replace(problem);
			if (!roleSel.value || !scopeSel.value) { replace(problem, h('div', { class: 'banner banner-warn' }, '请选择角色和管辖范围。')); return; }
			submit.disabled = true;
			try {
				await post(`/api/v1/users/${id}/grants`, { role: roleSel.value, scope: scopeSel.value });
			} catch (err) {
				submit.disabled = false;
				replace(problem, refusal(err, '未能授予角色', GRANT_FORBIDDEN));
				return;
			}
			toast(`已授予角色“${roleName(roleSel.value)}”`, 'ok');
			redraw();
		});
		form = h('div', {}, usable.length ? form
			: h('p', { class: 'muted' }, '您没有可以授予该账号的角色。'), problem);
	}
	return h('section', { class: 'panel', 'aria-labelledby': 'grants-title' },
		h('h2', { class: 'panel-title', id: 'grants-title' }, '角色授权'),
		h('p', { class: 'muted' }, self ? '不能为本人账号授予或收回角色。'
			: '角色按管辖范围授予：范围为自治区、设区市或县（市、区）。管理员角色只能授予到比您更小的范围；创建该账号的管理员不能为其授予角色；管理员角色与业务角色不能同时授予同一账号；系统管理员、安全管理员、审计员三员互斥。'),
		table, form);
}
