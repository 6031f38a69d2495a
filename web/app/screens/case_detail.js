// 案件详情 (#/cases/{id}): the header, the priority-conflict banner, the
// business fields, the parties (masked; a full number only with a reason,
// audited by the API), the documents against the checklist, the timeline,
// and the actions the API says the caller may take now (allowed_actions) —
// each behind a confirmation with its own fields. A stale version (409
// version_conflict) shows what changed and offers to reload.

import { h, replace, toast, fmtTime, fmtDate } from '../ui.js';
import { get, post } from '../api.js';
import { messageFor } from '../errors.js';
import {
	STATES, ACTIONS, ROLES, ID_TYPES, FIELD_NAMES, MORTGAGE_TYPES, docName, stateBadge, money, facts, uploadRow, fileLink, fieldRows, OPTIONAL_DOCS,
} from '../case_common.js';
import { actionDialog, ACTION_ORDER, ACTION_LABELS } from '../case_actions.js';
import { feePanel, paymentPanel, paidPanel, hasVoucher, PROVIDERS, PAY_METHODS } from '../case_pay.js';
import * as session from '../session.js';

let typeNames = null;

async function typeName(code) {
	if (!typeNames) {
		try { typeNames = Object.fromEntries((await get('/api/v1/business-types')).items.map((t) => [t.code, t.name])); } catch { typeNames = {}; }
	}
	return typeNames[code] || code;
}

export async function render(main, [id]) {
	const [c, docs] = await Promise.all([get(`/api/v1/cases/${id}`), get(`/api/v1/cases/${id}/attachments`)]);
	await draw(main, c, docs);
}

async function reload(main, id, note) {
	const [c, docs] = await Promise.all([get(`/api/v1/cases/${id}`), get(`/api/v1/cases/${id}/attachments`)]);
	await draw(main, c, docs, note);
}

// Why an action failed, in words; a 403 names what is missing.
export function failureText(e) {
	const p = e.problem || {};
	let t = messageFor(e);
	if (e.status === 403 && p.missing_permission) {
		const side = p.side === 'deciding' ? '属地登记机构' : p.side === 'receiving' ? '受理窗口' : '';
		t += `（缺少权限 ${p.missing_permission}${side ? '，' + side + '一方' : ''}${p.division ? '，辖区 ' + p.division : ''}）`;
	}
	if (e.code === 'priority_conflict' && p.earlier_case) t += `（在先案件：${p.earlier_case}）`;
	return t;
}

