// 统计分析 (#/admin/stats?division=&from=YYYY-MM&to=YYYY-MM): the reports of
// GET /api/v1/stats/{report} for a division within the user's stats.read
// scopes and a range of months — the key figures of the period on top, then
// per report a chart (our own SVG, charts.js), the same figures as a table
// under it and 导出CSV (the API's format=csv, a plain download link). Every
// report answers the same envelope {columns[{key,label,type}], rows,
// totals}: the table is drawn from the columns alone; a chart picks its
// columns by key and type, and is left out when a report lacks them.

import { h, replace, fenToYuan } from '../ui.js';
import { get } from '../api.js';
import { messageFor } from '../errors.js';
import { query, navigate } from '../router.js';
import { me } from '../session.js';
import { adminFrame } from '../admin_nav.js';
import { barChart, hbarChart, lineChart } from '../charts.js';

const MAX_MONTHS = 36;
const TOP_AGENCIES = 15;
const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;

// the current month in Beijing, and months around it
function thisMonth() { return new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 7); }
function addMonths(ym, k) {
	const [y, m] = ym.split('-').map(Number);
	const t = y * 12 + (m - 1) + k;
	return `${Math.floor(t / 12)}-${String((t % 12) + 1).padStart(2, '0')}`;
}
function monthsBetween(a, b) {
	const [y1, m1] = a.split('-').map(Number), [y2, m2] = b.split('-').map(Number);
	return (y2 - y1) * 12 + (m2 - m1) + 1;
}
const monthText = (ym) => `${ym.slice(0, 4)}年${Number(ym.slice(5))}月`;

// A value as the column's type says (integers only: fen, basis points,
// whole working days).
export function fmtValue(type, v) {
	if (v === null || v === undefined || v === '') return '—';
	switch (type) {
	case 'int': return Number(v).toLocaleString('zh-CN');
	case 'fen': return fenToYuan(v);
	case 'bp': return (Number(v) / 100).toFixed(2) + '%';
	case 'days': return String(v);
	default: return String(v);
	}
}
const unit = { fen: '元', days: '工作日', bp: '', int: '' };

// A column of the envelope by key: the first whose key matches one of the
// patterns (in order) and, when given, whose type is one of `types`.
function col(env, patterns, types) {
	const cs = env.columns || [];
	for (const p of patterns) {
		const c = cs.find((x) => p.test(x.key) && (!types || types.includes(x.type)));
		if (c) return c;
	}
	return null;
}
const textCol = (env, ...p) => col(env, [...p, /./], ['text']);
// null stays null: a bar reads it as 0, a line leaves a gap (a share of nothing)
const values = (env, c) => (env.rows || []).map((r) => (r[c.key] === null || r[c.key] === undefined ? null : Number(r[c.key])));
const labelsOf = (env, c) => (env.rows || []).map((r) => String(r[c.key] ?? ''));
const pct = (bp) => `${(bp / 100).toFixed(bp % 100 === 0 ? 0 : 1)}%`;
const yuan = (fen) => {
	const y = fen / 100;
	return y >= 10000 ? `${(y / 10000).toLocaleString('zh-CN', { maximumFractionDigits: 1 })}万` : y.toLocaleString('zh-CN', { maximumFractionDigits: 0 });
};
const CHANNELS = { cash: '现金', pos: 'POS 机', wechat: '微信支付' };

