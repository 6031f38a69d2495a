// Shared pieces of the identity admin screens: role names (GET
// /api/v1/roles, Chinese names from iam.role), permission names, division
// names, status words, and a refusal banner that says what the server said.

import { h, toast, fmtTime } from './ui.js';
import { get, cached } from './api.js';
import { messageFor } from './errors.js';

let rolesP = null;
// [{code, name, needs_mfa, triad, permissions[]}], once per page load
export function roles() {
	if (!rolesP) rolesP = get('/api/v1/roles').then((r) => r.items || []).catch((e) => { rolesP = null; throw e; });
	return rolesP;
}
export async function roleMap() {
	const m = new Map();
	for (const r of await roles()) m.set(r.code, r);
	return m;
}

export const PERMISSION_NAMES = {
	'case.create': '收件', 'case.read': '查阅案件', 'case.review': '审核', 'case.register': '登簿',
	'fee.set': '核定收费', 'payment.record': '登记收费', 'case.issue': '缮证发证', 'case.deliver': '送达',
	'registry.read': '登记查询', 'query.create': '查档', 'query.approve': '查询审批',
	'whitelist.manage': '白名单管理', 'user.manage': '用户管理', 'role.manage': '角色授权',
	'agency.manage': '机构管理', 'workflow.manage': '流程管理', 'policy.manage': '政策法规管理',
	'stats.read': '统计分析', 'audit.read': '审计查阅', 'payment.reconcile': '支付对账',
	'calendar.manage': '节假日管理',
};
export const permName = (p) => PERMISSION_NAMES[p] || p;

export const TRIAD_NAMES = { system: '系统管理员（三员）', security: '安全管理员（三员）', audit: '安全审计员（三员）' };

export const USER_STATUS = { active: '正常', disabled: '已停用', locked: '已锁定' };
export const REQUEST_STATUS = { pending: '待审批', approved: '已同意', rejected: '已驳回' };

// Division names by code (GET /api/v1/divisions/{code}, cached per page).
const divNames = new Map();
export async function loadDivisions(codes) {
	const todo = [...new Set(codes.filter((c) => /^\d{6}$/.test(c || '') && !divNames.has(c)))];
	await Promise.all(todo.map(async (c) => {
		try { divNames.set(c, (await cached(`/api/v1/divisions/${c}`)).name || ''); } catch { divNames.set(c, ''); }
	}));
}
export function divisionName(code) { return divNames.get(code) || ''; }
export function divisionLabel(code) {
	const n = divisionName(code);
	return n ? `${n}（${code}）` : String(code || '');
}
// The children of a division (GET /api/v1/divisions?parent=), remembered.
export async function childDivisions(code) {
	const r = await cached(`/api/v1/divisions?parent=${code}`);
	const items = r.items || [];
	for (const d of items) divNames.set(d.code, d.name);
	return items;
}
// The level of a division code: region 450000, city 45CC00, county 45CCNN.
export function divisionLevel(code) {
	if (!/^45\d{4}$/.test(code || '')) return '';
	if (code === '450000') return '自治区';
	return code.endsWith('00') ? '设区市' : '县（市、区）';
}
// Does scope cover division (itself or its subtree)? The portal's mirror
// of division_covers(): region 450000 covers all, a city 45CC00 its
// counties. Only to decide what to offer; the server decides.
export function covers(scope, division) {
	if (!scope || !division) return false;
	if (scope === division || scope === '450000') return true;
	return scope.endsWith('00') && division.slice(0, 4) === scope.slice(0, 4);
}

// The agencies (GET /api/v1/agencies: all of them, by code).
export async function allAgencies() {
	const r = await get('/api/v1/agencies');
	return r.items || [];
}

// Who may grant which role where — the portal's mirror of
// iam.role_grant_rule: a security administrator grants every role, a
// jurisdiction administrator the case-handling roles; administrator roles
// only strictly inside the granter's own scope. Only to narrow the form's
// choices: the server decides and its refusal is shown.
const ADMIN_ROLES = ['jurisdiction_admin', 'system_admin', 'security_admin', 'auditor'];
const GRANTERS = { security_admin: null, jurisdiction_admin: ['intake_clerk', 'reviewer', 'registrar', 'cashier', 'issuer', 'query_clerk'] };
export const isAdminRole = (role) => ADMIN_ROLES.includes(role);
export function mayGrant(myRoles, role, scope) {
	return (myRoles || []).some((g) => g.role in GRANTERS &&
		(GRANTERS[g.role] === null || GRANTERS[g.role].includes(role)) &&
		covers(g.scope, scope) && !(isAdminRole(role) && g.scope === scope));
}

