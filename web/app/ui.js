// DOM helpers. Text always goes in as text nodes (never innerHTML), so
// nothing the API returns can become markup; no inline style attributes
// (the CSP forbids them): classes from style.css only.

export { h, clear, replace } from './dom.js';
import { h, replace } from './dom.js';

// Money: the API speaks integer fen, people read yuan with two decimals.
export function fenToYuan(fen) {
	const n = BigInt(fen);
	const neg = n < 0n;
	const a = neg ? -n : n;
	const yuan = (a / 100n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
	const cents = (a % 100n).toString().padStart(2, '0');
	return (neg ? '-' : '') + yuan + '.' + cents;
}

// "1,234.5" → 123450 (fen), exactly (no floating point); null when it is
// not an amount of yuan with at most two decimals.
export function yuanToFen(text) {
	const s = String(text).trim().replace(/[,，\s]/g, '');
	const m = /^(\d{1,13})(?:\.(\d{1,2}))?$/.exec(s);
	if (!m) return null;
	return Number(m[1]) * 100 + Number((m[2] || '').padEnd(2, '0'));
}

export function fmtTime(iso) {
	if (!iso) return '';
	const d = new Date(iso);
	if (Number.isNaN(d.getTime())) return iso;
	const p = (n) => String(n).padStart(2, '0');
	return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
}

export function fmtDate(iso) { return iso ? String(iso).slice(0, 10) : ''; }

let toastBox = null;
// A short message in the live region (screen readers announce it).
export function toast(text, kind = 'info') {
	if (!toastBox) {
		toastBox = h('div', { class: 'toasts', role: 'status', 'aria-live': 'polite' });
		document.body.appendChild(toastBox);
	}
	const t = h('div', { class: 'toast toast-' + kind }, text);
	toastBox.appendChild(t);
	setTimeout(() => t.remove(), 6000);
}

// A modal confirmation (native <dialog>: focus is trapped and Esc cancels).
// Resolves with true/false; `body` may hold form fields the caller reads.
export function confirmDialog(title, body, okText = '确定', cancelText = '取消') {
	return new Promise((resolve) => {
		const ok = h('button', { type: 'submit', class: 'btn btn-primary', value: 'ok' }, okText);
		const cancel = h('button', { type: 'button', class: 'btn', onclick: () => { dlg.close('cancel'); } }, cancelText);
		const form = h('form', { method: 'dialog' }, h('h2', {}, title), body || null, h('div', { class: 'dialog-actions' }, cancel, ok));
		const dlg = h('dialog', { class: 'dialog', 'aria-label': title }, form);
		dlg.addEventListener('close', () => { resolve(dlg.returnValue === 'ok'); dlg.remove(); });
		document.body.appendChild(dlg);
		dlg.showModal();
	});
}

export function field(label, input, hint) {
	const id = input.id || ('f-' + Math.random().toString(36).slice(2, 9));
	input.id = id;
	const hintEl = h('div', { class: 'hint', id: id + '-hint', 'aria-live': 'polite' }, hint || '');
	input.setAttribute('aria-describedby', id + '-hint');
	return h('div', { class: 'field' }, h('label', { for: id }, label), input, hintEl);
}

// Case states and workflow steps as staff read them.
export const STATE_NAMES = {
	draft: '草稿', submitted: '待受理', accepted: '审核中', supplement_requested: '待补正',
	rejected: '不予登记', approved: '审核通过', registered: '已登簿', fees_set: '待缴费',
	paid: '已缴费', issued: '已缮证', delivered: '已送达', closed: '已办结', withdrawn: '已撤回',
};
export const ACTION_NAMES = {
	create: '录入', submit: '提交受理', accept: '受理', request_supplement: '要求补正',
	resubmit: '补正后重新提交', approve: '审核通过', reject: '不予登记', register: '登簿',
	set_fees: '核定收费', record_payment: '收费', issue: '缮证', deliver: '送达',
	close: '办结', withdraw: '撤回', due_recomputed: '办理时限调整',
};
export function stateName(state) { return STATE_NAMES[state] || state; }

// A screen's "loading" placeholder (announced, no layout jump).
export function loading(main, text = '正在加载…') {
	return replace(main, h('p', { class: 'loading', role: 'status' }, text));
}

// Seconds from a Retry-After header (or null).
export function retryAfter(err) {
	const v = err && err.headers && err.headers.get ? err.headers.get('Retry-After') : null;
	const n = v === null ? NaN : Number(v);
	return Number.isFinite(n) && n >= 0 ? n : null;
}

// "约 3 分钟" / "约 40 秒": a wait people can read.
export function waitText(seconds) {
	if (seconds < 60) return `约 ${Math.max(1, Math.ceil(seconds))} 秒`;
	return `约 ${Math.ceil(seconds / 60)} 分钟`;
}
