// 系统管理 (#/admin): a card for each admin screen the user may use, from
// ADMIN_SCREENS (admin_nav.js). Someone who may use none is told so.

import { h, replace } from '../ui.js';
import { me } from '../session.js';
import { adminFrame, adminScreens } from '../admin_nav.js';
import { roleMap, divisionName, loadDivisions } from '../admin_common.js';

export async function render(main) {
	const content = adminFrame(main, '#/admin');
	const mine = adminScreens();
	// role names in Chinese, with their scope; a failure here only costs the line
	let names = new Map();
	const grants = me && me.roles ? me.roles : [];
	try { names = await roleMap(); await loadDivisions(grants.map((g) => g.scope)); } catch { /* the cards do not need it */ }
	const roles = grants.map((r) => `${names.get(r.role) ? names.get(r.role).name : r.role}（${divisionName(r.scope) || r.scope}）`);
	replace(content,
		h('div', { class: 'admin-head' },
			h('h1', { class: 'admin-title' }, '系统管理'),
			roles.length ? h('p', { class: 'muted admin-sub' }, '您的角色：' + [...new Set(roles)].join('、') +
				'。以下为您有权使用的管理功能，操作范围限于您的管辖区域，所有操作均记入审计日志。') : null),
		mine.length
			? h('ul', { class: 'admin-cards' }, mine.map((s) => h('li', {},
				h('a', { class: 'admin-card', href: s.href },
					h('span', { class: 'admin-card-title' }, s.title),
					h('span', { class: 'admin-card-desc' }, s.desc)))))
			: h('div', { class: 'banner banner-info', role: 'note' }, '您的账号没有系统管理权限。如需使用，请向本辖区管理员提出权限申请。'));
}