// The reports under the key figures, in screen order; chart(env, width)
// returns an SVG or null.
const REPORTS = [
	{ slug: 'by-month', title: '按月受理与跨域占比', note: '每月首次受理的案件数（柱）与其中跨辖区受理（受理地与审核地不同）所占比例（折线，右轴）。',
		chart(env, width) {
			const cat = textCol(env, /month/);
			const bar = col(env, [/^received$/, /received/, /count|cases|total/], ['int']);
			const line = col(env, [/cross.*(share|rate|bp)/, /cross/, /share/], ['bp']);
			if (!cat || !bar) return null;
			const series = [{ name: bar.label, values: values(env, bar), color: 0 }];
			if (line) series.push({ name: line.label, values: values(env, line), type: 'line', color: 2 });
			return barChart({ title: '按月受理量与跨域受理占比', desc: `${env.division_name}，${monthText(env.from)}至${monthText(env.to)}，每月一根柱`,
				labels: labelsOf(env, cat), series, width, height: 300, lineFormat: pct, valueLabels: true });
		} },
	{ slug: 'by-type', title: '按业务类型', note: '各类登记业务的受理量。',
		chart(env, width) {
			const cat = textCol(env, /name/, /type/);
			const bar = col(env, [/^received$/, /received/, /count|cases|total/], ['int']);
			if (!cat || !bar || !(env.rows || []).length) return null;
			return hbarChart({ title: '按业务类型的受理量', desc: `${env.division_name}，${monthText(env.from)}至${monthText(env.to)}`,
				labels: labelsOf(env, cat), series: [{ name: bar.label, values: values(env, bar), color: 0 }], width });
		} },
	{ slug: 'by-agency', title: '按登记机构', note: '各机构作为受理机构和审核机构的办件量，以及跨辖区受理所占比例（图中为占比最高的 15 个机构，表中为全部机构）。',
		chart(env, width) {
			const cat = textCol(env, /agency_name|name/, /agency/);
			const share = col(env, [/cross.*(share|rate|bp)/, /cross/, /share/], ['bp']);
			if (!cat || !share || !(env.rows || []).length) return null;
			// a region has a hundred agencies: the chart shows the 15 with the
			// highest share, the table under it all of them
			const top = [...env.rows].filter((r) => r[share.key] !== null && r[share.key] !== undefined)
				.sort((a, b) => b[share.key] - a[share.key]).slice(0, TOP_AGENCIES);
			if (!top.length) return null;
			const part = top.length < env.rows.length;
			return hbarChart({ title: part ? `跨域受理占比最高的 ${top.length} 个机构` : '各机构跨域受理占比',
				desc: `${env.division_name}，${monthText(env.from)}至${monthText(env.to)}${part ? `；共 ${env.rows.length} 个机构，全部见下表` : ''}`,
				labels: top.map((r) => String(r[cat.key] ?? '')), series: [{ name: share.label, values: top.map((r) => Number(r[share.key])), color: 1 }], width, format: pct });
		} },
	{ slug: 'cross-trend', title: '跨域受理占比趋势', note: '每月跨辖区受理所占比例；可选择单个机构查看。', agencyPicker: true,
		chart(env, width) {
			const cat = textCol(env, /month/);
			const share = col(env, [/cross.*(share|rate|bp)/, /cross/, /share/], ['bp']);
			if (!cat || !share) return null;
			return lineChart({ title: '跨域受理占比趋势', desc: `${env.agency_name || env.division_name}，按月`,
				labels: labelsOf(env, cat), series: [{ name: share.label, values: values(env, share), color: 1 }], width, height: 260, format: pct });
		} },
	{ slug: 'processing', title: '办理时长', note: '自首次受理至作出登记决定（登簿或不予登记）的工作日数：中位数与第 90 百分位，对照承诺时限。',
		chart(env, width) {
			const cat = textCol(env, /name/, /type/);
			const days = [[/promised/, 3, 'mark'], [/median/, 0], [/p90|90/, 2]]
				.map(([p, color, type]) => [col(env, [p], ['days', 'int']), color, type]).filter(([c]) => c);
			if (!cat || !days.length || !(env.rows || []).length) return null;
			return hbarChart({ title: '办理时长与承诺时限（工作日）', desc: `${env.division_name}，按业务类型`,
				labels: labelsOf(env, cat), series: days.map(([c, color, type]) => ({ name: c.label.replace(/（工作日）$/, ''), values: values(env, c), color, type })), width,
				format: (v) => String(v) });
		} },
	{ slug: 'overdue', title: '超期情况', note: '每月超过到期日才作出决定的案件，以及目前在办且已过到期日的案件。',
		chart(env, width) {
			const cat = textCol(env, /month/);
			const late = col(env, [/^late$/, /late|overdue/], ['int']);
			const decided = col(env, [/^decided$/], ['int']);
			const rate = col(env, [/late.*bp/, /late/], ['bp']);
			if (!cat || !late) return null;
			const series = [];
			if (decided) series.push({ name: decided.label, values: values(env, decided), color: 4 });
			series.push({ name: late.label, values: values(env, late), color: 3 });
			if (rate) series.push({ name: rate.label, values: values(env, rate), type: 'line', color: 2 });
			return barChart({ title: '按月办结数与超期办结数', desc: `${env.division_name}，按月；超期率为右轴`, labels: labelsOf(env, cat),
				series, width, height: 260, lineFormat: pct, valueLabels: true });
		} },
	{ slug: 'fees', title: '收费', note: '按月、按缴费渠道（现金、POS 机、微信支付）的实收金额（元）。',
		chart(env, width) {
			const cat = textCol(env, /month/);
			const channel = col(env, [/channel/], ['text']);
			const amount = col(env, [/collected/, /paid/, /charged/], ['fen']);
			if (!cat || !amount) return null;
			const rows = env.rows || [];
			let labels, series;
			if (channel) {   // one row per month and channel
				labels = [...new Set(rows.map((r) => r[cat.key]))];
				const chans = [...new Set(rows.map((r) => r[channel.key]))];
				series = chans.map((ch, j) => ({ name: CHANNELS[ch] || ch, color: j,
					values: labels.map((m) => rows.filter((r) => r[cat.key] === m && r[channel.key] === ch).reduce((s, r) => s + Number(r[amount.key] || 0), 0)) }));
			} else {   // one row per month, a column per channel
				labels = rows.map((r) => r[cat.key]);
				const per = (env.columns || []).filter((c) => c.type === 'fen' && /^(cash|pos|wechat)/.test(c.key));
				series = per.map((c, j) => ({ name: c.label.replace(/（元）$/, ''), values: values(env, c), color: j }));
				if (!series.length) series = [{ name: amount.label, values: values(env, amount), color: 0 }];
			}
			return barChart({ title: '按月、按渠道的实收金额', desc: `${env.division_name}，单位：元`, labels: labels.map(String), series,
				stacked: true, width, height: 300, format: yuan, valueLabels: true });
		} },
	{ slug: 'queries', title: '查档', note: '按查询人类别的查档申请、审批结果和出具的查询结果证明。',
		chart(env, width) {
			const cat = textCol(env, /kind_name|name|label/, /kind/);
			const made = col(env, [/made|total|count|queries/], ['int']);
			if (!cat || !made || !(env.rows || []).length) return null;
			return hbarChart({ title: '按查询人类别的查档量', desc: env.division_name, labels: labelsOf(env, cat),
				series: [{ name: made.label, values: values(env, made), color: 1 }], width });
		} },
];

