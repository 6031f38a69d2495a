// 权限申请 (#/admin/requests?status=): the permission requests the
// administrator may decide (and their own), GET /api/v1/permission-requests
// (newest first, at most 200), approved (the role is granted) or rejected
// with a reason — POST …/{id}/approve|reject {comment}. Nobody decides
// their own request: the buttons are there for every pending row, and the
// server's refusal is shown as it said it.

import { h, replace, toast, confirmDialog, field, fmtTime } from '../ui.js';
import { get, post } from '../api.js';
import { me } from '../session.js';
import { query } from '../router.js';
import { adminFrame } from '../admin_nav.js';
import { roles as loadRoles, refusal, loadDivisions, divisionLabel, REQUEST_STATUS, GRANT_FORBIDDEN } from '../admin_common.js';

const TABS = [['pending', '待审批'], ['approved', '已同意'], ['rejected', '已驳回'], ['', '全部']];

export async function render(main) {
	const content = adminFrame(main, '#/admin/requests');
	const q = query();
	const st = ['pending', 'approved', 'rejected', ''].includes(q.get('status') ?? 'pending') ? (q.get('status') ?? 'pending') : 'pending';
	const status = h('div', { 'aria-live': 'polite', id: 'req-status' });
	const roleList = await loadRoles();
	const roleName = (c) => (roleList.find((r) => r.code === c) || { name: c }).name;
	const r = await get('/api/v1/permission-requests' + (st ? `?status=${st}` : ''));
	const items = r.items || [];
	await loadDivisions(items.map((x) => x.scope));

	const decide = async (x, approve, btn) => {
		const comment = h('textarea', { rows: '3', maxlength: '500', 'aria-required': approve ? null : 'true' });
		const body = h('div', {},
			h('p', {}, `${x.username} 申请在 ${divisionLabel(x.scope)} 担任“${roleName(x.role)}”。`),
			h('p', { class: 'muted' }, `申请理由：${x.reason}`),
			approve ? h('p', {}, '同意后立即授予该角色，并记入审计日志。') : null,
			field(approve ? '审批意见（可选）' : '驳回理由（必填，2–500 字）', comment));
		for (;;) {
			if (!await confirmDialog(approve ? '同意权限申请' : '驳回权限申请', body, approve ? '同意并授予' : '驳回')) return;
			if (!approve && comment.value.trim().length < 2) {
				comment.setAttribute('aria-invalid', 'true');
				comment.nextSibling.textContent = '请填写驳回理由（至少 2 个字），申请人会看到。';
				continue;
			}
			break;
		}
		btn.disabled = true;
		try {
			await post(`/api/v1/permission-requests/${x.id}/${approve ? 'approve' : 'reject'}`,
				comment.value.trim() ? { comment: comment.value.trim() } : {});
		} catch (e) {
			btn.disabled = false;
			replace(status, refusal(e, `未能${approve ? '同意' : '驳回'} ${x.username} 的申请`, GRANT_FORBIDDEN));
			status.querySelector('[role=alert]').scrollIntoView({ block: 'nearest' });
			return;
		}
		toast(approve ? `已同意 ${x.username} 的申请，角色已授予` : `已驳回 ${x.username} 的申请`, 'ok');
		render(main);
	};

	const tabs = h('nav', { class: 'admin-tabs', 'aria-label': '按状态筛选' },
		TABS.map(([k, label]) => h('a', { href: '#/admin/requests' + (k === 'pending' ? '' : `?status=${k}`), 'aria-current': k === st ? 'page' : null }, label)));
	const selfId = me.user.id;
	replace(content,
		h('div', { class: 'admin-head' }, h('h1', { class: 'admin-title' }, '权限申请')),
		h('p', { class: 'muted admin-sub' }, '工作人员提出的角色申请。同意即授予该角色；驳回须说明理由。不能审批本人的申请，也不能审批超出您授权范围的申请。'),
		tabs, status,
		h('div', { class: 'admin-table-wrap' },
			h('table', { class: 'admin-table', id: 'requests-table' },
				h('caption', { class: 'sr-only' }, '权限申请'),
				h('thead', {}, h('tr', {}, ['编号', '申请人', '申请角色', '管辖范围', '申请理由', '申请时间', '状态', '审批意见', ''].map((c) =>
					h('th', { scope: 'col' }, c || h('span', { class: 'sr-only' }, '操作'))))),
				h('tbody', {}, items.length ? items.map((x) => {
					const ok = h('button', { type: 'button', class: 'btn btn-small btn-primary', onclick: () => decide(x, true, ok) }, '同意');
					const no = h('button', { type: 'button', class: 'btn btn-small btn-danger-outline', onclick: () => decide(x, false, no) }, '驳回');
					return h('tr', { dataset: { id: String(x.id) } },
						h('td', { class: 'mono' }, String(x.id)),
						h('td', {}, h('a', { href: `#/admin/users/${x.user_id}`, class: 'mono' }, x.username),
							x.user_id === selfId ? h('span', { class: 'adm-tag adm-tag-info' }, '本人') : null),
						h('td', {}, roleName(x.role)),
						h('td', {}, divisionLabel(x.scope)),
						h('td', { class: 'admin-reason' }, x.reason),
						h('td', {}, fmtTime(x.created_at)),
						h('td', {}, h('span', { class: 'adm-tag ' + ({ pending: 'adm-tag-warn', approved: 'adm-tag-ok', rejected: 'adm-tag-bad' }[x.status] || '') }, REQUEST_STATUS[x.status] || x.status)),
						h('td', { class: 'admin-reason' }, x.comment || ''),
						h('td', { class: 'admin-ops' }, x.status === 'pending' ? [ok, no] : null));
				}) : h('tr', {}, h('td', { colspan: '9', class: 'empty' }, st === 'pending' ? '没有待审批的申请。' : '没有申请。'))))),
		items.length >= 200 ? h('p', { class: 'muted' }, '只显示最近的 200 条。') : null);
}
