// Charts of the statistics screen, drawn as SVG by the portal itself: bars
// (grouped or stacked, vertical or horizontal) with an optional line on a
// second axis. No charting library (see the README: weight, licence, the
// CSP, nothing loaded from outside): a few hundred lines cover what the
// screen needs. Each chart is an image to assistive technology (role="img",
// named by its <title>, described by its <desc>); the table with the same
// figures follows it on the screen. Colours come from classes in ops.css
// (no inline style: the CSP refuses it); text is drawn at 1 SVG unit = 1
// CSS pixel, the caller passing the width it has.

const NS = 'http://www.w3.org/2000/svg';
let uid = 0;

function el(tag, attrs, ...kids) {
	const e = document.createElementNS(NS, tag);
	for (const [k, v] of Object.entries(attrs || {})) if (v !== null && v !== undefined && v !== false) e.setAttribute(k, String(v));
	for (const k of kids.flat()) if (k !== null && k !== undefined && k !== false) e.appendChild(typeof k === 'string' ? document.createTextNode(k) : k);
	return e;
}
const text = (x, y, s, attrs = {}) => el('text', { x: r1(x), y: r1(y), ...attrs }, s);
const r1 = (v) => Math.round(v * 10) / 10;

// A round upper bound and step for an axis from 0 to max (4–6 steps).
export function niceScale(max, steps = 5) {
	if (!(max > 0)) return { max: 1, step: 0.2, ticks: [0, 0.2, 0.4, 0.6, 0.8, 1] };
	const raw = max / steps;
	const mag = 10 ** Math.floor(Math.log10(raw));
	const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw);
	const top = Math.ceil(max / step - 1e-9) * step;
	const ticks = [];
	for (let v = 0; v <= top + step / 2; v += step) ticks.push(Math.round(v / step) * step);
	return { max: top, step, ticks };
}

// Roughly how wide a label is drawn (CJK at 1em, the rest at 0.6em).
export function textWidth(s, size = 12) {
	let w = 0;
	for (const ch of String(s)) w += /[\u2e80-\uffff]/.test(ch) ? size : size * 0.6;
	return w;
}
function clip(s, px, size) {
	s = String(s);
	if (textWidth(s, size) <= px) return s;
	let out = '';
	for (const ch of s) { if (textWidth(out + ch + '…', size) > px) break; out += ch; }
	return out + '…';
}

// "2026-03" → ["3月", "2026"] (the year under January and the first month)
function monthLabel(s, i) {
	const m = /^(\d{4})-(\d{2})$/.exec(String(s));
	if (!m) return [String(s), null];
	return [`${Number(m[2])}月`, i === 0 || m[2] === '01' ? m[1] : null];
}

function frame(o, w, hgt) {
	const id = `chart-${++uid}`;
	const svg = el('svg', { class: `chart ${o.className || ''}`.trim(), viewBox: `0 0 ${w} ${hgt}`, width: w, height: hgt,
		role: 'img', 'aria-labelledby': `${id}-t ${id}-d`, preserveAspectRatio: 'xMinYMin meet', focusable: 'false' },
	el('title', { id: `${id}-t` }, o.title),
	el('desc', { id: `${id}-d` }, o.desc || ''));
	return svg;
}

function legend(svg, series, x, y, maxW) {
	let cx = x;
	let cy = y;
	for (const [i, s] of series.entries()) {
		const w = 18 + textWidth(s.name, 12) + 18;
		if (cx + w > x + maxW && cx > x) { cx = x; cy += 18; }
		const k = s.cls ?? `chart-s${s.color ?? i}`;
		if (s.type === 'mark') {
			svg.appendChild(el('line', { x1: cx + 6, y1: cy - 12, x2: cx + 6, y2: cy + 2, class: `chart-mark ${k}` }));
		} else if (s.type === 'line') {
			svg.appendChild(el('line', { x1: cx, y1: cy - 4, x2: cx + 14, y2: cy - 4, class: `chart-line ${k}` }));
			svg.appendChild(el('circle', { cx: cx + 7, cy: cy - 4, r: 3, class: `chart-dot ${k}` }));
		} else {
			svg.appendChild(el('rect', { x: cx, y: cy - 10, width: 12, height: 12, rx: 2, class: `chart-key ${k}` }));
		}
		svg.appendChild(text(cx + 18, cy, s.name, { class: 'chart-legend' }));
		cx += w;
	}
	return cy;
}

const fmtDefault = (v) => Number(v).toLocaleString('zh-CN');

