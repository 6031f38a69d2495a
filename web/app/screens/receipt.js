// 受理回执 (#/cases/{id}/receipt): the printable acceptance receipt the
// window hands the applicant — what was received, when it is promised,
// and how to follow it (the applicant page and its QR code). Laid out for
// A4 in print (cases.css @media print).

import { h, replace, fmtTime, fmtDate } from '../ui.js';
import { get } from '../api.js';
import { ROLES, docName } from '../case_common.js';

export async function render(main, [id]) {
	const r = await get(`/api/v1/cases/${id}/receipt`);
	const applicants = r.applicants.map((a) => `${a.name}（${ROLES[a.role] || a.role}）`).join('、');
	const row = (k, v) => h('tr', {}, h('th', { scope: 'row' }, k), h('td', {}, v));
	replace(main,
		h('div', { class: 'receipt-tools no-print' },
			h('a', { href: `#/cases/${id}`, class: 'btn' }, '返回案件'),
			h('button', { type: 'button', class: 'btn btn-primary', onclick: () => window.print() }, '打印回执')),
		h('article', { class: 'receipt', 'aria-labelledby': 'receipt-title' },
			h('header', { class: 'receipt-head' },
				h('p', { class: 'receipt-org' }, '广西壮族自治区不动产登记全区通办'),
				h('h1', { id: 'receipt-title' }, '不动产登记受理回执'),
				h('p', { class: 'receipt-no' }, '案件编号：', h('strong', { class: 'mono' }, r.number))),
			h('table', { class: 'receipt-table' }, h('tbody', {},
				row('业务类型', r.business_type_name || r.business_type),
				row('不动产单元号', h('span', { class: 'mono' }, r.unit_code)),
				row('坐落', r.unit_location),
				row('申请人', applicants),
				row('受理时间', fmtTime(r.received_at)),
				row('承诺办结日期', fmtDate(r.promised_date)),
				row('受理机构', r.receiving_agency.name),
				row('属地登记机构', r.deciding_agency.name))),
			h('h2', {}, '已收取的申请材料'),
			h('table', { class: 'receipt-docs' },
				h('thead', {}, h('tr', {}, ['序号', '材料名称', '文件'].map((x) => h('th', { scope: 'col' }, x)))),
				h('tbody', {}, r.documents.map((d, i) => h('tr', {}, h('td', {}, String(i + 1)),
					h('td', {}, d.document_name || docName(d.document_type)), h('td', {}, d.filename))))),
			h('section', { class: 'receipt-follow' },
				h('div', {},
					h('h2', {}, '如何查询办理进度'),
					h('p', {}, '用手机扫描右侧二维码，或在浏览器中打开以下网址，输入案件编号和申请人证件号码后六位，即可查询办理进度、补正要求和承诺办结日期：'),
					h('p', { class: 'mono receipt-url' }, r.progress_url),
					h('p', {}, '案件由属地登记机构审核、登簿，登记证明可邮寄送达或在受理窗口领取。请妥善保管本回执。')),
				h('figure', {}, h('img', { src: r.qr_url, alt: `查询案件 ${r.number} 办理进度的二维码`, width: '132', height: '132' }),
					h('figcaption', {}, '扫码查询进度'))),
			h('footer', { class: 'receipt-foot' },
				h('div', {}, '受理机构（盖章）：', h('span', { class: 'sign' }, r.receiving_agency.name)),
				h('div', {}, '受理人员签字：', h('span', { class: 'sign blank' })),
				h('div', {}, '申请人签收：', h('span', { class: 'sign blank' })))));
	main.querySelector('h1').setAttribute('tabindex', '-1');
}
