// The header's menu and user box, from the user's permissions. The menu
// only hides what the user cannot do; the API refuses it anyway.

import { h } from './ui.js';
import { can } from './session.js';
import { anyAdmin } from './admin_nav.js';

let logoutHandler = null;
export function onLogout(fn) { logoutHandler = fn; }

export function navFor(me, hash = location.hash || '#/') {
	const path = hash.split('?')[0];
	const links = [['#/', '工作台']];
	if (can('case.create')) links.push(['#/cases/new', '受理登记']);
	if (can('registry.read')) links.push(['#/registry', '登记查询']);
	if (can('query.create')) links.push(['#/queries/new', '查档申请'], ['#/queries', '我的查询']);
	if (can('query.approve')) links.push(['#/query-approvals', '查询审批']);
	if (can('whitelist.manage')) links.push(['#/whitelist', '白名单']);
	if (can('role.manage')) links.push(['#/query-permissions', '查询权限']);
	if (can('payment.reconcile')) links.push(['#/reconciliation', '支付对账']);
	links.push(['#/policies', '政策法规']);
	if (anyAdmin()) links.push(['#/admin', '系统管理']);
	links.push(['#/sessions', '我的会话'], ['#/totp', '动态验证码'], ['#/password', '修改密码']);
	const current = (href) => href === path || (href !== '#/' && path.startsWith(href + '/') &&
		!links.some(([o]) => o.length > href.length && (path === o || path.startsWith(o + '/'))));
	const topnav = h('ul', {}, links.map(([href, text]) =>
		h('li', {}, h('a', { href, 'aria-current': current(href) ? 'page' : null }, text))));
	const who = [
		h('span', { class: 'who-name' }, me.user.display_name || me.user.username),
		h('span', { class: 'who-agency' }, me.agency.name),
		h('button', { type: 'button', class: 'btn btn-quiet', id: 'logout', onclick: () => logoutHandler && logoutHandler() }, '退出登录'),
	];
	return { topnav, who };
}
