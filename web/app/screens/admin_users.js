// 用户管理 (#/admin/users): the accounts in the divisions where the
// administrator holds user.manage (GET /api/v1/users, keyset pages of 50,
// filtered by agency on the server and by status/name among the loaded
// rows), creating one (POST /api/v1/users: the portal draws a temporary
// password and shows it once, with the enrolment code the server answers),
// disabling/enabling and unlocking (PATCH status), resetting the password.
// A security administrator (role.manage without user.manage) sees no list:
// they open an account by its number (from a permission request) to manage
// its roles. The API decides everything; its refusals are shown as said.

import { h, replace, toast, confirmDialog, field, fmtTime } from '../ui.js';
import { get, post, patch } from '../api.js';
import { can, me } from '../session.js';
import { navigate, query } from '../router.js';
import { adminFrame } from '../admin_nav.js';
import { USER_STATUS, allAgencies, refusal, adminMessage, temporaryPassword, showSecrets } from '../admin_common.js';

const PAGE = 50;

export function statusTag(status) {
	const cls = { active: 'adm-tag-ok', disabled: 'adm-tag-bad', locked: 'adm-tag-warn' }[status] || '';
	return h('span', { class: `adm-tag ${cls}` }, USER_STATUS[status] || status);
}

// The account actions shared with the detail screen. `after` runs once
// the change is made (to redraw); a refusal goes to `status` (a node).
export function userActions(u, { after, status, small = true }) {
	const cls = small ? ' btn-small' : '';
	const self = me && me.user.id === u.id;
	const fail = (e, what) => replace(status, refusal(e, what));
	const setStatus = async (to, btn) => {
		const what = { disabled: '停用', active: u.status === 'locked' ? '解除锁定' : '启用' }[to];
		const warn = to === 'disabled'
			? '停用后该账号不能登录，其所有会话立即结束。之后可以重新启用。'
			: u.status === 'locked' ? '解除锁定后该账号可以再次登录。' : '启用后该账号可以再次登录。';
		if (!await confirmDialog(`${what}账号 · ${u.username}`, h('p', {}, `${u.display_name}（${u.username}）：${warn}`), what)) return;
		btn.disabled = true;
		try {
			await patch(`/api/v1/users/${u.id}`, { version: u.version, status: to });
		} catch (e) {
			btn.disabled = false;
			fail(e, `未能${what}账号 ${u.username}`);
			return;
		}
		toast(`账号 ${u.username} 已${what === '启用' ? '启用' : what === '停用' ? '停用' : '解除锁定'}`, 'ok');
		after();
	};
	const reset = async (btn) => {
		if (!await confirmDialog(`重置密码 · ${u.username}`, h('div', {},
			h('p', {}, `将为 ${u.display_name}（${u.username}）生成新的临时密码。`),
			h('p', {}, '重置后该账号的所有会话立即结束、登录锁定解除，本人下次登录须修改密码；管理员账号还须重新绑定动态验证码。')),
		'重置密码')) return;
		const password = temporaryPassword();
		btn.disabled = true;
		let r;
		try {
			r = await post(`/api/v1/users/${u.id}/password-reset`, { password });
		} catch (e) {
			btn.disabled = false;
			fail(e, `未能重置 ${u.username} 的密码`);
			return;
		}
		btn.disabled = false;
		await showSecrets(`已重置密码 · ${u.username}`, `${u.display_name}（${u.username}）的密码已重置${r.totp_cleared ? '，其动态验证码已解除绑定' : ''}。`, password, r);
		after();
	};
	if (self) return [h('span', { class: 'muted' }, '本人账号')];
	const out = [];
	if (u.status === 'active') {
		const b = h('button', { type: 'button', class: 'btn btn-danger-outline' + cls, onclick: () => setStatus('disabled', b) }, '停用');
		out.push(b);
	} else {
		const b = h('button', { type: 'button', class: 'btn' + cls, onclick: () => setStatus('active', b) }, u.status === 'locked' ? '解除锁定' : '启用');
		out.push(b);
	}
	const rb = h('button', { type: 'button', class: 'btn' + cls, onclick: () => reset(rb) }, '重置密码');
	out.push(rb);
	return out;
}

