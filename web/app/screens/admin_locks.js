// 登录锁定 (#/admin/locks): the accounts of the administrator's divisions
// locked after repeated wrong passwords, per terminal (source address) —
// GET /api/v1/auth/login-locks — and lifting one after a confirmation
// (DELETE …/{id}, audited). Never one's own account nor an equal or higher
// one: the server refuses, and the refusal is shown.

import { h, replace, toast, confirmDialog, fmtTime } from '../ui.js';
import { get, del } from '../api.js';
import { adminFrame } from '../admin_nav.js';
import { refusal } from '../admin_common.js';

export async function render(main) {
	const content = adminFrame(main, '#/admin/locks');
	const status = h('div', { 'aria-live': 'polite', id: 'locks-status' });
	const r = await get('/api/v1/auth/login-locks');
	const items = r.items || [];
	const lift = async (l, btn) => {
		if (!await confirmDialog(`解除登录锁定 · ${l.username}`, h('div', {},
			h('p', {}, `账号 ${l.username} 在终端 ${l.source} 连续 ${l.failures} 次密码错误，锁定至 ${fmtTime(l.locked_until)}。`),
			h('p', {}, '请先与本人核实（可能是他人在尝试密码）。解除后可立即再次登录，此操作记入审计日志。')), '解除锁定')) return;
		btn.disabled = true;
		try {
			await del(`/api/v1/auth/login-locks/${l.id}`);
		} catch (e) {
			btn.disabled = false;
			replace(status, refusal(e, `未能解除 ${l.username} 的锁定`));
			return;
		}
		toast(`已解除 ${l.username} 的登录锁定`, 'ok');
		render(main);
	};
	replace(content,
		h('div', { class: 'admin-head' }, h('h1', { class: 'admin-title' }, '登录锁定'),
			h('div', { class: 'actions' }, h('button', { type: 'button', class: 'btn', onclick: () => render(main) }, '刷新'))),
		h('p', { class: 'muted admin-sub' }, '多次输入错误密码后，账号在该终端会被暂时锁定，到时自动解除。核实是本人后可以提前解除；也可以在账号详情中重置密码（同时解除全部锁定）。'),
		status,
		h('div', { class: 'admin-table-wrap' },
			h('table', { class: 'admin-table', id: 'locks-table' },
				h('caption', { class: 'sr-only' }, '被锁定的账号'),
				h('thead', {}, h('tr', {}, ['用户名', '来源地址', '连续失败', '最近一次失败', '锁定至', ''].map((c) =>
					h('th', { scope: 'col' }, c || h('span', { class: 'sr-only' }, '操作'))))),
				h('tbody', {}, items.length ? items.map((l) => {
					const b = h('button', { type: 'button', class: 'btn btn-small', onclick: () => lift(l, b) }, '解除锁定');
					return h('tr', { dataset: { id: String(l.id) } },
						h('td', {}, h('a', { href: `#/admin/users/${l.user_id}`, class: 'mono' }, l.username)),
						h('td', { class: 'mono' }, l.source),
						h('td', {}, `${l.failures} 次`),
						h('td', {}, fmtTime(l.last_failure_at)),
						h('td', {}, fmtTime(l.locked_until)),
						h('td', { class: 'admin-ops' }, b));
				}) : h('tr', {}, h('td', { colspan: '6', class: 'empty' }, '目前没有被锁定的账号。'))))));
}
