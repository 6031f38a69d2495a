// 系统管理: the admin screens, one entry each — the landing page (#/admin)
// draws a card per entry the user may use, every #/admin/* screen draws
// the side menu from the same list, and the header shows 系统管理 when
// any entry is usable. perm: one permission or a list (any of them). Only
// to decide what to show: the API refuses anyway.
// Each screen's helper appends its own line here; nothing else changes.

import { h } from './ui.js';
import { can } from './session.js';

export const ADMIN_SCREENS = [
	{ href: '#/admin/users', title: '用户管理', desc: '创建账号、停用与启用、解除锁定、重置密码，按辖区授予和收回角色', perm: ['user.manage', 'role.manage'] },
	{ href: '#/admin/requests', title: '权限申请', desc: '审批工作人员提出的角色申请，同意或驳回并说明理由', perm: 'role.manage' },
	{ href: '#/admin/locks', title: '登录锁定', desc: '查看因多次密码错误而被锁定的账号，核实后解除锁定', perm: ['user.manage', 'role.manage'] },
	{ href: '#/admin/agencies', title: '登记机构', desc: '查看辖区内的不动产登记机构，新增机构或修改名称', perm: 'agency.manage' },
	{ href: '#/admin/audit', title: '审计日志', desc: '按人员、操作和时间查阅审计记录，核验日志链是否完整', perm: 'audit.read' },
	{ href: '#/admin/workflow', title: '业务流程', desc: '设置各登记业务的承诺时限、启用状态和可办环节，管理试点地区', perm: 'workflow.manage' },
	{ href: '#/admin/stats', title: '统计分析', desc: '收件、办结、跨域通办、时限和收费等统计图表，可导出表格', perm: 'stats.read' },
	{ href: '#/admin/calendar', title: '节假日', desc: '维护法定节假日和调休上班日，办理时限按工作日计算', perm: 'calendar.manage' },
	{ href: '#/admin/policies', title: '政策法规', desc: '起草、发布和撤回政策法规、办事指南与通知公告', perm: 'policy.manage' },
];

// May the user use this entry (any of its permissions, any scope)?
export function mayUse(screen) {
	const perms = Array.isArray(screen.perm) ? screen.perm : [screen.perm];
	return perms.some((p) => can(p));
}

export function adminScreens() { return ADMIN_SCREENS.filter(mayUse); }
export function anyAdmin() { return ADMIN_SCREENS.some(mayUse); }

// The side menu of the #/admin/* screens; `current` is the screen's href
// (or the page's hash: the longest entry it starts with is marked).
export function adminNav(current = location.hash) {
	const path = String(current || '').split('?')[0];
	const mine = adminScreens();
	const here = mine.filter((s) => path === s.href || path.startsWith(s.href + '/'))
		.sort((a, b) => b.href.length - a.href.length)[0];
	return h('nav', { class: 'admin-nav', 'aria-label': '系统管理菜单' },
		h('a', { class: 'admin-nav-home', href: '#/admin', 'aria-current': path === '#/admin' ? 'page' : null }, '系统管理'),
		h('ul', {}, mine.map((s) => h('li', {},
			h('a', { href: s.href, 'aria-current': s === here ? 'page' : null }, s.title)))));
}

// The layout of an admin screen: the side menu and the content beside it.
// Returns the content element the screen draws into.
export function adminFrame(main, current) {
	const content = h('div', { class: 'admin-main' });
	while (main.firstChild) main.removeChild(main.firstChild);
	// no admin screen at all: no menu, only what the screen says
	if (anyAdmin()) {
		main.classList.add('admin-layout');
		main.appendChild(adminNav(current));
	}
	main.appendChild(content);
	return content;
}