function table(env, id, title) {
	const cols = env.columns || [];
	const rows = env.rows || [];
	const num = (c) => c.type !== 'text';
	const head = (c) => (unit[c.type] && !c.label.includes(unit[c.type]) ? `${c.label}（${unit[c.type]}）` : c.label);
	const cell = (c, r) => h('td', { class: num(c) ? 'num' : null }, fmtValue(c.type, r[c.key]));
	// the box scrolls (long tables): focusable, so the keyboard scrolls it too
	return h('div', { class: rows.length > 14 ? 'stats-table-wrap stats-table-long' : 'stats-table-wrap', tabindex: '0', role: 'region', 'aria-label': `${title}：数据表` }, h('table', { class: 'grid stats-table', id },
		h('thead', {}, h('tr', {}, cols.map((c) => h('th', { scope: 'col', class: num(c) ? 'num' : null }, head(c))))),
		h('tbody', {}, rows.length ? rows.map((r) => h('tr', {}, cols.map((c) => cell(c, r))))
			: h('tr', {}, h('td', { colspan: String(cols.length || 1), class: 'empty' }, '本期无数据'))),
		env.totals ? h('tfoot', {}, h('tr', {}, cols.map((c, i) => (i === 0 && c.type === 'text'
			? h('th', { scope: 'row' }, '合计')
			: h('td', { class: num(c) ? 'num' : null }, c.key in env.totals ? fmtValue(c.type, env.totals[c.key]) : ''))))) : null));
}

