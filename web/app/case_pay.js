// The cashier's part of the case screen: the fee items the platform
// computed at registration (each with the rule and the basis it came
// from), adjustments (add an item, waive an item — each with a reason, the
// API audits them), 确认收费 (set_fees), and then the payment: a QR code
// of the provider's pay URL, large enough to turn towards the customer,
// with the amount and the time left, watched every 2 s until the
// provider's notification marks it paid. Money taken at the window (cash,
// POS) stays the 收费 action of the case.

import { h, replace, toast, fmtTime, confirmDialog, field, yuanToFen, fenToYuan } from './ui.js';
import { get, post } from './api.js';
import { messageFor } from './errors.js';

export const FEE_CODES = { registration: '登记费', certificate: '证书工本费', other: '其他' };
export const PROVIDERS = { wechat: '微信支付', rcu: '农信统一支付平台', window: '窗口收费' };
export const PAY_METHODS = { cash: '现金', pos: 'POS 机刷卡' };
const POLL_MS = 2000;

export const yuan = (fen) => '¥' + fenToYuan(fen);
const amountOf = (it) => it.amount_fen !== undefined && it.amount_fen !== null ? it.amount_fen : it.quantity * it.unit_price_fen;

// The last record_payment event: how the case was paid (an online
// payment carries the order number; a window payment the receipt).
export function paymentEvent(c) {
	return [...(c.timeline || [])].reverse().find((e) => e.action === 'record_payment') || null;
}

// Whether the case has a voucher (written only for a provider's payment).
export function hasVoucher(c) {
	const e = paymentEvent(c);
	return !!(e && e.details && e.details.out_trade_no);
}

function reasonInput() {
	return h('textarea', { rows: '2', required: true, minlength: '2', maxlength: '200', 'aria-describedby': null });
}

// 免收 one item: the reason (2–200 characters) or null.
async function askWaive(it) {
	const reason = reasonInput();
	const ok = await confirmDialog(`免收：${it.description}`, h('div', { class: 'action-form' },
		h('p', {}, `免收后本项 ${yuan(amountOf(it))} 不计入应收合计。免收理由将记入办理记录和审计日志。`),
		field('免收理由（2–200 字）', reason)), '确定免收', '取消');
	return ok ? reason.value.trim() : null;
}

// 增加收费项目: {code, description, quantity, unit_price_fen, reason} or null.
async function askAdd() {
	const code = h('select', {}, Object.entries(FEE_CODES).map(([k, v]) => h('option', { value: k }, v)));
	const desc = h('input', { type: 'text', required: true, maxlength: '100', autocomplete: 'off' });
	const qty = h('input', { type: 'number', min: '1', max: '100', required: true, value: '1', class: 'qty' });
	const price = h('input', { type: 'text', inputmode: 'decimal', class: 'num', required: true, autocomplete: 'off' });
	const checkPrice = () => price.setCustomValidity(yuanToFen(price.value) === null ? '请按“元”填写金额，最多两位小数。' : '');
	price.addEventListener('input', checkPrice);
	checkPrice();
	const reason = reasonInput();
	code.addEventListener('change', () => { if (!desc.value) desc.value = code.value === 'certificate' ? '不动产权证书工本费' : ''; });
	const ok = await confirmDialog('增加收费项目', h('div', { class: 'action-form fee-add' },
		h('p', { class: 'muted' }, '人工增加的项目须说明理由，理由将记入办理记录和审计日志。'),
		h('div', { class: 'fee-add-grid' }, field('项目类别', code), field('项目名称', desc), field('数量', qty), field('单价（元）', price)),
		field('增加理由（2–200 字）', reason)), '增加', '取消');
	if (!ok) return null;
	return { op: 'add', code: code.value, description: desc.value.trim(), quantity: Number(qty.value),
		unit_price_fen: yuanToFen(price.value), reason: reason.value.trim() };
}