async function draw(main, c, docs, note) {
	const tname = await typeName(c.business_type);
	const allowed = (c.allowed_actions || []).slice().sort((a, b) => ACTION_ORDER.indexOf(a) - ACTION_ORDER.indexOf(b));
	const alertBox = h('div', { class: 'action-alert', role: 'alert' });
	const failed = async (e, action) => {
		// someone changed the case since it was shown: say what changed
		if (e.code === 'version_conflict' || e.code === 'invalid_state') { if (await conflict(main, c, action, alertBox)) return; }
		replace(alertBox, h('div', { class: 'banner banner-error' }, `未能${ACTIONS[action] || action}：${failureText(e)}`));
		alertBox.scrollIntoView({ block: 'nearest' });
	};
	const act = async (action) => {
		const body = await actionDialog(action, c, docs);
		if (!body) return;
		replace(alertBox);
		try {
			await post(`/api/v1/cases/${c.id}/actions/${action}`, body);
		} catch (e) {
			await failed(e, action);
			return;
		}
		toast(`${ACTIONS[action] || action}：已完成`, 'ok');
		await reload(main, c.id);
		const h1 = main.querySelector('h1');
		if (h1) h1.focus();
	};
	// 核定收费 is the fee panel's 确认收费 (the items and their adjustments)
	const buttons = allowed.filter((a) => a !== 'set_fees').map((a) => h('button', {
		type: 'button', class: a === 'reject' || a === 'withdraw' ? 'btn btn-danger-outline' : 'btn btn-primary',
		dataset: { action: a }, onclick: () => act(a),
	}, ACTION_LABELS[a] || ACTIONS[a] || a));
	// the receipt is the window's (the API answers it to the receiving side only)
	const received = c.received_at && c.state !== 'withdrawn' && session.me && session.me.agency.code === c.receiving_agency.code;

	const head = h('section', { class: 'panel case-head' },
		h('div', { class: 'case-title' },
			h('h1', { tabindex: '-1' }, c.number), stateBadge(c.state), h('span', { class: 'type-tag' }, tname)),
		facts([
			['不动产单元', h('span', { class: 'mono' }, c.unit_code)],
			['受理机构', c.receiving_agency.name],
			['属地登记机构', c.deciding_agency.name],
			['受理时间', fmtTime(c.received_at)],
			['承诺办结日期', fmtDate(c.due_date)],
			['登记证明号', c.certificate_no],
			['应收费用', c.fee_total_fen === null ? null : money(c.fee_total_fen)],
		], 'facts facts-wide'),
		h('div', { class: 'case-actions' },
			buttons.length ? h('div', { class: 'actions', role: 'group', 'aria-label': '可办理的操作' }, buttons)
				: h('p', { class: 'muted' }, c.state === 'closed' || c.state === 'withdrawn' || c.state === 'rejected' ? '案件已结束。'
					: allowed.includes('set_fees') ? '请在下方“登记收费”中核对收费项目，确认收费。' : '当前环节不由您办理。'),
			received || hasVoucher(c) ? h('div', { class: 'case-links' },
				hasVoucher(c) ? h('a', { class: 'btn', href: `#/cases/${c.id}/voucher` }, '缴费凭证') : null,
				received ? h('a', { class: 'btn', href: `#/cases/${c.id}/receipt` }, '受理回执') : null) : null),
		alertBox);

	const banners = [];
	if (note) banners.push(note);
	const earlier = (c.conflicts || []).filter((x) => x.earlier);
	const later = (c.conflicts || []).filter((x) => !x.earlier);
	if (earlier.length) {
		banners.push(h('div', { class: 'banner banner-error conflict', role: 'alert' },
			h('strong', {}, '优先权冲突：'), '同一不动产单元上有更早受理、尚未办结的案件，须待其办结后本案方可登簿。',
			h('ul', {}, earlier.map((x) => h('li', {}, h('a', { href: `#/cases/${x.id}` }, x.number), `（${STATES[x.state] || x.state}，受理于 ${fmtTime(x.received_at)}）`)))));
	}
	if (later.length) {
		banners.push(h('div', { class: 'banner banner-warn conflict' },
			h('strong', {}, '后续案件：'), '同一不动产单元上另有后受理的案件，待本案办结后办理。',
			h('ul', {}, later.map((x) => h('li', {}, h('a', { href: `#/cases/${x.id}` }, x.number), `（${STATES[x.state] || x.state}，受理于 ${fmtTime(x.received_at)}）`)))));
	}
	if (c.state === 'supplement_requested') {
		const last = [...c.timeline].reverse().find((e) => e.action === 'request_supplement');
		const missing = last && last.details && last.details.missing;
		if (missing && missing.length) {
			banners.push(h('div', { class: 'banner banner-warn supplement' }, h('strong', {}, '需补正的材料：'),
				h('ul', {}, missing.map((m) => h('li', {}, m)))));
		}
	}

	// the cashier's view: the computed fees, then the payment
	const charging = c.state === 'registered' || c.state === 'fees_set';
	const afterPay = ['paid', 'issued', 'delivered', 'closed'].includes(c.state);
	const setFees = async () => { await reload(main, c.id); const t = main.querySelector('h1'); if (t) t.focus(); };
	const feeEls = [];
	if (charging || (afterPay && c.fees && c.fees.items.length)) feeEls.push(feePanel(c, { onSet: setFees, fail: failed }));
	if (c.state === 'fees_set') {
		feeEls.push(paymentPanel(c, {
			mayCharge: allowed.includes('record_payment'),
			onPaid: async () => { toast('已收到支付平台的缴费通知：已缴费', 'ok'); await reload(main, c.id); },
		}));
	}
	if (afterPay) feeEls.push(paidPanel(c));

	const f = c.fields || {};
	const rows = fieldRows(f);

	const parties = h('table', { class: 'grid' },
		h('thead', {}, h('tr', {}, ['身份', '姓名或名称', '证件类型', '证件号码', ''].map((x) => h('th', { scope: 'col' }, x)))),
		h('tbody', {}, c.parties.map((p) => {
			const num = h('td', { class: 'mono' }, p.id_number);
			const btn = h('button', { type: 'button', class: 'btn btn-small', 'aria-label': `查看${p.name}的完整证件号码` }, '查看完整号码');
			btn.addEventListener('click', async () => {
				const shown = await actionDialog('reveal', c, docs, p);
				if (!shown) return;
				try {
					const r = await post(`/api/v1/cases/${c.id}/parties/${p.seq}/reveal`, shown);
					replace(num, r.id_number, h('span', { class: 'muted' }, '（已记录查看原因）'));
					btn.remove();
				} catch (e) { toast(messageFor(e), 'error'); }
			});
			return h('tr', {}, h('td', {}, ROLES[p.role] || p.role), h('td', {}, p.name), h('td', {}, ID_TYPES[p.id_type] || p.id_type), num, h('td', {}, btn));
		})));

	const canUpload = allowed.includes('resubmit') || allowed.includes('submit');
	const byDoc = (d) => docs.items.filter((a) => a.document_type === d);
	const listed = new Set(docs.checklist.map((x) => x.document_type));
	const extra = docs.items.filter((a) => !listed.has(a.document_type));
	let docsEl;
	if (canUpload) {
		docsEl = h('ul', { class: 'checklist' },
			docs.checklist.map((x) => uploadRow(c.id, x.document_type, x.present, byDoc(x.document_type), null)),
			OPTIONAL_DOCS.map((d) => uploadRow(c.id, d, byDoc(d).length > 0, byDoc(d), null, { required: false })));
	} else {
		docsEl = h('ul', { class: 'doc-summary' },
			docs.checklist.map((x) => h('li', {}, h('span', { class: x.present ? 'doc-ok' : 'doc-missing' }, x.present ? '已上传' : '缺'), ' ',
				h('span', { class: 'doc-name' }, docName(x.document_type)),
				h('ul', { class: 'file-list' }, byDoc(x.document_type).map((a) => h('li', {}, fileLink(c.id, a)))))),
			extra.length ? h('li', {}, h('span', { class: 'doc-ok' }, '其他'), ' ', h('span', { class: 'doc-name' }, '其他材料'),
				h('ul', { class: 'file-list' }, extra.map((a) => h('li', {}, docName(a.document_type) + '：', fileLink(c.id, a))))) : null);
	}

	const timeline = h('ol', { class: 'timeline' }, c.timeline.map((e) => h('li', {},
		h('div', { class: 'tl-head' }, h('span', { class: 'tl-action' }, ACTIONS[e.action] || e.action),
			h('time', { datetime: e.at }, fmtTime(e.at))),
		// a provider's notification (or a statement) is no one's step at a desk
		h('div', { class: 'tl-who' }, e.actor ? `${e.actor}（${agencyOf(c, e.agency_code)}）`
			: e.details && e.details.out_trade_no ? (e.details.source === 'statement' ? '按支付平台对账单确认' : '支付平台通知') : ''),
		detailLines(e, c))));

	replace(main,
		h('nav', { class: 'crumbs', 'aria-label': '位置' }, h('a', { href: '#/' }, '工作台'), ' / 案件详情'),
		head,
		banners,
		charging ? h('div', { class: 'fee-cols' }, feeEls) : null,
		h('div', { class: 'case-cols' },
			h('div', { class: 'case-main' },
				h('section', { class: 'panel' }, h('h2', {}, '业务信息'), rows.length ? facts(rows) : h('p', { class: 'muted' }, '无')),
				charging ? null : feeEls,
				h('section', { class: 'panel' }, h('h2', {}, '申请人'), parties),
				h('section', { class: 'panel' }, h('h2', {}, '申请材料'),
					canUpload && c.state === 'supplement_requested' ? h('p', { class: 'muted' }, '请按补正要求上传材料，上传完成后点击“补正后重新提交”。') : null,
					docsEl)),
			h('section', { class: 'panel case-side', 'aria-labelledby': 'tl-title' }, h('h2', { id: 'tl-title' }, '办理过程'), timeline)));
}