// The dialog that creates an account; resolves when done (or cancelled).
async function createUser(agencies, status, done) {
	const username = h('input', { type: 'text', required: true, maxlength: '32', autocomplete: 'off', class: 'mono', pattern: '[a-z][a-z0-9_.\\-]{2,31}' });
	const name = h('input', { type: 'text', required: true, maxlength: '64', autocomplete: 'off' });
	const agency = h('select', { required: true },
		h('option', { value: '' }, '请选择'),
		agencies.map((a) => h('option', { value: a.code }, `${a.name}（${a.code}）`)));
	if (agencies.length === 1) agency.value = agencies[0].code;
	const phone = h('input', { type: 'tel', maxlength: '20', autocomplete: 'off', inputmode: 'tel' });
	const problem = h('div', { class: 'form-status', role: 'alert' });
	const body = h('div', { class: 'admin-form-grid' },
		field('用户名', username, '3–32 位小写字母、数字或 . _ -，以字母开头'),
		field('姓名', name),
		h('div', { class: 'field-wide' }, field('所属登记机构', agency)),
		field('手机号（可选）', phone),
		h('p', { class: 'muted field-wide' }, '系统将生成临时密码，创建后只显示一次。新账号没有任何角色：角色须由另一名管理员授予。'),
		h('div', { class: 'field-wide' }, problem));
	for (;;) {
		if (!await confirmDialog('新建账号', body, '创建')) return;
		const u = username.value.trim(), n = name.value.trim();
		if (!/^[a-z][a-z0-9_.-]{2,31}$/.test(u)) { problem.textContent = '用户名须为 3–32 位小写字母、数字或 . _ -，并以字母开头。'; continue; }
		if (!n) { problem.textContent = '请填写姓名。'; continue; }
		if (!agency.value) { problem.textContent = '请选择所属登记机构。'; continue; }
		if (phone.value.trim() && !/^\+?[0-9-]{5,20}$/.test(phone.value.trim())) { problem.textContent = '手机号格式不正确。'; continue; }
		const password = temporaryPassword();
		const req = { username: u, display_name: n, agency_code: agency.value, password };
		if (phone.value.trim()) req.phone = phone.value.trim();
		let r;
		try {
			r = await post('/api/v1/users', req);
		} catch (e) {
			problem.textContent = '未能创建账号：' + adminMessage(e);
			continue;
		}
		replace(status);
		await showSecrets(`已创建账号 · ${r.username}`, `账号 ${r.display_name}（${r.username}），编号 ${r.id}，已创建。`, password, r);
		done(r);
		return;
	}
}