// Vertical bars per category (grouped, or stacked with `stacked`), and
// series of type "line" drawn over them on the right-hand axis.
// o: {title, desc, labels[], series[{name, values[], type?: 'bar'|'line',
// color?}], stacked?, width, height?, format?(v), lineFormat?(v),
// valueLabels?}
export function barChart(o) {
	const W = Math.max(320, Math.round(o.width || 800));
	const H = o.height || 300;
	const bars = o.series.filter((s) => s.type !== 'line');
	const lines = o.series.filter((s) => s.type === 'line');
	const fmt = o.format || fmtDefault;
	const lfmt = o.lineFormat || fmtDefault;
	const n = o.labels.length;
	const svg = frame(o, W, H);
	const ml = 12 + Math.max(textWidth(fmt(niceMaxOf(bars, o.stacked, n)), 11), 24);
	const mr = lines.length ? 14 + Math.max(textWidth(lfmt(niceMaxOf(lines, false, n)), 11), 24) : 14;
	const legendBottom = legend(svg, o.series, ml, 16, W - ml - mr);
	const mt = legendBottom + 16;
	const mb = 40;
	const pw = W - ml - mr, ph = H - mt - mb;
	const left = niceScale(niceMaxOf(bars, o.stacked, n));
	const right = niceScale(niceMaxOf(lines, false, n), 4);
	const y = (v) => mt + ph - (v / left.max) * ph;
	const yr = (v) => mt + ph - (v / right.max) * ph;
	const grid = el('g', { class: 'chart-grid' });
	for (const t of left.ticks) {
		grid.appendChild(el('line', { x1: ml, x2: ml + pw, y1: r1(y(t)), y2: r1(y(t)), class: t === 0 ? 'chart-axis' : 'chart-gridline' }));
		grid.appendChild(text(ml - 6, y(t) + 4, fmt(t), { class: 'chart-tick', 'text-anchor': 'end' }));
	}
	if (lines.length) for (const t of right.ticks) grid.appendChild(text(ml + pw + 6, yr(t) + 4, lfmt(t), { class: 'chart-tick chart-tick-right' }));
	svg.appendChild(grid);
	const band = pw / Math.max(n, 1);
	const group = band * (n > 24 ? 0.8 : 0.68);
	const bw = o.stacked || !bars.length ? group : group / bars.length;
	const every = Math.max(1, Math.ceil(38 / band));
	const gBars = el('g', { class: 'chart-bars' });
	const gLabels = el('g', { class: 'chart-xlabels' });
	for (let i = 0; i < n; i++) {
		const x0 = ml + i * band + (band - group) / 2;
		let acc = 0;
		bars.forEach((s, j) => {
			const v = Number(s.values[i]) || 0;
			const top = o.stacked ? y(acc + v) : y(v);
			const bottom = o.stacked ? y(acc) : y(0);
			const x = o.stacked ? x0 : x0 + j * bw;
			const rect = el('rect', { x: r1(x), y: r1(top), width: r1(Math.max(bw - (o.stacked ? 0 : 1), 1)), height: r1(Math.max(bottom - top, 0)),
				class: `chart-bar chart-s${s.color ?? o.series.indexOf(s)}`, 'data-i': i },
			el('title', {}, `${o.labels[i]} ${s.name}：${fmt(v)}`));
			gBars.appendChild(rect);
			if (o.valueLabels && !o.stacked && band >= 26 && v > 0) {
				gBars.appendChild(text(x + bw / 2, top - 4, fmt(v), { class: 'chart-value', 'text-anchor': 'middle' }));
			}
			acc += v;
		});
		if (o.stacked && o.valueLabels && band >= 40 && acc > 0) gBars.appendChild(text(x0 + group / 2, y(acc) - 4, fmt(acc), { class: 'chart-value', 'text-anchor': 'middle' }));
		const [l1, l2] = monthLabel(o.labels[i], i);
		if (i % every === 0 || l2) {
			const cx = ml + i * band + band / 2;
			gLabels.appendChild(text(cx, mt + ph + 16, clip(l1, band * every - 4, 12), { class: 'chart-xlabel', 'text-anchor': 'middle' }));
			if (l2) gLabels.appendChild(text(cx, mt + ph + 32, l2, { class: 'chart-xlabel chart-year', 'text-anchor': 'middle' }));
		}
	}
	svg.appendChild(gBars);
	svg.appendChild(gLabels);
	for (const s of lines) {
		const k = `chart-s${s.color ?? o.series.indexOf(s)}`;
		const pts = [];
		const g = el('g', { class: 'chart-series-line' });
		s.values.forEach((v, i) => {
			if (v === null || v === undefined) return;
			const cx = ml + i * band + band / 2;
			pts.push(`${r1(cx)},${r1(yr(Number(v)))}`);
			g.appendChild(el('circle', { cx: r1(cx), cy: r1(yr(Number(v))), r: n > 24 ? 2.5 : 3.5, class: `chart-dot ${k}` },
				el('title', {}, `${o.labels[i]} ${s.name}：${lfmt(Number(v))}`)));
		});
		svg.appendChild(el('polyline', { points: pts.join(' '), class: `chart-line ${k}` }));
		svg.appendChild(g);
	}
	return svg;
}

