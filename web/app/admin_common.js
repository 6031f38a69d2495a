// Shared pieces of the identity admin screens: role names (GET
// /api/v1/roles, Chinese names from iam.role), permission names, division
// names, status words, and a refusal banner that says what the server said.

import { h } from './ui.js';
import { get } from './api.js';
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

// Division names by code (the agencies list carries them; the region and
// its cities/counties are those of the demo data and of ref.division).
const divNames = new Map();
export function rememberDivision(code, name) { if (code && name) divNames.set(code, name); }
export function divisionName(code) { return divNames.get(code) || ''; }
export function divisionLabel(code) {
	const n = divisionName(code);
	return n ? `${n}（${code}）` : String(code || '');
}
// The level of a division code: region 450000, city 45CC00, county 45CCNN.
export function divisionLevel(code) {
	if (!/^45\d{4}$/.test(code || '')) return '';
	if (code === '450000') return '自治区';
	return code.endsWith('00') ? '市' : '县（区）';
}

// The agencies of the user's view (GET /api/v1/agencies), with their
// divisions remembered for divisionLabel().
export async function allAgencies() {
	const out = [];
	let after = null;
	for (let i = 0; i < 20; i++) {
		const r = await get('/api/v1/agencies?limit=200' + (after ? '&after=' + encodeURIComponent(after) : ''));
		for (const a of r.items || []) {
			out.push(a);
			rememberDivision(a.division_code, a.division_name);
		}
		if (!r.next) break;
		after = r.next;
	}
	return out;
}

// The server's refusal, clearly: its message by code, and the code itself.
export function refusal(e, prefix = '操作未完成') {
	return h('div', { class: 'banner banner-error', role: 'alert' },
		h('span', {}, `${prefix}：${messageFor(e)}`),
		e && e.code ? h('span', { class: 'mono admin-code' }, e.code) : null);
}