export async function render(main) {
	const content = adminFrame(main, '#/admin/users');
	const head = h('div', { class: 'admin-head' }, h('h1', { class: 'admin-title' }, '用户管理'));
	if (!can('user.manage')) {
		// role.manage only (a security administrator): open an account by number
		const id = h('input', { type: 'text', inputmode: 'numeric', maxlength: '12', class: 'mono', autocomplete: 'off' });
		const form = h('form', { class: 'admin-filters' }, field('用户编号', id),
			h('button', { type: 'submit', class: 'btn btn-primary' }, '打开'));
		form.addEventListener('submit', (e) => { e.preventDefault(); if (/^\d+$/.test(id.value.trim())) navigate(`#/admin/users/${id.value.trim()}`); });
		if (!can('role.manage')) {
			// no right here at all: ask the server anyway, and show its refusal
			try {
				await get('/api/v1/users?limit=1');
			} catch (e) {
				replace(content, head, refusal(e, '不能查看账号列表'));
				return;
			}
		}
		replace(content, head,
			can('role.manage') ? [
				h('p', { class: 'muted' }, '您可以为辖区内的账号授予或收回角色（不能新建、停用账号或重置密码，那是系统管理员的职责）。请从“权限申请”中打开申请人的账号，或输入用户编号：'),
				form]
				: h('div', { class: 'banner banner-error', role: 'alert' }, '您没有用户管理权限，不能查看账号列表。'));
		return;
	}
	const q = query();
	const agencyFilter = /^\d{6}(\d{2})?$/.test(q.get('agency') || '') ? q.get('agency') : '';
	const status = h('div', { 'aria-live': 'polite' });
	const agencies = (await allAgencies()).filter((a) => can('user.manage', a.division_code));
	const agencySel = h('select', { id: 'uf-agency' }, h('option', { value: '' }, '全部机构'),
		agencies.map((a) => h('option', { value: a.code }, a.name)));
	agencySel.value = agencyFilter;
	const statusSel = h('select', { id: 'uf-status' }, h('option', { value: '' }, '全部状态'),
		Object.entries(USER_STATUS).map(([k, v]) => h('option', { value: k }, v)));
	statusSel.value = q.get('status') || '';
	const text = h('input', { type: 'search', id: 'uf-text', maxlength: '64', autocomplete: 'off', value: q.get('q') || '', placeholder: '用户名或姓名' });
	const filters = h('form', { class: 'admin-filters', role: 'search', 'aria-label': '筛选账号' },
		field('所属机构', agencySel), field('状态', statusSel), field('查找', text),
		h('button', { type: 'submit', class: 'btn' }, '筛选'));
	const go = () => {
		const p = new URLSearchParams();
		if (agencySel.value) p.set('agency', agencySel.value);
		if (statusSel.value) p.set('status', statusSel.value);
		if (text.value.trim()) p.set('q', text.value.trim());
		const hash = '#/admin/users' + (p.toString() ? '?' + p : '');
		if (location.hash === hash) render(main); else navigate(hash);
	};
	filters.addEventListener('submit', (e) => { e.preventDefault(); go(); });
	agencySel.addEventListener('change', go);
	statusSel.addEventListener('change', go);

	const create = h('button', { type: 'button', class: 'btn btn-primary', id: 'user-new', onclick: () =>
		createUser(agencies, status, (u) => navigate(`#/admin/users/${u.id}`)) }, '新建账号');
	head.appendChild(h('div', { class: 'actions' }, create));

	const rows = [];
	let next = null;
	const tbody = h('tbody');
	const count = h('span', { class: 'muted' });
	const more = h('button', { type: 'button', class: 'btn', onclick: () => load() }, `加载更多（每次 ${PAGE} 条）`);
	const agencyName = new Map(agencies.map((a) => [a.code, a.name]));
	const wanted = (u) => (!statusSel.value || u.status === statusSel.value) &&
		(!text.value.trim() || u.username.includes(text.value.trim().toLowerCase()) || (u.display_name || '').includes(text.value.trim()));
	const draw = () => {
		const shown = rows.filter(wanted);
		replace(tbody, shown.length ? shown.map((u) => h('tr', {},
			h('td', { class: 'mono' }, String(u.id)),
			h('td', {}, h('a', { href: `#/admin/users/${u.id}`, class: 'mono' }, u.username)),
			h('td', {}, u.display_name),
			h('td', {}, agencyName.get(u.agency_code) || u.agency_code),
			h('td', {}, statusTag(u.status), u.must_change_password ? h('span', { class: 'adm-tag adm-tag-info' }, '待改密码') : null),
			h('td', {}, u.totp_enabled ? '已绑定' : h('span', { class: 'muted' }, '未绑定')),
			h('td', {}, fmtTime(u.created_at)),
			h('td', { class: 'admin-ops' }, userActions(u, { after: () => render(main), status }))))
			: h('tr', {}, h('td', { colspan: '8', class: 'empty' }, rows.length ? '已加载的账号中没有符合条件的。' + (next ? '可加载更多后再看。' : '') : '没有账号。')));
		count.textContent = `已加载 ${rows.length} 个账号` + (rows.length !== shown.length ? `，符合条件 ${shown.length} 个` : '') + (next ? '，还有更多' : '');
		more.hidden = !next;
	};
	async function load() {
		more.disabled = true;
		try {
			const r = await get(`/api/v1/users?limit=${PAGE}` + (agencySel.value ? `&agency=${agencySel.value}` : '') + (next ? `&after=${encodeURIComponent(next)}` : ''));
			rows.push(...(r.items || []));
			next = r.next || null;
		} catch (e) {
			replace(status, refusal(e, '未能加载账号列表'));
		} finally {
			more.disabled = false;
		}
		draw();
	}
	replace(content, head,
		h('p', { class: 'muted admin-sub' }, '您管辖区域内的账号。只能管理其全部角色都在您授权范围内的账号，不能管理本人账号。'),
		filters, status,
		h('div', { class: 'admin-table-wrap' },
			h('table', { class: 'admin-table', id: 'users-table' },
				h('caption', { class: 'sr-only' }, '账号列表'),
				h('thead', {}, h('tr', {}, ['编号', '用户名', '姓名', '所属机构', '状态', '动态验证码', '创建时间', ''].map((c, i) =>
					h('th', { scope: 'col' }, c || h('span', { class: 'sr-only' }, i === 7 ? '操作' : ''))))),
				tbody),
			h('div', { class: 'admin-pager' }, count, more)));
	await load();
}