// The fee panel. `onSet()` after 确认收费 succeeded; `fail(e, action)`
// shows a refusal the way the case screen does.
export function feePanel(c, { onSet, fail }) {
	const fees = c.fees || { total_fen: c.fee_total_fen, items: [] };
	const editable = (c.allowed_actions || []).includes('set_fees');
	const pending = [];   // adjustments not yet sent
	const body = h('tbody', {});
	const total = h('strong', { class: 'fee-sum', id: 'fee-total' });
	const note = h('p', { class: 'muted fee-note' });
	const section = h('section', { class: 'panel fee-panel', 'aria-labelledby': 'fee-title' });

	const waiveOf = (seq) => pending.find((a) => a.op === 'waive' && a.seq === seq);
	const draw = () => {
		let sum = 0;
		const rows = fees.items.map((it) => {
			const w = waiveOf(it.seq);
			const waived = it.waived || !!w;
			if (!waived) sum += amountOf(it);
			let status = null;
			if (it.waived) status = h('span', { class: 'fee-flag fee-flag-waived' }, '已免收');
			else if (w) status = h('span', { class: 'fee-flag fee-flag-pending' }, '待免收');
			const why = it.waived && it.reason ? it.reason : w ? w.reason : null;
			let tool = null;
			if (editable && !it.waived) {
				tool = w
					? h('button', { type: 'button', class: 'btn btn-small', onclick: () => { pending.splice(pending.indexOf(w), 1); draw(); } }, '撤销免收')
					: h('button', { type: 'button', class: 'btn btn-small', 'aria-label': `免收：${it.description}`, onclick: async () => {
						if (pending.length >= 10) { toast('一次最多调整 10 项。', 'error'); return; }
						const reason = await askWaive(it);
						if (reason) { pending.push({ op: 'waive', seq: it.seq, reason }); draw(); }
					} }, '免收');
			}
			return h('tr', { class: waived ? 'fee-waived' : null, dataset: { seq: String(it.seq) } },
				h('td', {}, h('div', { class: 'fee-desc' }, it.description), FEE_CODES[it.code] ? h('div', { class: 'fee-code muted' }, FEE_CODES[it.code]) : null),
				h('td', { class: 'fee-basis' }, it.basis || (it.rule ? it.rule : h('span', { class: 'muted' }, '人工添加')),
					!it.rule && it.reason && !it.waived ? h('div', { class: 'fee-reason' }, '理由：' + it.reason) : null),
				h('td', { class: 'num' }, String(it.quantity)),
				h('td', { class: 'num' }, fenToYuan(it.unit_price_fen)),
				h('td', { class: 'num fee-amount' }, fenToYuan(amountOf(it))),
				h('td', { class: 'fee-state' }, status, why ? h('div', { class: 'fee-reason' }, '理由：' + why) : null),
				editable ? h('td', {}, tool) : null);
		});
		for (const a of pending.filter((x) => x.op === 'add')) {
			sum += a.quantity * a.unit_price_fen;
			rows.push(h('tr', { class: 'fee-added' },
				h('td', {}, h('div', { class: 'fee-desc' }, a.description), h('div', { class: 'fee-code muted' }, FEE_CODES[a.code] || a.code)),
				h('td', { class: 'fee-basis' }, h('span', { class: 'muted' }, '人工添加')),
				h('td', { class: 'num' }, String(a.quantity)),
				h('td', { class: 'num' }, fenToYuan(a.unit_price_fen)),
				h('td', { class: 'num fee-amount' }, fenToYuan(a.quantity * a.unit_price_fen)),
				h('td', { class: 'fee-state' }, h('span', { class: 'fee-flag fee-flag-pending' }, '待增加'), h('div', { class: 'fee-reason' }, '理由：' + a.reason)),
				h('td', {}, h('button', { type: 'button', class: 'btn btn-small', onclick: () => { pending.splice(pending.indexOf(a), 1); draw(); } }, '撤销'))));
		}
		if (!rows.length) rows.push(h('tr', {}, h('td', { colspan: editable ? '7' : '6', class: 'muted' }, '无收费项目。')));
		replace(body, rows);
		const shown = editable ? sum : (fees.total_fen ?? sum);
		total.textContent = yuan(shown) + ' 元';
		note.textContent = editable
			? (pending.length ? `有 ${pending.length} 项调整待确认，点击“确认收费”后生效。` : '以下为按收费标准自动计算的项目。如需增加或免收，请说明理由。')
			: '';
	};
	draw();

	const confirm = h('button', { type: 'button', class: 'btn btn-primary', id: 'set-fees', onclick: async () => {
		const comment = h('textarea', { rows: '2', maxlength: '500' });
		const sumText = total.textContent;
		const ok = await confirmDialog(`确认收费 · ${c.number}`, h('div', { class: 'action-form' },
			h('p', {}, '应收合计：', h('strong', {}, sumText)),
			pending.length ? h('ul', { class: 'fee-adjust-list' }, pending.map((a) => h('li', {},
				a.op === 'add' ? `增加“${a.description}” ${yuan(a.quantity * a.unit_price_fen)}，理由：${a.reason}`
					: `免收“${fees.items.find((i) => i.seq === a.seq).description}”，理由：${a.reason}`)))
				: h('p', { class: 'muted' }, '按自动计算的项目收费，无调整。'),
			sumText.startsWith('¥0.00') ? h('p', { class: 'banner banner-info' }, '应收为 0，确认后案件直接进入“已缴费”。') : null,
			field('办理意见（可不填）', comment)), '确认收费', '取消');
		if (!ok) return;
		const req = { version: c.version };
		if (pending.length) req.adjustments = pending.map((a) => ({ ...a }));
		if (comment.value.trim()) req.comment = comment.value.trim();
		confirm.disabled = true;
		try {
			await post(`/api/v1/cases/${c.id}/actions/set_fees`, req);
		} catch (e) {
			confirm.disabled = false;
			fail(e, 'set_fees');
			return;
		}
		toast('核定收费：已完成', 'ok');
		onSet();
	} }, '确认收费');
	const add = h('button', { type: 'button', class: 'btn', onclick: async () => {
		if (pending.length >= 10) { toast('一次最多调整 10 项。', 'error'); return; }
		const a = await askAdd();
		if (a) { pending.push(a); draw(); }
	} }, '增加收费项目');

	replace(section,
		h('div', { class: 'panel-head' },
			h('h2', { id: 'fee-title', class: 'panel-title' }, '登记收费'),
			h('div', { class: 'fee-total-box' }, h('span', { class: 'muted' }, editable ? '应收合计' : '应收'), total)),
		note,
		h('table', { class: 'grid fee-items' },
			h('thead', {}, h('tr', {}, ['收费项目', '收费依据', '数量', '单价（元）', '金额（元）', '状态', editable ? '调整' : null]
				.filter(Boolean).map((x) => h('th', { scope: 'col', class: /数量|元/.test(x) ? 'num' : null }, x)))),
			body),
		editable ? h('div', { class: 'actions fee-tools' }, add, h('span', { class: 'grow' }), confirm) : null);
	return section;
}

