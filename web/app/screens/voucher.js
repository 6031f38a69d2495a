// 缴费凭证 (#/cases/{id}/voucher): the printable payment voucher written
// when the provider's notification (or the statement) settled the order —
// its number, the merchant order number, the provider's transaction id,
// the amount (also in Chinese capitals, as on a paper voucher), the time,
// the case and its fee items. Either agency of the case may open it
// (GET /api/v1/cases/{id}/voucher). Prints on one A5 page (cases.css).

import { h, replace, fmtTime, fenToYuan, loading } from '../ui.js';
import { get } from '../api.js';
import { PROVIDERS, FEE_CODES } from '../case_pay.js';

const DIGITS = '零壹贰叁肆伍陆柒捌玖';
const SMALL = ['', '拾', '佰', '仟'];
const BIG = ['', '万', '亿', '万亿'];

// Integer fen → 人民币大写 as on a paper voucher: 8000 → 捌拾元整,
// 100105 → 壹仟零壹元零伍分. Exact (BigInt, no floating point).
export function capitals(fen) {
	let n = BigInt(fen);
	if (n < 0n) return '负' + capitals(-n);
	const jiao = Number(n % 100n / 10n), fenD = Number(n % 10n);
	let yuan = n / 100n;
	let out = '';
	if (yuan > 0n) {
		const groups = [];
		while (yuan > 0n) { groups.push(Number(yuan % 10000n)); yuan /= 10000n; }
		let zero = false;
		for (let g = groups.length - 1; g >= 0; g--) {
			const v = groups[g];
			if (v === 0) { zero = out !== ''; continue; }
			if (zero || (out !== '' && v < 1000)) out += '零';
			zero = false;
			let part = '', pz = false;
			for (let i = 3; i >= 0; i--) {
				const d = Math.floor(v / 10 ** i) % 10;
				if (d === 0) { pz = part !== ''; continue; }
				if (pz) part += '零';
				pz = false;
				part += DIGITS[d] + SMALL[i];
			}
			out += part + BIG[g];
		}
		out += '元';
	}
	if (jiao === 0 && fenD === 0) return (out || '零元') + '整';
	if (jiao) out += DIGITS[jiao] + '角';
	else if (out) out += '零';
	if (fenD) out += DIGITS[fenD] + '分';
	else out += '整';
	return out;
}

export async function render(main, [id]) {
	loading(main);
	// the case for the deciding agency's name (who received the money)
	const [v, full] = await Promise.all([get(`/api/v1/cases/${id}/voucher`), get(`/api/v1/cases/${id}`).catch(() => null)]);
	const c = v.case || {};
	document.body.classList.add('print-a5');
	window.addEventListener('hashchange', () => document.body.classList.remove('print-a5'), { once: true });
	const items = (v.items || []).filter((it) => !it.waived);
	const row = (k, val) => h('tr', {}, h('th', { scope: 'row' }, k), h('td', {}, val));
	replace(main,
		h('div', { class: 'receipt-tools no-print' },
			h('a', { href: `#/cases/${id}`, class: 'btn' }, '返回案件'),
			h('button', { type: 'button', class: 'btn btn-primary', onclick: () => window.print() }, '打印凭证')),
		h('article', { class: 'receipt voucher', 'aria-labelledby': 'voucher-title' },
			h('header', { class: 'receipt-head' },
				h('p', { class: 'receipt-org' }, '广西壮族自治区不动产登记全区通办'),
				h('h1', { id: 'voucher-title', tabindex: '-1' }, '不动产登记缴费凭证'),
				h('p', { class: 'receipt-no' }, '凭证编号：', h('strong', { class: 'mono', id: 'voucher-number' }, v.number))),
			h('table', { class: 'receipt-table' }, h('tbody', {},
				row('案件编号', h('span', { class: 'mono' }, c.number)),
				row('业务类型', c.type_name || c.business_type),
				row('不动产单元号', h('span', { class: 'mono' }, c.unit_code)),
				v.payer ? row('缴款人', v.payer) : null,
				row('支付方式', PROVIDERS[v.provider] || v.provider),
				row('商户订单号', h('span', { class: 'mono', id: 'voucher-order' }, v.out_trade_no)),
				row('支付交易号', h('span', { class: 'mono' }, v.transaction_id)),
				row('支付时间', fmtTime(v.paid_at)))),
			h('h2', {}, '收费项目'),
			h('table', { class: 'receipt-docs voucher-items' },
				h('thead', {}, h('tr', {}, ['序号', '项目', '收费依据', '数量', '金额（元）'].map((x) => h('th', { scope: 'col' }, x)))),
				h('tbody', {}, items.map((it, i) => h('tr', {},
					h('td', {}, String(i + 1)),
					h('td', {}, it.description || FEE_CODES[it.code] || it.code),
					h('td', {}, it.basis || ''),
					h('td', { class: 'num' }, String(it.quantity)),
					h('td', { class: 'num' }, fenToYuan(it.amount_fen ?? it.quantity * it.unit_price_fen))))),
				h('tfoot', {}, h('tr', {},
					h('th', { scope: 'row', colspan: '2' }, '合计'),
					h('td', { colspan: '2' }, '人民币（大写）', h('strong', {}, capitals(v.amount_fen))),
					h('td', { class: 'num' }, h('strong', { id: 'voucher-amount' }, fenToYuan(v.amount_fen)))))),
			h('p', { class: 'voucher-note' }, '本凭证由系统根据支付平台的支付结果通知自动生成，已推送属地登记机构，可凭案件编号核验。'),
			h('footer', { class: 'receipt-foot voucher-foot' },
				h('div', {}, '收款单位：', h('span', { class: 'sign' }, full ? full.deciding_agency.name : '属地不动产登记机构')),
				h('div', {}, '打印时间：', h('span', { class: 'sign' }, fmtTime(new Date().toISOString()))))));
	main.querySelector('h1').focus();
}