function agencyOf(c, code) {
	if (code === c.receiving_agency.code) return c.receiving_agency.name;
	if (code === c.deciding_agency.code) return c.deciding_agency.name;
	return code;
}

function detailLines(e, c) {
	const d = e.details || {};
	const lines = [];
	if (d.missing && d.missing.length) lines.push(h('div', {}, '需补正：', d.missing.join('；')));
	if (d.reason) lines.push(h('div', {}, '理由：' + d.reason));
	if (d.certificate_no) lines.push(h('div', {}, '登记证明号：' + d.certificate_no));
	if (d.total_fen !== undefined) lines.push(h('div', {}, '应收：' + money(d.total_fen)));
	for (const a of d.adjustments || []) {
		const it = ((c.fees && c.fees.items) || []).find((x) => x.seq === a.seq);
		const what = it ? `“${it.description}”` : `第 ${a.seq} 项`;
		lines.push(h('div', {}, `${a.op === 'waive' ? '免收' : '增加'}${what} ${money(a.amount_fen)}，理由：${a.reason}`));
	}
	if (d.not_due) lines.push(h('div', {}, '应收为 0，无需缴费'));
	if (d.receipt_number) lines.push(h('div', {}, `${PAY_METHODS[d.method] ? PAY_METHODS[d.method] + '，' : ''}收据 ${d.receipt_number}，实收 ${money(d.amount_fen)}`));
	if (d.out_trade_no) lines.push(h('div', {}, `${PROVIDERS[d.provider] || '在线支付'}，订单 ${d.out_trade_no}${d.source === 'statement' ? '（按对账单确认）' : ''}`));
	if (d.method === 'mail') lines.push(h('div', {}, '邮寄送达，运单号 ' + d.tracking_number));
	if (d.method === 'pickup') lines.push(h('div', {}, '窗口领取'));
	// a holiday calendar change moved the due date (sql/0026): from what to what, and why
	if (e.action === 'due_recomputed' && d.old && d.new) {
		const why = d.kind === 'holiday' ? '设为放假' : d.kind === 'workday' ? '设为调休上班' : '恢复为普通日';
		lines.push(h('div', {}, `承诺办结日期由 ${fmtDate(d.old)} 调整为 ${fmtDate(d.new)}`));
		lines.push(h('div', { class: 'muted' }, `节假日安排调整：${fmtDate(d.day)}${why}${d.note ? '（' + d.note + '）' : ''}`));
	}
	if (e.comment) lines.push(h('div', { class: 'tl-comment' }, '意见：' + e.comment));
	return lines;
}

