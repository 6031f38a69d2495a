// 查询权限 (#/query-permissions): which users of the administrator's scope
// may run archive queries over which divisions, and their daily quota
// (GET /api/v1/query-permissions, PUT …/{user_id}). One's own permission
// is set by another administrator (the API refuses it).

import { h, replace, loading, toast, confirmDialog } from '../ui.js';
import { get, api, cached } from '../api.js';
import { messageFor } from '../errors.js';
import * as session from '../session.js';
import { pager } from '../query_common.js';

const PAGE = 50;
const state = { afters: [null] };

export async function render(main) {
	loading(main);
	const after = state.afters[state.afters.length - 1];
	const list = await get(`/api/v1/query-permissions?limit=${PAGE}` + (after ? `&after=${encodeURIComponent(after)}` : ''));
	const items = list.items || [];
	// the divisions by name (a few distinct codes, each fetched once a page load)
	const codes = [...new Set(items.flatMap((p) => p.divisions || []))];
	const named = new Map(await Promise.all(codes.map(async (c) =>
		[c, (await cached(`/api/v1/divisions/${c}`).catch(() => ({ name: c }))).name])));
	const divNames = (p) => ((p.divisions || []).length ? p.divisions.map((c) => named.get(c) || c) : null);
	const agencies = await cached('/api/v1/agencies').catch(() => ({ items: [] }));
	const agencyName = new Map((agencies.items || []).map((a) => [a.code, a.name]));

	async function edit(p) {
		const divs = h('input', { id: 'qp-divs', type: 'text', class: 'mono', value: (p.divisions || []).join(' '), 'aria-describedby': 'qp-divs-hint', autocomplete: 'off' });
		const quota = h('input', { id: 'qp-quota', type: 'number', min: '0', max: '10000', step: '1', value: String(p.daily_quota ?? ''), 'aria-describedby': 'qp-quota-hint' });
		const body = h('div', { class: 'action-form' },
			h('p', {}, `${p.display_name || p.username}（${p.username}）`),
			h('div', { class: 'field' }, h('label', { for: 'qp-divs' }, '可查询地区（行政区划代码）'), divs,
				h('div', { class: 'hint', id: 'qp-divs-hint' }, '6 位行政区划代码，以空格分隔，如 451300 表示来宾市全市；留空则按其查询员角色的范围。')),
			h('div', { class: 'field' }, h('label', { for: 'qp-quota' }, '每日查询限额（次）'), quota,
				h('div', { class: 'hint', id: 'qp-quota-hint' }, '当日（北京时间）超过限额的查询将被拒绝，次日零时恢复。')));
		if (!await confirmDialog('设置查询权限', body, '保存')) return;
		const codes = divs.value.split(/[\s,，、]+/).filter(Boolean);   // none: null, the role's scope
		const n = Number(quota.value);
		if (!codes.every((c) => /^\d{6}$/.test(c)) || !Number.isInteger(n) || n < 0) {
			toast('地区须为 6 位行政区划代码，限额须为非负整数。', 'error');
			return;
		}
		try {
			await api('PUT', `/api/v1/query-permissions/${p.user_id}`, { divisions: codes.length ? codes : null, daily_quota: n });
		} catch (e) {
			toast(messageFor(e), 'error');
			return;
		}
		toast('查询权限已保存。', 'ok');
		await render(main);
	}

	const self = session.me.user.id;
	replace(main,
		h('div', { class: 'page-head' }, h('h1', {}, '查询权限'),
			h('p', { class: 'muted page-sub' }, '设置查询员可查询的地区和每日查询限额。查询量异常时系统将在审计日志中告警。')),
		h('div', { class: 'panel panel-flush' },
			items.length ? h('table', { class: 'table' },
				h('caption', { class: 'sr-only' }, '查询权限'),
				h('thead', {}, h('tr', {}, ['用户', '所属机构', '可查询地区', '每日限额', '今日已查', ''].map((t, i) =>
					h('th', { scope: 'col', class: i === 3 || i === 4 ? 'num' : null }, t || h('span', { class: 'sr-only' }, '操作'))))),
				h('tbody', {}, items.map((p) => h('tr', {},
					h('td', {}, p.display_name || p.username, h('span', { class: 'muted small' }, ` ${p.username}`)),
					h('td', {}, agencyName.get(p.agency_code) || p.agency_code || ''),
					h('td', {}, divNames(p) ? divNames(p).join('、') : h('span', { class: 'muted' }, p.divisions === null || p.divisions === undefined ? '按角色范围' : '无')),
					h('td', { class: 'num' }, p.daily_quota ?? ''),
					h('td', { class: 'num' }, p.used_today ?? ''),
					h('td', { class: 'cell-actions' }, p.user_id === self ? h('span', { class: 'muted small' }, '本人') :
						h('button', { type: 'button', class: 'btn btn-small', 'aria-label': `设置 ${p.display_name || p.username} 的查询权限`, onclick: () => edit(p) }, '设置'))))))
				: h('p', { class: 'empty' }, '您的管辖范围内没有查询员。'),
			items.length || state.afters.length > 1 ? pager({
				afters: state.afters, next: list.next_after, count: items.length, label: '人',
				onPrev: () => { state.afters.pop(); render(main); },
				onNext: () => { state.afters.push(list.next_after); render(main); },
			}) : null));
}