// A line chart alone (one axis): the trend of a share.
export function lineChart(o) {
	return barChart({ ...o, series: o.series.map((s) => ({ ...s, type: 'line' })), format: o.format, lineFormat: o.format });
}

function niceMaxOf(series, stacked, n) {
	let m = 0;
	for (let i = 0; i < n; i++) {
		let acc = 0;
		for (const s of series) {
			const v = Number(s.values[i]) || 0;
			if (stacked) acc += v; else m = Math.max(m, v);
		}
		m = Math.max(m, acc);
	}
	return niceScale(m).max;
}

// Horizontal bars: one row per category (long Chinese names read on the
// left), one bar per series in it; values written at the bar's end.
// o: {title, desc, labels[], series[{name, values[], color?, type?:
// 'bar'|'mark'}], width, format?(v), rowHeight?}
export function hbarChart(o) {
	const W = Math.max(320, Math.round(o.width || 800));
	const fmt = o.format || fmtDefault;
	const n = o.labels.length;
	// series of type "mark" (a limit, say) are drawn as a tick across the
	// row, not as a bar
	const bars = o.series.filter((s) => s.type !== 'mark');
	const marks = o.series.filter((s) => s.type === 'mark');
	const k = bars.length;
	const rowH = o.rowHeight || (k > 1 ? 12 + k * 10 : 26);
	const labelW = Math.min(Math.max(...o.labels.map((l) => textWidth(l, 12)), 40) + 12, Math.round(W * 0.34));
	const maxV = Math.max(0, ...o.series.flatMap((s) => s.values.map((v) => Number(v) || 0)));
	const scale = niceScale(maxV);
	const valueW = textWidth(fmt(scale.max), 11) + 10;
	const svg = frame(o, W, 0);
	const legendBottom = o.series.length > 1 ? legend(svg, o.series, labelW, 16, W - labelW - 10) : 0;
	const mt = o.series.length > 1 ? legendBottom + 14 : 8;
	const H = mt + n * rowH + 26;
	svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
	svg.setAttribute('height', H);
	const pw = W - labelW - valueW - 8;
	const x = (v) => labelW + (v / scale.max) * pw;
	const grid = el('g', { class: 'chart-grid' });
	for (const t of scale.ticks) {
		grid.appendChild(el('line', { x1: r1(x(t)), x2: r1(x(t)), y1: mt, y2: mt + n * rowH, class: t === 0 ? 'chart-axis' : 'chart-gridline' }));
		grid.appendChild(text(x(t), mt + n * rowH + 16, fmt(t), { class: 'chart-tick', 'text-anchor': 'middle' }));
	}
	svg.appendChild(grid);
	const g = el('g', { class: 'chart-bars' });
	const bh = Math.max(4, (rowH - 8) / Math.max(k, 1));
	for (let i = 0; i < n; i++) {
		const y0 = mt + i * rowH + 4;
		g.appendChild(text(labelW - 8, y0 + (rowH - 8) / 2 + 4, clip(o.labels[i], labelW - 12, 12), { class: 'chart-ylabel', 'text-anchor': 'end' }));
		bars.forEach((s, j) => {
			const v = Number(s.values[i]) || 0;
			const yy = y0 + j * bh;
			g.appendChild(el('rect', { x: labelW, y: r1(yy), width: r1(Math.max(x(v) - labelW, v > 0 ? 1 : 0)), height: r1(Math.max(bh - 1, 2)),
				class: `chart-bar chart-s${s.color ?? o.series.indexOf(s)}`, 'data-i': i },
			el('title', {}, `${o.labels[i]} ${s.name}：${fmt(v)}`)));
			const shown = s.values[i] === null || s.values[i] === undefined ? '—' : fmt(v);
			if (k === 1 || bh >= 9) g.appendChild(text(x(v) + 4, yy + bh / 2 + 4, shown, { class: k === 1 ? 'chart-value' : 'chart-value chart-value-small' }));
		});
		for (const s of marks) {
			const v = s.values[i];
			if (v === null || v === undefined) continue;
			g.appendChild(el('line', { x1: r1(x(Number(v))), x2: r1(x(Number(v))), y1: r1(y0 - 3), y2: r1(y0 + rowH - 5),
				class: `chart-mark chart-s${s.color ?? o.series.indexOf(s)}` }, el('title', {}, `${o.labels[i]} ${s.name}：${fmt(Number(v))}`)));
		}
	}
	svg.appendChild(g);
	return svg;
}