// Someone else changed the case first: say what changed and offer to
// reload (nothing was done).
async function conflict(main, old, action, box) {
	let c;
	try { c = await get(`/api/v1/cases/${old.id}`); } catch (e) { replace(box, h('div', { class: 'banner banner-error' }, messageFor(e))); return true; }
	if (c.version === old.version) return false;
	const last = c.timeline[c.timeline.length - 1];
	const btn = h('button', { type: 'button', class: 'btn btn-primary', onclick: () => reload(main, c.id) }, '重新加载');
	replace(box, h('div', { class: 'banner banner-warn stale' },
		h('h2', {}, '案件已被他人更新'),
		h('p', {}, c.state === old.state
			? `您打开本页后，案件已被他人办理过（当前状态仍为“${STATES[c.state] || c.state}”），“${ACTIONS[action] || action}”未执行。`
			: `您打开本页后，案件状态已由“${STATES[old.state] || old.state}”变为“${STATES[c.state] || c.state}”，“${ACTIONS[action] || action}”未执行。`),
		last ? h('p', {}, `最新办理：${ACTIONS[last.action] || last.action}，${last.actor}（${agencyOf(c, last.agency_code)}），${fmtTime(last.at)}。`) : null,
		h('p', {}, '请重新加载，查看最新情况后再决定是否办理。'),
		btn));
	btn.focus();
	return true;
}
