// The confirmation of each case action with its own fields. Answers the
// request body for POST /api/v1/cases/{id}/actions/{action} (or for a
// reveal), or null when the user cancels. The browser only checks that a
// required field is filled and an amount is an amount; what is allowed is
// the API's answer.

import { h, confirmDialog, field, yuanToFen, fenToYuan } from './ui.js';
import { ACTIONS, docName } from './case_common.js';

export const ACTION_ORDER = ['submit', 'accept', 'approve', 'request_supplement', 'resubmit', 'register', 'set_fees',
	'record_payment', 'issue', 'deliver', 'close', 'reject', 'withdraw'];

// a step's own words where the common name is ambiguous on the case page
// (收费 beside the payment QR means money taken at the window)
export const ACTION_LABELS = { record_payment: '窗口收费' };
const label = (a) => ACTION_LABELS[a] || ACTIONS[a] || a;

const EXPLAIN = {
	submit: '提交后案件送交属地登记机构受理。',
	accept: '确认材料齐全，受理本案。',
	approve: '审核通过后，案件转登簿。',
	register: '登簿后权利即记载于登记簿，并生成登记证明号。',
	issue: '确认已缮制登记证明。',
	close: '办结后案件结束。',
	resubmit: '确认已按要求补正材料，重新提交属地登记机构。',
	withdraw: '撤回后案件终止，不能恢复。',
};

function amountInput(value) {
	const el = h('input', { type: 'text', inputmode: 'decimal', class: 'num', required: true, value: value || '', autocomplete: 'off' });
	const check = () => el.setCustomValidity(yuanToFen(el.value) === null ? '请按“元”填写金额，最多两位小数。' : '');
	el.addEventListener('input', check);
	check();
	return el;
}

function comment() {
	return h('textarea', { rows: '2', maxlength: '500' });
}

export async function actionDialog(action, c, docs, party) {
	const parts = [];
	let read = () => ({});
	const note = comment();
	if (action === 'reveal') {
		const reason = h('textarea', { rows: '2', required: true, minlength: '4', maxlength: '200' });
		const ok = await confirmDialog(`查看${party.name}的完整证件号码`, h('div', {},
			h('p', { class: 'muted' }, '查看完整证件号码将记入审计日志，请说明原因（4–200 字）。'),
			field('查看原因', reason)), '查看', '取消');
		return ok ? { reason: reason.value.trim() } : null;
	}
	if (action === 'request_supplement') {
		const boxes = docs.checklist.map((x) => {
			const cb = h('input', { type: 'checkbox', value: docName(x.document_type), checked: !x.present });
			return h('label', { class: 'check' }, cb, docName(x.document_type));
		});
		const free = h('textarea', { rows: '3', maxlength: '2000', placeholder: '每行一项，例如：抵押合同第 3 页签字不清' });
		const fs = h('fieldset', { class: 'check-list' }, h('legend', {}, '缺少或需更正的材料（可多选）'), boxes);
		parts.push(fs, field('其他补正要求（每行一项）', free));
		const list = () => [...boxes.map((b) => b.firstChild).filter((cb) => cb.checked).map((cb) => cb.value),
			...free.value.split('\n').map((s) => s.trim()).filter(Boolean)];
		const check = () => free.setCustomValidity(list().length ? '' : '请至少列出一项需补正的材料。');
		fs.addEventListener('change', check);
		free.addEventListener('input', check);
		check();
		read = () => ({ missing: list() });
	} else if (action === 'reject') {
		const reason = h('textarea', { rows: '3', required: true, maxlength: '500' });
		parts.push(field('不予登记的理由', reason));
		read = () => ({ reason: reason.value.trim() });
	} else if (action === 'record_payment') {
		const receipt = h('input', { type: 'text', required: true, maxlength: '64', autocomplete: 'off' });
		const amount = amountInput(c.fee_total_fen !== null && c.fee_total_fen !== undefined ? fenToYuan(c.fee_total_fen).replace(/,/g, '') : '');
		const cash = h('input', { type: 'radio', name: 'pay_method', value: 'cash', checked: true });
		const pos = h('input', { type: 'radio', name: 'pay_method', value: 'pos' });
		parts.push(h('p', {}, `应收：${c.fee_total_fen !== null ? fenToYuan(c.fee_total_fen) + ' 元' : '—'}`),
			h('p', { class: 'muted' }, '在窗口以现金或 POS 机收取的费用在此登记；申请人扫码支付的，由支付平台通知自动登记，无需在此办理。'),
			h('fieldset', { class: 'check-list' }, h('legend', {}, '收费方式'),
				h('label', { class: 'check' }, cash, '现金'), h('label', { class: 'check' }, pos, 'POS 机刷卡')),
			field('收据号码', receipt), field('实收金额（元）', amount));
		read = () => ({ receipt_number: receipt.value.trim(), amount_fen: yuanToFen(amount.value), method: pos.checked ? 'pos' : 'cash' });
	} else if (action === 'deliver') {
		const mail = h('input', { type: 'radio', name: 'method', value: 'mail', checked: true });
		const pickup = h('input', { type: 'radio', name: 'method', value: 'pickup' });
		const track = h('input', { type: 'text', required: true, maxlength: '64', autocomplete: 'off' });
		const sync = () => { track.required = mail.checked; track.disabled = !mail.checked; };
		mail.addEventListener('change', sync);
		pickup.addEventListener('change', sync);
		parts.push(h('fieldset', { class: 'check-list' }, h('legend', {}, '发证方式'),
			h('label', { class: 'check' }, mail, '邮寄送达'),
			h('label', { class: 'check' }, pickup, `在受理窗口领取（${c.receiving_agency.name}）`)),
		field('邮件运单号', track));
		read = () => (mail.checked ? { method: 'mail', tracking_number: track.value.trim() } : { method: 'pickup' });
	}
	if (EXPLAIN[action]) parts.unshift(h('p', {}, EXPLAIN[action]));
	parts.push(field('办理意见（可不填）', note));
	const ok = await confirmDialog(`${label(action)} · ${c.number}`, h('div', { class: 'action-form' }, parts), `确认${label(action)}`, '取消');
	if (!ok) return null;
	const body = { version: c.version, ...read() };
	if (note.value.trim()) body.comment = note.value.trim();
	return body;
}