// A temporary password the server's policy accepts (12–128 characters,
// three of four classes): 4 groups of 4 from an alphabet without look-alike
// characters, joined by '-', with an upper case letter, a lower case letter
// and a digit forced into each group. From crypto.getRandomValues.
export function temporaryPassword() {
	const U = 'ABCDEFGHJKLMNPQRSTUVWXYZ', L = 'abcdefghijkmnpqrstuvwxyz', D = '23456789', A = U + L + D;
	const rnd = (n) => { const b = new Uint32Array(1); crypto.getRandomValues(b); return b[0] % n; };
	const pick = (set) => set[rnd(set.length)];
	const groups = [];
	for (let g = 0; g < 4; g++) {
		const cs = [pick(U), pick(L), pick(D), pick(A)];
		for (let i = cs.length - 1; i > 0; i--) { const j = rnd(i + 1); [cs[i], cs[j]] = [cs[j], cs[i]]; }
		groups.push(cs.join(''));
	}
	return groups.join('-');
}

// A secret shown once (the temporary password, the enrolment code), with
// a copy button; the caller explains in `note`.
export function secretBox(label, value, id) {
	const val = h('span', { class: 'admin-secret-value', id }, value);
	const copy = h('button', { type: 'button', class: 'btn btn-small', 'aria-label': '复制' + label, onclick: async () => {
		try {
			await navigator.clipboard.writeText(value);
			toast(`${label}已复制`, 'ok');
		} catch {
			// no clipboard permission (an old browser, an http page): select it for Ctrl+C
			const range = document.createRange();
			range.selectNodeContents(val);
			const sel = window.getSelection();
			sel.removeAllRanges();
			sel.addRange(range);
			toast(`无法自动复制，已选中${label}，请按 Ctrl+C 复制`, 'info');
		}
	} }, '复制');
	return h('div', { class: 'admin-secret' }, h('span', {}, label + '：'), val, copy);
}

// The one-time secrets after creating an account or resetting a password.
export async function showSecrets(title, intro, password, answer) {
	const body = h('div', {},
		h('p', {}, intro),
		secretBox('临时密码', password, 'secret-password'),
		answer && answer.enrolment_code ? secretBox('动态验证码绑定码', answer.enrolment_code, 'secret-enrol') : null,
		h('p', { class: 'muted' }, '以上信息只显示这一次，关闭后无法再次查看。请当面或通过安全渠道交给本人；',
			'本人首次登录须修改密码', answer && answer.enrolment_code_expires_at
				? `；绑定码用于首次绑定动态验证码（管理员账号必须绑定），${fmtTime(answer.enrolment_code_expires_at)} 前有效。`
				: '。'));
	await infoDialog(title, body, '我已记下');
}

// A modal with one button (Esc closes it too); resolves when closed.
export function infoDialog(title, body, okText = '关闭') {
	return new Promise((resolve) => {
		const form = h('form', { method: 'dialog' }, h('h2', {}, title), body,
			h('div', { class: 'dialog-actions' }, h('button', { type: 'submit', class: 'btn btn-primary', value: 'ok' }, okText)));
		const dlg = h('dialog', { class: 'dialog admin-dialog-wide', 'aria-label': title }, form);
		dlg.addEventListener('close', () => { dlg.remove(); resolve(); });
		document.body.appendChild(dlg);
		dlg.showModal();
	});
}

// Codes whose portal-wide message speaks of cases, or says too little on
// these screens; `more` adds a screen's own (e.g. forbidden when granting).
const HERE = { version_conflict: '该记录已被他人修改，请刷新后再操作。' };
export const GRANT_FORBIDDEN = { forbidden: '按授权规则，您不能在这个范围授予（收回）这个角色：超出您的管辖范围，或管理员角色只能授予到比您更小的范围。' };
export function adminMessage(e, more = {}) { return (e && (more[e.code] || HERE[e.code])) || messageFor(e); }

// The server's refusal, clearly: its message by code, and the code itself.
export function refusal(e, prefix = '操作未完成', more = {}) {
	return h('div', { class: 'banner banner-error', role: 'alert' },
		h('span', {}, `${prefix}：${adminMessage(e, more)}`),
		e && e.code ? h('span', { class: 'mono admin-code' }, e.code) : null);
}
