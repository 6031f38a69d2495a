// 我的查询 (#/queries): the archive queries of the user (or the agency,
// as the API decides), newest first, keyset pages; each opens its result.

import { h, replace, fmtTime, loading } from '../ui.js';
import { get } from '../api.js';
import { can } from '../session.js';
import { kindName, queryStateBadge, conditionText, pager } from '../query_common.js';

const PAGE = 20;
const state = { afters: [null] };

export async function render(main) {
	loading(main);
	const after = state.afters[state.afters.length - 1];
	const list = await get(`/api/v1/queries?limit=${PAGE}` + (after ? `&before=${encodeURIComponent(after)}` : ''));
	const items = list.items || [];
	const rows = items.map((q) => h('tr', { class: q.state === 'pending_approval' ? 'row-pending' : null },
		h('td', {}, h('a', { class: 'case-link mono', href: `#/queries/${q.id}` }, q.serial || String(q.id))),
		h('td', {}, queryStateBadge(q.state)),
		h('td', {}, kindName(q.requester ? q.requester.kind : q.requester_kind)),
		h('td', {}, q.requester ? q.requester.name : (q.requester_name || '')),
		h('td', { class: 'cell-purpose' }, q.purpose || ''),
		h('td', {}, conditionText(q.conditions)),
		h('td', { class: 'nowrap' }, fmtTime(q.created_at))));
	replace(main,
		h('div', { class: 'page-head' }, h('h1', {}, '我的查询'),
			can('query.create') ? h('a', { class: 'btn btn-primary', href: '#/queries/new' }, '新建查档申请') : null),
		h('div', { class: 'panel panel-flush' },
			items.length ? h('table', { class: 'table queries' },
				h('caption', { class: 'sr-only' }, '我的查询'),
				h('thead', {}, h('tr', {}, ['查询编号', '状态', '申请人类型', '申请人', '查询目的', '查询条件', '提交时间'].map((t) => h('th', { scope: 'col' }, t)))),
				h('tbody', {}, rows))
				: h('p', { class: 'empty' }, state.afters.length > 1 ? '没有更多查询。' : '还没有查询记录。'),
			items.length || state.afters.length > 1 ? pager({
				afters: state.afters, next: list.next_before, count: items.length,
				onPrev: () => { state.afters.pop(); render(main); },
				onNext: () => { state.afters.push(list.next_before); render(main); },
			}) : null));
}