// The payment panel of a case in fees_set (and the paid state after).
// `mayCharge`: the user may open an order (allowed record_payment).
// `onPaid()` when the provider's notification has been recorded.
export function paymentPanel(c, { mayCharge, onPaid }) {
	const section = h('section', { class: 'panel pay-panel', 'aria-labelledby': 'pay-title', dataset: { caseId: String(c.id) } });
	const state = h('div', { class: 'pay-state', role: 'status', 'aria-live': 'polite' });
	const body = h('div', { class: 'pay-body' });
	let timer = null, tick = null, order = null, big = null;
	const stop = () => { clearTimeout(timer); clearInterval(tick); timer = null; window.removeEventListener('hashchange', stop); };
	window.addEventListener('hashchange', stop);

	const head = h('div', { class: 'panel-head' },
		h('h2', { id: 'pay-title', class: 'panel-title' }, '扫码缴费'),
		h('div', { class: 'pay-due' }, h('span', { class: 'muted' }, '应缴金额'), h('strong', { class: 'pay-amount' }, yuan(c.fee_total_fen || 0) + ' 元')));
	replace(section, head, state, body);

	const leftText = (o) => {
		const ms = Date.parse(o.expires_at) - Date.now();
		if (!(ms > 0)) return '已过期';
		const s = Math.floor(ms / 1000);
		const p2 = (n) => String(n).padStart(2, '0');
		return `${Math.floor(s / 3600)}:${p2(Math.floor(s / 60) % 60)}:${p2(s % 60)}`;
	};
	const generate = async (btn) => {
		btn.disabled = true;
		btn.textContent = '正在生成…';
		try {
			order = await post(`/api/v1/cases/${c.id}/payment`, {});
		} catch (e) {
			btn.disabled = false;
			btn.textContent = order ? '重新生成二维码' : '生成支付二维码';
			replace(state, h('div', { class: 'banner banner-error' }, '未能生成支付二维码：', messageFor(e)));
			return;
		}
		show();
		poll();
	};
	const genButton = (text) => {
		const b = h('button', { type: 'button', class: 'btn btn-primary', id: 'pay-generate', onclick: () => generate(b) }, text);
		return b;
	};

	// the customer-facing view: the QR and the amount, filling the screen
	const enlarge = () => {
		const qr = h('img', { class: 'pay-qr-big', src: qrSrc(), alt: `缴费二维码，金额 ${yuan(order.amount_fen)} 元`, width: '560', height: '560' });
		const close = h('button', { type: 'button', class: 'btn', onclick: () => big.close() }, '返回');
		big = h('dialog', { class: 'pay-customer', 'aria-labelledby': 'pay-big-title' },
			h('div', { class: 'pay-big-grid' },
				qr,
				h('div', { class: 'pay-big-side' },
					h('p', { class: 'pay-big-org' }, '广西不动产登记 · 全区通办'),
					h('h2', { id: 'pay-big-title' }, '请扫码缴纳登记费'),
					h('p', { class: 'pay-big-amount' }, yuan(order.amount_fen), h('small', {}, ' 元')),
					h('p', {}, '案件编号：', h('span', { class: 'mono' }, c.number)),
					h('p', {}, '请使用微信“扫一扫”扫描左侧二维码，按提示完成支付。'),
					h('p', { class: 'pay-big-left' }, '二维码有效期剩余 ', h('span', { class: 'pay-left mono' }, leftText(order))),
					h('p', { class: 'pay-big-paid', role: 'status', 'aria-live': 'polite' }),
					h('div', { class: 'dialog-actions' }, close))));
		big.addEventListener('close', () => { big.remove(); big = null; });
		document.body.append(big);
		big.showModal();
		close.focus();
	};

	const qrSrc = () => `/api/v1/cases/${c.id}/payment/qr.svg?o=${encodeURIComponent(order.out_trade_no)}`;
	const show = () => {
		clearInterval(tick);
		if (!order) {
			replace(state, h('p', { class: 'muted' }, '尚未生成支付二维码。申请人可用微信扫码缴费，也可在窗口以现金或 POS 机缴费（“窗口收费”）。'));
			replace(body, mayCharge ? h('div', { class: 'actions' }, genButton('生成支付二维码')) : null);
			return;
		}
		const expired = order.state === 'expired' || (order.state === 'pending' && !(Date.parse(order.expires_at) > Date.now()));
		if (order.state === 'paid') {
			replace(state, h('div', { class: 'pay-paid', id: 'pay-paid' }, h('strong', {}, '已缴费'),
				h('span', {}, `${yuan(order.amount_fen)} 元 · ${fmtTime(order.paid_at)} · 订单号 `, h('span', { class: 'mono' }, order.out_trade_no))));
			replace(body);
			if (big) { const p = big.querySelector('.pay-big-paid'); if (p) p.textContent = '已缴费，谢谢！'; big.classList.add('paid'); }
			return;
		}
		if (expired || order.state === 'closed') {
			replace(state, h('div', { class: 'banner banner-warn' }, order.state === 'closed' ? '支付订单已关闭。' : '二维码已过期，请重新生成。'));
			replace(body, mayCharge ? h('div', { class: 'actions' }, genButton('重新生成二维码')) : null);
			if (big) big.close();
			return;
		}
		const left = h('span', { class: 'pay-left mono', id: 'pay-left' }, leftText(order));
		tick = setInterval(() => {
			if (!section.isConnected && !big) { stop(); return; }
			const t = leftText(order);
			for (const el of document.querySelectorAll('.pay-left')) el.textContent = t;
			if (t === '已过期') { clearInterval(tick); show(); }
		}, 1000);
		replace(state, h('p', { class: 'pay-waiting' }, h('span', { class: 'pay-dot', 'aria-hidden': 'true' }), '等待支付…缴费成功后本页自动更新。'));
		replace(body, h('div', { class: 'pay-grid' },
			h('figure', { class: 'pay-figure' },
				h('img', { class: 'pay-qr', id: 'pay-qr', src: qrSrc(), alt: `缴费二维码，金额 ${yuan(order.amount_fen)} 元`, width: '264', height: '264' }),
				h('figcaption', {}, '微信扫码支付')),
			h('div', { class: 'pay-info' },
				h('dl', { class: 'pay-facts' },
					h('div', {}, h('dt', {}, '金额'), h('dd', { class: 'pay-amount' }, yuan(order.amount_fen) + ' 元')),
					h('div', {}, h('dt', {}, '商户订单号'), h('dd', { class: 'mono', id: 'pay-order' }, order.out_trade_no)),
					h('div', {}, h('dt', {}, '有效期至'), h('dd', {}, fmtTime(order.expires_at))),
					h('div', {}, h('dt', {}, '剩余时间'), h('dd', {}, left))),
				h('div', { class: 'actions' },
					h('button', { type: 'button', class: 'btn btn-primary', id: 'pay-enlarge', onclick: enlarge }, '向顾客展示二维码')),
				h('p', { class: 'muted small' }, '请将屏幕转向申请人扫码；支付完成后，支付平台通知本系统，页面自动显示“已缴费”。'))));
	};

	const poll = () => {
		clearTimeout(timer);
		timer = setTimeout(async () => {
			if (!section.isConnected) { stop(); return; }
			try {
				const o = await get(`/api/v1/cases/${c.id}/payment`, { quiet: true });
				if (!section.isConnected) { stop(); return; }
				const changed = !order || o.state !== order.state || o.out_trade_no !== order.out_trade_no;
				order = o;
				if (changed) show();
				if (o.state === 'paid') { stop(); onPaid(o); return; }
				if (o.state !== 'pending') { stop(); return; }
			} catch {
				// a failed look is tried again on the next round
			}
			poll();
		}, POLL_MS);
	};

	(async () => {
		try {
			order = await get(`/api/v1/cases/${c.id}/payment`, { quiet: true });
		} catch (e) {
			if (e.code !== 'no_payment_order') { replace(state, h('div', { class: 'banner banner-error' }, messageFor(e))); return; }
			order = null;
		}
		show();
		if (order && order.state === 'pending') poll();
	})();
	return section;
}