export async function render(main) {
	const view = adminFrame(main, '#/admin/stats');
	const q = query();
	const now = thisMonth();
	const scopes = [...new Set((me.permissions || []).filter((p) => p.permission === 'stats.read').map((p) => p.scope))].sort();
	// the widest scope first: the API's default
	scopes.sort((a, b) => (a.match(/0+$/) || [''])[0].length < (b.match(/0+$/) || [''])[0].length ? 1 : -1);
	const covered = (d) => scopes.some((s) => d.startsWith(s.replace(/(00)+$/, '')));
	if (!scopes.length) {
		replace(view, h('div', { class: 'page-head' }, h('h1', { tabindex: '-1' }, '统计分析')),
			h('p', { class: 'banner banner-error', id: 'stats-denied', role: 'alert' }, '您没有统计分析的权限（统计查阅）。如工作需要，请向系统管理员申请。'));
		return;
	}
	let division = /^\d{6}$/.test(q.get('division') || '') && covered(q.get('division')) ? q.get('division') : scopes[0];
	let to = MONTH.test(q.get('to') || '') && q.get('to') <= now ? q.get('to') : now;
	let from = MONTH.test(q.get('from') || '') && q.get('from') <= to ? q.get('from') : addMonths(to, -11);
	if (monthsBetween(from, to) > MAX_MONTHS) from = addMonths(to, -(MAX_MONTHS - 1));

	// ---- the picker: the user's scopes, the cities under a region scope,
	// and the counties of the chosen city ----
	const names = new Map();
	const kids = async (code) => {
		const r = await get(`/api/v1/divisions?parent=${code}`);
		for (const d of r.items || []) names.set(d.code, d.name);
		return r.items || [];
	};
	const nameOf = async (code) => {
		if (!names.has(code)) { try { names.set(code, (await get(`/api/v1/divisions/${code}`)).name); } catch { names.set(code, code); } }
		return names.get(code);
	};
	const area = h('select', { id: 'stats-area' });
	const county = h('select', { id: 'stats-county' });
	const opts = [];
	for (const s of scopes) {
		opts.push(h('option', { value: s }, await nameOf(s)));
		if (/0000$/.test(s)) {
			const cities = await kids(s).catch(() => []);
			if (cities.length) opts.push(h('optgroup', { label: '地级市' }, cities.map((c) => h('option', { value: c.code }, c.name))));
		}
	}
	replace(area, opts);
	// the area holding the division: itself, or the city above a county
	const cityOf = (d) => (/00$/.test(d) ? d : d.slice(0, 4) + '00');
	area.value = [...area.options].some((o) => o.value === division) ? division : cityOf(division);
	if (!area.value) area.value = scopes[0];
	const fillCounties = async (pick) => {
		const a = area.value;
		const list = /00$/.test(a) && !/0000$/.test(a) ? await kids(a).catch(() => []) : [];
		replace(county, h('option', { value: a }, list.length ? '全市' : '—'), list.map((k) => h('option', { value: k.code }, k.name)));
		county.disabled = !list.length;
		county.value = pick && list.some((k) => k.code === pick) ? pick : a;
	};
	area.addEventListener('change', () => fillCounties());
	await fillCounties(division);

	const monthOpts = (sel) => {
		const out = [];
		for (let k = 0; k < MAX_MONTHS + 12; k++) {
			const m = addMonths(now, -k);
			out.push(h('option', { value: m, selected: m === sel }, monthText(m)));
		}
		return out;
	};
	const fromSel = h('select', { id: 'stats-from' }, monthOpts(from));
	const toSel = h('select', { id: 'stats-to' }, monthOpts(to));
	const status = h('div', { class: 'form-status', role: 'alert' });
	const lab = (id, text, el) => h('div', { class: 'field' }, h('label', { for: id }, text), el);
	const form = h('form', { class: 'panel stats-filters', 'aria-label': '统计范围与期间' },
		status,
		h('div', { class: 'stats-filter-row' },
			lab('stats-area', '统计范围', area), lab('stats-county', '县（市、区）', county),
			lab('stats-from', '起始月份', fromSel), lab('stats-to', '截止月份', toSel),
			h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn btn-primary', id: 'stats-go' }, '统计'))));
	form.addEventListener('submit', (ev) => {
		ev.preventDefault();
		replace(status);
		const d = county.disabled ? area.value : county.value;
		if (fromSel.value > toSel.value) { status.textContent = '起始月份不能晚于截止月份。'; fromSel.focus(); return; }
		if (monthsBetween(fromSel.value, toSel.value) > MAX_MONTHS) { status.textContent = `统计期间最长 ${MAX_MONTHS} 个月。`; fromSel.focus(); return; }
		navigate(`#/admin/stats?division=${d}&from=${fromSel.value}&to=${toSel.value}`);
	});

	const params = (extra = {}) => new URLSearchParams({ division, from, to, ...extra }).toString();
	const csvHref = (slug, extra) => `/api/v1/stats/${slug}?${params({ ...extra, format: 'csv' })}`;
	const figures = h('section', { class: 'panel stats-overview', id: 'stats-overview', 'aria-labelledby': 'stats-overview-title' },
		h('p', { class: 'loading', role: 'status' }, '正在统计…'));
	const sections = REPORTS.map((rep) => h('section', { class: 'panel stats-report', id: `stats-${rep.slug}`, 'aria-labelledby': `stats-${rep.slug}-title` },
		h('h2', { class: 'panel-title', id: `stats-${rep.slug}-title` }, rep.title),
		h('p', { class: 'loading', role: 'status' }, '正在统计…')));
	replace(view,
		h('div', { class: 'page-head' },
			h('div', {}, h('h1', { tabindex: '-1' }, '统计分析'),
				h('p', { class: 'muted page-sub', id: 'stats-period' }, `${await nameOf(division)} · ${monthText(from)}至${monthText(to)}`))),
		form, figures, h('div', { class: 'stats-reports' }, sections));

	const csvLink = (slug, title, extra) => h('a', { class: 'btn btn-small stats-csv', href: csvHref(slug, extra), download: '',
		'aria-label': `导出CSV：${title}`, dataset: { report: slug } }, '导出CSV');
	const failed = (box, title, e) => replace(box, h('h2', { class: 'panel-title' }, title),
		h('div', { class: 'banner banner-error' }, '无法统计：' + messageFor(e)));

	// the key figures: the overview's one row (or its totals) as tiles
	(async () => {
		let env;
		try { env = await get(`/api/v1/stats/overview?${params()}`); } catch (e) { failed(figures, '主要指标', e); return; }
		const row = (env.rows && env.rows[0]) || env.totals || {};
		const tiles = (env.columns || []).filter((c) => c.type !== 'text').map((c) => h('div', { class: `stats-tile stats-tile-${c.type}`, dataset: { key: c.key } },
			h('span', { class: 'stats-tile-value' }, fmtValue(c.type, row[c.key]), c.type === 'days' && row[c.key] !== null && row[c.key] !== undefined ? h('small', {}, '工作日') : null),
			h('span', { class: 'stats-tile-label' }, c.type === 'days' ? c.label.replace(/（工作日）$/, '') : c.label)));
		replace(figures,
			h('div', { class: 'panel-head' },
				h('h2', { class: 'panel-title', id: 'stats-overview-title' }, '主要指标', h('span', { class: 'muted small' }, `${env.division_name || ''} · ${monthText(env.from || from)}至${monthText(env.to || to)}`)),
				csvLink('overview', '主要指标')),
			h('div', { class: 'stats-tiles' }, tiles),
			h('p', { class: 'muted small stats-generated' }, `统计时间：${String(env.generated_at || '').replace('T', ' ').slice(0, 19)}；金额单位：元；时长以工作日计。`));
	})();

	const drawReport = async (rep, box, extra = {}) => {
		let env;
		try {
			env = await get(`/api/v1/stats/${rep.slug}?${params(extra)}`);
		} catch (e) { failed(box, rep.title, e); return; }
		const width = Math.max(320, (box.clientWidth || 900) - 34);
		let svg = null;
		try { svg = (env.rows || []).length ? rep.chart(env, width) : null; } catch (e) { console.warn(rep.slug, e); svg = null; }
		const head = h('div', { class: 'panel-head' },
			h('h2', { class: 'panel-title', id: `stats-${rep.slug}-title` }, rep.title),
			h('div', { class: 'stats-tools' }, rep.agencyPicker ? await agencyPicker(rep, box, extra.agency) : null, csvLink(rep.slug, rep.title, extra)));
		replace(box, head, h('p', { class: 'muted small' }, rep.note),
			svg ? h('figure', { class: 'stats-chart' }, svg) : null,
			table(env, `stats-table-${rep.slug}`, rep.title));
	};

	// cross-trend of one agency: the agencies of the division's by-agency rows
	let agencies = null;
	async function agencyPicker(rep, box, chosen) {
		if (agencies === null) {
			try {
				const env = await get(`/api/v1/stats/by-agency?${params()}`);
				const code = col(env, [/agency$/, /agency_code/, /code/], ['text']);
				const name = textCol(env, /agency_name|name/);
				agencies = code ? (env.rows || []).map((r) => [r[code.key], name ? r[name.key] : r[code.key]]) : [];
			} catch { agencies = []; }
		}
		if (!agencies.length) return null;
		const sel = h('select', { id: 'stats-trend-agency', 'aria-label': '跨域受理占比趋势：机构' },
			h('option', { value: '' }, '全部机构'), agencies.map(([c, n]) => h('option', { value: c, selected: c === chosen }, n)));
		sel.addEventListener('change', () => drawReport(rep, box, sel.value ? { agency: sel.value } : {}));
		return sel;
	}

	await Promise.all(REPORTS.map((rep, i) => drawReport(rep, sections[i])));
}
