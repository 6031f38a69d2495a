// 白名单管理 (#/whitelist): the sensitive persons whose registry data is
// released only after an administrator of the jurisdiction approves each
// query. A person is held by the keyed index of their ID number; the list
// shows it masked. Add (name, ID, reason, scope) and remove (asks first).

import { h, replace, fmtTime, loading, toast, confirmDialog } from '../ui.js';
import { get, post, del, cached } from '../api.js';
import { messageFor } from '../errors.js';
import * as session from '../session.js';
import { problemText } from '../case_common.js';
import { ID_TYPES, statusBox, say, markInput, pager } from '../query_common.js';

const PAGE = 50;
const state = { afters: [null] };

// The divisions the user keeps the whitelist for, with their counties.
export async function scopeOptions(perm) {
	const scopes = [...new Set(session.me.permissions.filter((p) => p.permission === perm).map((p) => p.scope))].sort();
	const out = [];
	for (const s of scopes) {
		const [self, kids] = await Promise.all([
			cached(`/api/v1/divisions/${s}`).catch(() => ({ code: s, name: s })),
			cached(`/api/v1/divisions?parent=${s}`).catch(() => ({ items: [] })),
		]);
		out.push([s, self.name]);
		for (const k of kids.items || []) out.push([k.code, '　' + k.name]);
	}
	return out;
}

export async function render(main) {
	loading(main);
	const after = state.afters[state.afters.length - 1];
	const [list, scopes] = await Promise.all([
		get(`/api/v1/whitelist?limit=${PAGE}` + (after ? `&after=${encodeURIComponent(after)}` : '')),
		scopeOptions('whitelist.manage'),
	]);
	const names = new Map(scopes.map(([c, n]) => [c, n.trim()]));
	const items = list.items || [];

	const status = statusBox();
	const name = h('input', { id: 'wl-name', type: 'text', autocomplete: 'off', maxlength: '64' });
	const idType = h('select', { id: 'wl-idtype' }, Object.entries(ID_TYPES).map(([k, v]) => h('option', { value: k }, v)));
	const idNo = h('input', { id: 'wl-idno', type: 'text', class: 'mono', autocomplete: 'off', spellcheck: 'false', maxlength: '32' });
	const reason = h('input', { id: 'wl-reason', type: 'text', autocomplete: 'off', maxlength: '200' });
	const scope = h('select', { id: 'wl-scope' }, scopes.map(([c, n]) => h('option', { value: c }, n)));
	const add = h('button', { type: 'submit', class: 'btn btn-primary' }, '加入白名单');
	const form = h('form', { class: 'panel', novalidate: true, 'aria-labelledby': 'wl-add-title' },
		h('h2', { class: 'panel-title', id: 'wl-add-title' }, '加入白名单'),
		status,
		h('div', { class: 'wl-grid' },
			fld('姓名', name), fld('证件类型', idType), fld('证件号码', idNo, '列表中只显示部分号码。'),
			fld('列入事由', reason, '如：受保护证人、涉密人员。'), fld('管辖范围', scope), h('div', { class: 'wl-submit' }, add)));
	form.addEventListener('submit', async (ev) => {
		ev.preventDefault();
		say(status);
		for (const i of [name, idNo, reason]) i.removeAttribute('aria-invalid');
		if (!name.value.trim()) return markInput(name, '请填写姓名。');
		if (!idNo.value.trim()) return markInput(idNo, '请填写证件号码。');
		if (!reason.value.trim()) return markInput(reason, '请填写列入事由。');
		add.disabled = true;
		try {
			await post('/api/v1/whitelist', { name: name.value.trim(), id_type: idType.value, id_number: idNo.value.trim().toUpperCase(), reason: reason.value.trim(), scope: scope.value });
		} catch (e) {
			add.disabled = false;
			if (e.code === 'invalid_id_number') return markInput(idNo, problemText(e.problem || {}));
			say(status, messageFor(e));
			return;
		}
		toast(`${name.value.trim()} 已加入白名单。`, 'ok');
		state.afters = [null];
		await render(main);
	});

	async function remove(w) {
		if (!await confirmDialog('移出白名单？', h('p', {}, `将 ${w.name || ''}（${w.id_number_masked}）移出白名单。此后涉及该人员的查询不再需要审批。`), '移出白名单')) return;
		try {
			await del(`/api/v1/whitelist/${w.id}`);
		} catch (e) {
			toast(messageFor(e), 'error');
			return;
		}
		toast('已移出白名单。', 'ok');
		await render(main);
	}

	replace(main,
		h('div', { class: 'page-head' }, h('h1', {}, '白名单管理'),
			h('p', { class: 'muted page-sub' }, '涉及白名单人员的查档申请须经本辖区属地管理员审批后方可出具结果。')),
		form,
		h('div', { class: 'panel panel-flush' },
			items.length ? h('table', { class: 'table' },
				h('caption', { class: 'sr-only' }, '白名单'),
				h('thead', {}, h('tr', {}, ['姓名', '证件类型', '证件号码', '列入事由', '管辖范围', '列入时间', ''].map((t) =>
					h('th', { scope: 'col' }, t || h('span', { class: 'sr-only' }, '操作'))))),
				h('tbody', {}, items.map((w) => h('tr', {},
					h('td', {}, w.name || ''), h('td', {}, ID_TYPES[w.id_type] || w.id_type || ''),
					h('td', { class: 'mono' }, w.id_number_masked || ''), h('td', {}, w.reason || ''),
					h('td', {}, names.get(w.scope) || (w.scope_name || w.scope || '')), h('td', { class: 'nowrap' }, fmtTime(w.created_at)),
					h('td', { class: 'cell-actions' }, h('button', { type: 'button', class: 'btn btn-small btn-danger-outline', 'aria-label': `将 ${w.name || w.id_number_masked} 移出白名单`, onclick: () => remove(w) }, '移出'))))))
				: h('p', { class: 'empty' }, '白名单中还没有人员。'),
			items.length || state.afters.length > 1 ? pager({
				afters: state.afters, next: list.next_after, count: items.length, label: '人',
				onPrev: () => { state.afters.pop(); render(main); },
				onNext: () => { state.afters.push(list.next_after); render(main); },
			}) : null));
	name.focus();
}

function fld(label, input, hint) {
	const hintEl = h('div', { class: 'hint', id: input.id + '-hint' }, hint || '');
	input.setAttribute('aria-describedby', input.id + '-hint');
	return h('div', { class: 'field' }, h('label', { for: input.id }, label), input, hintEl);
}