// After payment: how the case was paid, and the voucher when there is one.
export function paidPanel(c) {
	const e = paymentEvent(c);
	const d = (e && e.details) || {};
	const online = !!d.out_trade_no;
	const rows = [];
	if (online) {
		rows.push(['支付方式', PROVIDERS[d.provider] || d.provider || '在线支付'], ['商户订单号', h('span', { class: 'mono' }, d.out_trade_no)],
			['支付交易号', h('span', { class: 'mono' }, d.transaction_id || '')]);
	} else if (e && d.receipt_number) {
		rows.push(['支付方式', PAY_METHODS[d.method] || '窗口收费'], ['收据号码', d.receipt_number]);
	} else if (d.not_due || (c.fee_total_fen === 0)) {
		rows.push(['说明', '应收为 0，无需缴费']);
	}
	if (d.amount_fen !== undefined) rows.push(['实收金额', yuan(d.amount_fen) + ' 元']);
	if (e) rows.push(['缴费时间', fmtTime(e.at)]);
	return h('section', { class: 'panel pay-panel pay-done', 'aria-labelledby': 'paid-title' },
		h('div', { class: 'panel-head' },
			h('h2', { id: 'paid-title', class: 'panel-title' }, '缴费情况'),
			h('span', { class: 'state state-paid' }, '已缴费')),
		h('dl', { class: 'facts pay-done-facts' }, rows.map(([k, v]) => h('div', {}, h('dt', {}, k), h('dd', {}, v)))),
		online ? h('div', { class: 'actions' }, h('a', { class: 'btn btn-primary', href: `#/cases/${c.id}/voucher` }, '查看缴费凭证')) : null);
}
