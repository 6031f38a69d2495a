// 查询审批 (#/query-approvals): the queries that touch a whitelisted person
// held for an administrator of the jurisdiction holding the data — who
// asks, why, with which reference, for what; approve, or reject with a
// reason (POST /api/v1/queries/{id}/approve | /reject). The API refuses
// an admin outside the county's scope and the query's own creator.

import { h, replace, fmtTime, loading, toast, confirmDialog } from '../ui.js';
import { get, post } from '../api.js';
import { messageFor } from '../errors.js';
import { kindName, conditionText, pager, ID_TYPES } from '../query_common.js';
import { facts } from '../case_common.js';

const PAGE = 20;
const state = { afters: [null] };

export async function render(main) {
	loading(main);
	const after = state.afters[state.afters.length - 1];
	const list = await get(`/api/v1/query-approvals?limit=${PAGE}` + (after ? `&before=${encodeURIComponent(after)}` : ''));
	const items = list.items || [];

	async function decide(q, approve) {
		const reason = h('textarea', { id: 'reject-reason', rows: '3', maxlength: '500', required: true });
		const body = approve
			? h('p', {}, `批准后，${q.agency ? q.agency.name : '受理机构'}即可查看查询 ${q.serial} 的结果并出具查询结果证明。`)
			: h('div', { class: 'field' }, h('label', { for: 'reject-reason' }, '驳回理由'), reason,
				h('div', { class: 'hint' }, '驳回理由将告知受理机构，并记入审计日志。'));
		const title = approve ? `批准查询 ${q.serial}？` : `驳回查询 ${q.serial}？`;
		for (;;) {
			if (!await confirmDialog(title, body, approve ? '确认批准' : '确认驳回')) return;
			if (approve || reason.value.trim()) break;
			toast('请填写驳回理由。', 'error');
		}
		try {
			if (approve) await post(`/api/v1/queries/${q.id}/approve`, {});
			else await post(`/api/v1/queries/${q.id}/reject`, { reason: reason.value.trim() });
		} catch (e) {
			toast(e.code === 'invalid_state' ? `查询 ${q.serial} 已不在待审批状态（可能已由他人审批）。` : messageFor(e), 'error');
			if (e.code === 'invalid_state') await render(main);
			return;
		}
		toast(approve ? `查询 ${q.serial} 已批准。` : `查询 ${q.serial} 已驳回。`, 'ok');
		await render(main);
	}

	const card = (q) => {
		const r = q.requester || {};
		return h('li', { class: 'approval panel', 'aria-labelledby': `ap-${q.id}` },
			h('div', { class: 'approval-head' },
				h('h2', { id: `ap-${q.id}` }, h('span', { class: 'mono' }, q.serial || String(q.id))),
				h('span', { class: 'muted' }, fmtTime(q.created_at)),
				h('div', { class: 'approval-actions' },
					h('button', { type: 'button', class: 'btn btn-danger-outline', onclick: () => decide(q, false), 'aria-label': `驳回查询 ${q.serial}` }, '驳回'),
					h('button', { type: 'button', class: 'btn btn-primary', onclick: () => decide(q, true), 'aria-label': `批准查询 ${q.serial}` }, '批准'))),
			facts([
				['受理机构', q.agency ? q.agency.name : null],
				['申请人类型', kindName(r.kind || q.requester_kind)],
				['申请人', r.name],
				['申请人证件', r.id_number_masked ? `${ID_TYPES[r.id_type] || r.id_type || ''} ${r.id_number_masked}` : null],
				['文书编号', r.reference],
				['查询目的', q.purpose],
				['查询条件', conditionText(q.conditions)],
				['查询时点', q.as_at && Math.abs(Date.parse(q.as_at) - Date.parse(q.created_at)) > 60000 ? fmtTime(q.as_at) + '（历史时点）' : '提交时的登记簿'],
			], 'facts facts-wide'));
	};

	replace(main,
		h('div', { class: 'page-head' }, h('h1', {}, '查询审批'),
			h('p', { class: 'muted page-sub' }, '涉及白名单人员、数据在本辖区的查档申请。请核对申请人、查询目的和文书编号后审批；不能审批本人提交的查询。')),
		items.length ? h('ul', { class: 'approvals' }, items.map(card))
			: h('p', { class: 'panel empty' }, state.afters.length > 1 ? '没有更多待审批的查询。' : '目前没有待审批的查询。'),
		items.length || state.afters.length > 1 ? pager({
			afters: state.afters, next: list.next_before, count: items.length,
			onPrev: () => { state.afters.pop(); render(main); },
			onNext: () => { state.afters.push(list.next_before); render(main); },
		}) : null);
}
