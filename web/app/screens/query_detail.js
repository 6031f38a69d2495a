// 查询结果 (#/queries/{id}): one archive query — who asked, why, for what;
// its state (待审批 plainly, with a way to look again; 已驳回 with the
// reason); the result as the requester's kind may see it (full, register,
// or facts only; 未查询到登记记录); for a holder, who has queried their
// units in the last 12 months; the signed certificate to download and the
// page to print (the watermark prints with it).

import { h, replace, fmtTime, toast, loading } from '../ui.js';
import { get, api } from '../api.js';
import { messageFor } from '../errors.js';
import {
	kindName, VISIBILITY, queryStateBadge, conditionText, unitResult, asAtText, ID_TYPES,
} from '../query_common.js';
import { facts } from '../case_common.js';

export async function render(main, [id]) {
	loading(main);
	const q = await get(`/api/v1/queries/${id}`);
	const r = q.requester || {};
	const res = q.result || null;
	// a query without a past time is answered as at its creation
	const historical = !!q.as_at && Date.parse(q.created_at) - Date.parse(q.as_at) > 60000;

	const download = h('button', { type: 'button', class: 'btn btn-primary', id: 'download-cert', onclick: () => downloadCertificate(q, download) }, '下载查询结果证明');
	const tools = h('div', { class: 'receipt-tools query-tools no-print' },
		h('a', { href: '#/queries', class: 'btn' }, '返回我的查询'),
		q.state === 'pending_approval' ? h('button', { type: 'button', class: 'btn', onclick: () => render(main, [id]) }, '刷新状态') : null,
		q.state === 'completed' ? [download, h('button', { type: 'button', class: 'btn', onclick: () => window.print() }, '打印')] : null);

	const banner = q.state === 'pending_approval'
		? h('div', { class: 'banner banner-warn state-banner', role: 'status' },
			h('strong', {}, '待审批'),
			h('span', {}, '该查询涉及白名单人员，须由不动产所在地的属地管理员审批。审批通过后即可查看结果、下载查询结果证明；在此之前不显示任何登记信息。'))
		: q.state === 'rejected'
			? h('div', { class: 'banner banner-error state-banner', role: 'status' },
				h('strong', {}, '已驳回'), h('span', {}, '审批未通过，不出具查询结果。', q.reject_reason ? '驳回理由：' + q.reject_reason : ''))
			: null;

	const who = [
		['申请人类型', kindName(r.kind)],
		['申请人', r.name],
		['证件', r.id_number_masked ? `${ID_TYPES[r.id_type] || r.id_type || ''} ${r.id_number_masked}` : null],
		['文书编号', r.reference],
		['查询目的', q.purpose],
		['查询条件', conditionText(q.conditions)],
		['查询时点', historical ? fmtTime(q.as_at) + '（历史时点）' : '提交时的登记簿'],
		['受理机构', q.agency ? q.agency.name : null],
		['提交时间', fmtTime(q.created_at)],
		[q.state === 'rejected' ? '驳回时间' : '审批时间', q.decided_at ? fmtTime(q.decided_at) : null],
	];

	const body = [
		h('header', { class: 'receipt-head query-head' },
			h('p', { class: 'receipt-org' }, '广西壮族自治区不动产登记全区通办'),
			h('h1', { id: 'query-title', tabindex: '-1' }, '不动产登记资料查询结果'),
			h('p', { class: 'receipt-no' }, '查询编号：', h('strong', { class: 'mono', id: 'query-serial' }, q.serial || String(q.id)), ' ', queryStateBadge(q.state))),
		banner,
		h('section', { class: 'query-facts', 'aria-label': '查询申请' }, facts(who, 'facts facts-wide')),
	];

	if (q.state === 'completed' && res) {
		body.push(h('section', { class: 'query-result', 'aria-labelledby': 'result-title' },
			h('div', { class: 'results-head' },
				h('h2', { id: 'result-title' }, res.units && res.units.length ? `查询结果（${res.units.length} 个不动产单元）` : '查询结果'),
				h('span', { class: 'muted' }, '查询范围：', VISIBILITY[res.visibility] || res.visibility, ' · 登记簿时点：', asAtText(res.as_at, historical))),
			res.units && res.units.length
				? res.units.map((u) => unitResult(u, res.visibility))
				: h('p', { class: 'none-found', id: 'none-found' }, '未查询到登记记录')));
		if (r.kind === 'holder') body.push(queriedBy(res.queried_by || []));
		body.push(h('p', { class: 'page-warning' }, '本查询结果仅供申请人按所述查询目的使用，不得泄露或用于其他用途。以不动产登记簿记载为准。'));
	}

	replace(main, tools, h('article', { class: 'receipt query-sheet', 'aria-labelledby': 'query-title' }, body));
	main.querySelector('#query-title').focus();
}

// Who has queried the holder's units (last 12 months): other agencies'
// queries, with requester kind, purpose, date — never names.
function queriedBy(list) {
	return h('section', { class: 'queried-by', 'aria-labelledby': 'qb-title' },
		h('h2', { id: 'qb-title' }, '查询记录：近 12 个月谁查询过上述不动产'),
		list.length ? h('table', { class: 'grid' },
			h('thead', {}, h('tr', {}, ['日期', '查询机构', '申请人类型', '查询目的'].map((t) => h('th', { scope: 'col' }, t)))),
			h('tbody', {}, list.map((x) => h('tr', {},
				h('td', { class: 'nowrap' }, String(x.date || '').slice(0, 10)), h('td', {}, x.agency ? x.agency.name : ''),
				h('td', {}, kindName(x.requester_kind)), h('td', {}, x.purpose || ''))))) :
			h('p', { class: 'muted' }, '近 12 个月没有其他查询记录。'));
}

// The certificate is generated (and signed) at its first download: it may
// take a moment. Fetched as a blob so a refusal is shown in words.
async function downloadCertificate(q, btn) {
	btn.disabled = true;
	const text = btn.textContent;
	btn.textContent = '正在生成证明…';
	try {
		const res = await api('GET', `/api/v1/queries/${q.id}/certificate.pdf`, undefined, { raw: true, headers: { Accept: 'application/pdf, application/problem+json' } });
		const blob = await res.blob();
		const url = URL.createObjectURL(blob);
		const a = h('a', { href: url, download: `查询结果证明-${q.serial || q.id}.pdf`, class: 'sr-only' }, '下载');
		document.body.appendChild(a);
		a.click();
		a.remove();
		setTimeout(() => URL.revokeObjectURL(url), 60000);
		toast('查询结果证明已下载。', 'ok');
	} catch (e) {
		toast(messageFor(e), 'error');
	} finally {
		btn.disabled = false;
		btn.textContent = text;
	}
}
