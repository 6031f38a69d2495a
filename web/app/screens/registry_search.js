// 登记信息查询 (#/registry): search the registry by unit code, certificate
// number or holder name + ID number (POST /api/v1/registry/search — the ID
// number travels in the body, never in the URL), the register now or as at
// a past time, results as unit cards with their rights and restrictions,
// keyset pages. Only units in the counties the user may read come back.

import { h, replace, loading } from '../ui.js';
import { post } from '../api.js';
import { messageFor } from '../errors.js';
import { conditionForm, unitResult, asAtText, pager, localToRfc3339, queryError, statusBox, say, markInput } from '../query_common.js';

const PAGE = 10;
// Kept while the page is open: back from elsewhere shows the same search.
const state = { cond: null, asAt: null, afters: [null], last: null };

export async function render(main) {
	const cond = conditionForm('rs', state.cond || {});
	const histToggle = h('input', { type: 'checkbox', id: 'rs-hist', checked: !!state.asAt });
	const asAt = h('input', { type: 'datetime-local', id: 'rs-asat', step: '60', 'aria-describedby': 'rs-asat-hint' });
	const asAtBox = h('div', { class: 'field asat-field' }, h('label', { for: 'rs-asat' }, '历史时点（北京时间）'), asAt,
		h('div', { class: 'hint', id: 'rs-asat-hint' }, '按登记簿在该时刻的记载查询。'));
	asAtBox.hidden = !state.asAt;
	histToggle.addEventListener('change', () => { asAtBox.hidden = !histToggle.checked; if (histToggle.checked) asAt.focus(); });
	const go = h('button', { type: 'submit', class: 'btn btn-primary' }, '查询');
	const status = statusBox();
	const results = h('section', { class: 'results', 'aria-live': 'polite', 'aria-label': '查询结果', tabindex: '-1' });
	const form = h('form', { class: 'panel search-panel', novalidate: true, 'aria-label': '登记信息查询' },
		status, cond.el,
		h('div', { class: 'asat-row' },
			h('label', { class: 'check', for: 'rs-hist' }, histToggle, '查看历史时点'), asAtBox),
		h('div', { class: 'actions' }, go));

	form.addEventListener('submit', async (ev) => {
		ev.preventDefault();
		say(status);
		const c = cond.value();
		if (!c) return;
		let at = null;
		if (histToggle.checked) {
			at = localToRfc3339(asAt.value);
			if (!at) { markInput(asAt, '请选择历史时点的日期和时间。'); return; }
		}
		state.cond = c; state.asAt = at; state.afters = [null];
		go.disabled = true;
		try { await search(true); } finally { go.disabled = false; }
	});

	async function search(focus) {
		const body = { ...state.cond, limit: PAGE };
		if (state.asAt) body.as_at = state.asAt;
		const after = state.afters[state.afters.length - 1];
		if (after) body.after = after;
		loading(results, '正在查询…');
		let r;
		try {
			r = await post('/api/v1/registry/search', body);
		} catch (e) {
			replace(results);
			if (e.code === 'invalid_as_at') { markInput(asAt, messageFor(e)); return; }
			if (!cond.mark(e)) say(status, queryError(e));
			return;
		}
		state.last = r;
		show(r);
		if (focus) results.focus();
	}

	function show(r) {
		const head = h('div', { class: 'results-head' },
			h('h2', {}, r.items.length ? '查询结果' : '未查询到登记记录'),
			h('span', { class: 'muted' }, '登记簿时点：', asAtText(r.as_at, !!state.asAt)));
		if (!r.items.length) {
			replace(results, head, h('p', { class: 'panel empty' }, state.afters.length > 1
				? '没有更多结果。' : '在您有权查询的地区内，登记簿中没有符合条件的不动产单元。'));
			return;
		}
		replace(results, head,
			r.items.map((u) => unitResult(u, 'register')),
			pager({
				afters: state.afters, next: r.next, count: r.items.length, label: '个单元',
				onPrev: () => { state.afters.pop(); search(true); },
				onNext: () => { state.afters.push(r.next); search(true); },
			}));
	}

	replace(main,
		h('div', { class: 'page-head' }, h('h1', {}, '登记信息查询'),
			h('p', { class: 'muted page-sub' }, '查询本机构有权查询地区的登记簿记载；查询行为均记入审计日志。向申请人出具查询结果请使用“查档申请”。')),
		form, results);
	if (state.asAt) asAt.value = state.asAt.slice(0, 16);
	if (state.last) show(state.last);
	cond.focus();
}
