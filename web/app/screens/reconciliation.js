// 对账 (#/reconciliation?date=YYYY-MM-DD): the provider's daily statement
// (the trade-bill CSV the cashier downloads from the merchant platform)
// uploaded for a date, then the report of that date within the user's
// scope — matched orders, and the three kinds of difference: paid at the
// provider but not recorded here, recorded here but not in the statement,
// and amounts that differ. An order the statement shows paid without a
// notification can be settled from the statement, with a reason (audited).

import { h, replace, toast, fmtTime, fenToYuan, confirmDialog, field } from '../ui.js';
import { get, api, post } from '../api.js';
import { messageFor } from '../errors.js';
import { query, navigate } from '../router.js';

const MAX_CSV = 5 * 1024 * 1024;

// Yesterday in Beijing (statements are issued the day after).
function yesterday() {
	const d = new Date(Date.now() + 8 * 3600e3 - 86400e3);
	return d.toISOString().slice(0, 10);
}

const caseLink = (x) => {
	const k = x.case || {};
	return k.id ? h('a', { href: `#/cases/${k.id}` }, k.number || String(k.id)) : h('span', { class: 'muted' }, '—');
};

export async function render(main) {
	const q = query();
	const date = /^\d{4}-\d{2}-\d{2}$/.test(q.get('date') || '') ? q.get('date') : yesterday();
	// a text date (YYYY-MM-DD) with a day back and forth: the same on every
	// terminal, whatever the browser's language
	const dateIn = h('input', { type: 'text', id: 'recon-date', required: true, value: date, inputmode: 'numeric', maxlength: '10',
		pattern: '\\d{4}-\\d{2}-\\d{2}', placeholder: '2026-11-26', autocomplete: 'off', class: 'mono recon-date' });
	const shift = (days) => {
		const t = Date.parse(dateIn.value + 'T00:00:00Z');
		if (Number.isNaN(t)) return;
		dateIn.value = new Date(t + days * 86400e3).toISOString().slice(0, 10);
		go();
	};
	const file = h('input', { type: 'file', id: 'recon-file', class: 'file-input', accept: '.csv,text/csv', 'aria-label': '对账单文件（CSV）' });
	const fileName = h('span', { class: 'muted recon-file-name', id: 'recon-file-name' }, '未选择文件');
	file.addEventListener('change', () => { fileName.textContent = file.files[0] ? file.files[0].name : '未选择文件'; });
	const status = h('div', { class: 'form-status', role: 'status', 'aria-live': 'polite' });
	const report = h('div', { id: 'recon-report', 'aria-live': 'polite' });
	const upload = h('button', { type: 'submit', class: 'btn btn-primary', id: 'recon-upload' }, '导入对账单');
	const show = h('button', { type: 'button', class: 'btn', id: 'recon-show', onclick: () => go() }, '查看对账结果');

	const go = () => {
		if (!/^\d{4}-\d{2}-\d{2}$/.test(dateIn.value) || Number.isNaN(Date.parse(dateIn.value))) { status.textContent = '请按“年-月-日”填写对账日期，如 2026-11-26。'; dateIn.focus(); return; }
		const hash = `#/reconciliation?date=${dateIn.value}`;
		if (location.hash === hash) load(dateIn.value); else navigate(hash);
	};

	const form = h('form', { class: 'panel recon-form', 'aria-labelledby': 'recon-form-title' },
		h('h2', { id: 'recon-form-title', class: 'panel-title' }, '导入支付平台对账单'),
		h('p', { class: 'muted' }, '在商户平台下载指定日期的交易账单（CSV 格式，不超过 5 MB），选择日期后导入；同一日期再次导入将替换原对账单。'),
		h('div', { class: 'recon-grid' },
			h('div', { class: 'field' }, h('label', { for: 'recon-date' }, '对账日期'),
				h('div', { class: 'recon-day' },
					h('button', { type: 'button', class: 'btn', 'aria-label': '前一天', onclick: () => shift(-1) }, '‹'),
					dateIn,
					h('button', { type: 'button', class: 'btn', 'aria-label': '后一天', onclick: () => shift(1) }, '›'))),
			h('div', { class: 'field' }, h('span', { class: 'field-label', id: 'recon-file-label' }, '对账单文件（CSV）'),
				h('div', { class: 'recon-file' },
					h('label', { class: 'btn', for: 'recon-file' }, '选择文件'), file, fileName)),
			h('div', { class: 'actions recon-buttons' }, upload, show)),
		status);
	form.addEventListener('submit', async (ev) => {
		ev.preventDefault();
		replace(status);
		const f = file.files[0];
		if (!/^\d{4}-\d{2}-\d{2}$/.test(dateIn.value)) { status.textContent = '请按“年-月-日”填写对账日期，如 2026-11-26。'; dateIn.focus(); return; }
		if (!f) { status.textContent = '请选择要导入的对账单文件。'; file.focus(); return; }
		if (!/\.csv$/i.test(f.name)) { status.textContent = `「${f.name}」不是 CSV 文件，请选择商户平台导出的 CSV 交易账单。`; return; }
		if (f.size > MAX_CSV) { status.textContent = `「${f.name}」超过 5 MB，不能导入。`; return; }
		upload.disabled = true;
		upload.textContent = '正在导入…';
		try {
			const r = await api('POST', `/api/v1/payments/statements?date=${dateIn.value}`, new Blob([f], { type: 'text/csv' }),
				{ headers: { 'Content-Type': 'text/csv' } });
			const how = { same: '与已导入的对账单相同，未作改动', replaced: '已替换原对账单' }[r.outcome] || '已导入';
			toast(`${r.date || dateIn.value} 对账单${how}：${r.lines} 笔交易`, 'ok');
			status.textContent = `${how}：${r.lines} 笔交易，合计 ${fenToYuan(r.amount_fen || 0)} 元。`;
			file.value = '';
			fileName.textContent = '未选择文件';
		} catch (e) {
			status.textContent = '导入失败：' + messageFor(e);
			return;
		} finally {
			upload.disabled = false;
			upload.textContent = '导入对账单';
		}
		go();
	});

	async function load(d) {
		replace(report, h('p', { class: 'loading', role: 'status' }, '正在加载对账结果…'));
		let r;
		try {
			r = await get(`/api/v1/payments/reconciliation?date=${d}`);
		} catch (e) {
			replace(report, h('div', { class: `banner ${e.status === 404 ? 'banner-info' : 'banner-error'}` }, messageFor(e)));
			return;
		}
		drawReport(r);
	}

	function drawReport(r) {
		const pu = r.paid_unrecorded || [], ru = r.recorded_unpaid || [], am = r.amount_mismatch || [];
		const uk = r.unknown_order || null;   // only for those who cover the whole region
		const st = r.statement || {};
		const tile = (label, n, cls, target) => h(target && n ? 'a' : 'div', { class: `recon-tile ${cls}`, href: target && n ? `#${target}` : null,
			onclick: target && n ? (e) => { e.preventDefault(); document.getElementById(target).scrollIntoView(); } : null },
			h('span', { class: 'recon-n' }, String(n)), h('span', {}, label));
		const settle = async (x, btn) => {
			const reason = h('textarea', { rows: '3', required: true, minlength: '2', maxlength: '200' });
			const ok = await confirmDialog(`按对账单确认缴费 · ${x.out_trade_no}`, h('div', { class: 'action-form' },
				h('p', {}, `支付平台对账单显示该订单已于当日支付 ${fenToYuan(x.amount_fen)} 元（交易号 ${x.transaction_id || '—'}），但本系统未收到支付通知。`),
				h('p', {}, '确认后订单记为已缴费，案件转入“已缴费”，并生成缴费凭证。此操作记入审计日志。'),
				field('确认理由（2–200 字）', reason)), '确认缴费', '取消');
			if (!ok) return;
			btn.disabled = true;
			try {
				await post('/api/v1/payments/reconciliation/settle', { out_trade_no: x.out_trade_no, reason: reason.value.trim() });
			} catch (e) {
				btn.disabled = false;
				toast('未能确认缴费：' + messageFor(e), 'error');
				return;
			}
			toast(`订单 ${x.out_trade_no} 已按对账单确认缴费`, 'ok');
			load(r.date);
		};
		const table = (id, title, explain, cols, rows, row) => h('section', { class: 'panel recon-list', id, 'aria-labelledby': id + '-title' },
			h('h2', { id: id + '-title', class: 'panel-title' }, title, h('span', { class: `count${rows.length ? ' count-hot' : ''}` }, String(rows.length))),
			h('p', { class: 'muted' }, explain),
			rows.length ? h('table', { class: 'grid' },
				h('thead', {}, h('tr', {}, cols.map((x) => h('th', { scope: 'col', class: /元/.test(x) ? 'num' : null }, x)))),
				h('tbody', {}, rows.map(row)))
				: h('p', { class: 'recon-none' }, '无'));
		replace(report,
			h('section', { class: 'panel recon-summary', 'aria-labelledby': 'recon-title' },
				h('h2', { id: 'recon-title', class: 'panel-title', tabindex: '-1' }, `${r.date} 对账结果`,
					h('span', { class: 'muted recon-provider' }, '支付平台：' + ({ wechat: '微信支付' }[r.provider] || r.provider || '—'))),
				st.lines !== undefined ? h('p', { class: 'muted recon-statement' },
					`对账单 ${st.lines} 笔，合计 ${fenToYuan(st.amount_fen || 0)} 元；${st.imported_by ? st.imported_by.name : ''} 于 ${fmtTime(st.imported_at)} 导入。`) : null,
				h('div', { class: 'recon-tiles' },
					tile('笔已核对一致', r.matched || 0, 'tile-ok'),
					tile('笔已付款未入账', pu.length, pu.length ? 'tile-bad' : 'tile-zero', 'recon-paid-unrecorded'),
					tile('笔已入账未付款', ru.length, ru.length ? 'tile-bad' : 'tile-zero', 'recon-recorded-unpaid'),
					tile('笔金额不符', am.length, am.length ? 'tile-bad' : 'tile-zero', 'recon-amount-mismatch')),
				pu.length + ru.length + am.length + (uk ? uk.length : 0) === 0
					? h('p', { class: 'banner banner-ok' }, '对账单与本系统记录完全一致。')
					: h('p', { class: 'banner banner-warn' }, '存在差异，请逐笔核实。')),
			table('recon-paid-unrecorded', '已付款未入账', '支付平台对账单有成交记录，本系统未收到支付通知。核实后可按对账单确认缴费。',
				['商户订单号', '支付交易号', '案件', '支付时间', '金额（元）', ''], pu, (x) => {
					let b = null;
					if (x.can_settle === false) {
						b = h('span', { class: 'muted small' }, '须由导入对账单以外的人员确认');
					} else {
						b = h('button', { type: 'button', class: 'btn btn-small btn-primary', 'aria-label': `按对账单确认缴费：${x.out_trade_no}` }, '按对账单确认缴费');
						b.addEventListener('click', () => settle(x, b));
					}
					return h('tr', {}, h('td', { class: 'mono' }, x.out_trade_no), h('td', { class: 'mono' }, x.transaction_id || ''),
						h('td', {}, caseLink(x)), h('td', {}, fmtTime(x.trade_time)), h('td', { class: 'num' }, fenToYuan(x.amount_fen)), h('td', {}, b));
				}),
			table('recon-recorded-unpaid', '已入账未付款', '本系统已记为缴费，对账单中没有该笔交易。请向支付平台核实。',
				['商户订单号', '支付交易号', '案件', '金额（元）', '入账时间'], ru, (x) => h('tr', {},
					h('td', { class: 'mono' }, x.out_trade_no), h('td', { class: 'mono' }, x.transaction_id || ''),
					h('td', {}, caseLink(x)), h('td', { class: 'num' }, fenToYuan(x.amount_fen ?? x.recorded_fen)), h('td', {}, fmtTime(x.paid_at)))),
			table('recon-amount-mismatch', '金额不符', '本系统记录的金额与对账单不一致。',
				['商户订单号', '支付交易号', '案件', '本系统（元）', '对账单（元）'], am, (x) => h('tr', {},
					h('td', { class: 'mono' }, x.out_trade_no), h('td', { class: 'mono' }, x.transaction_id || ''),
					h('td', {}, caseLink(x)), h('td', { class: 'num' }, fenToYuan(x.recorded_fen)),
					h('td', { class: 'num recon-diff' }, fenToYuan(x.statement_fen)))),
			uk ? table('recon-unknown-order', '本系统无此订单', '对账单中的订单号在本系统中不存在，请向支付平台核实。',
				['商户订单号', '支付交易号', '支付时间', '金额（元）'], uk, (x) => h('tr', {},
					h('td', { class: 'mono' }, x.out_trade_no), h('td', { class: 'mono' }, x.transaction_id || ''),
					h('td', {}, fmtTime(x.trade_time)), h('td', { class: 'num' }, fenToYuan(x.amount_fen)))) : null);
	}

	replace(main,
		h('div', { class: 'page-head' }, h('h1', { tabindex: '-1' }, '支付对账')),
		form, report);
	if (q.get('date')) load(date);
	else replace(report, h('p', { class: 'muted recon-hint' }, '选择日期后点击“查看对账结果”，或先导入该日的对账单。'));
}
