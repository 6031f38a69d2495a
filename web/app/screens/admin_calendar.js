// 节假日安排 (#/admin/calendar?year=YYYY): the year's calendar as twelve
// month grids — weekends shaded, days off (放假) and make-up working days
// (调休上班) marked, with their notes listed under each month — the year's
// status (正式 / 暂定) and source, and, for a region-wide calendar manager,
// a dialog to set a day. Due dates count working days by this calendar:
// saving says how many open cases' due dates the server moved.
// The grid is one roving tab stop: arrow keys move by day and week,
// Home/End to the week's ends, Enter opens the day.

import { h, replace, toast, field } from '../ui.js';
import { get, api, patch } from '../api.js';
import { can } from '../session.js';
import { adminFrame } from '../admin_nav.js';
import { refusal } from '../admin_common.js';

const WEEK = ['一', '二', '三', '四', '五', '六', '日'];
const WEEKDAY = ['星期日', '星期一', '星期二', '星期三', '星期四', '星期五', '星期六'];
const KINDS = { holiday: '放假', workday: '调休上班' };
const STATUS = { official: ['正式', 'adm-tag-ok'], provisional: ['暂定', 'adm-tag-warn'] };

const p2 = (n) => String(n).padStart(2, '0');
const iso = (y, m, d) => `${y}-${p2(m)}-${p2(d)}`;
// days are calendar dates: computed in UTC so no time zone shifts them
const dow = (y, m, d) => new Date(Date.UTC(y, m - 1, d)).getUTCDay();
const daysIn = (y, m) => new Date(Date.UTC(y, m, 0)).getUTCDate();
const cn = (day) => { const [y, m, d] = day.split('-').map(Number); return `${y}年${m}月${d}日`; };
const weekdayOf = (day) => { const [y, m, d] = day.split('-').map(Number); return WEEKDAY[dow(y, m, d)]; };
const isWeekend = (day) => { const [y, m, d] = day.split('-').map(Number); const w = dow(y, m, d); return w === 0 || w === 6; };
function addDays(day, n) {
	const [y, m, d] = day.split('-').map(Number);
	const t = new Date(Date.UTC(y, m - 1, d + n));
	return iso(t.getUTCFullYear(), t.getUTCMonth() + 1, t.getUTCDate());
}
function beijingToday() {
	const t = new Date(Date.now() + 8 * 3600 * 1000);
	return iso(t.getUTCFullYear(), t.getUTCMonth() + 1, t.getUTCDate());
}

export async function render(main, params) {
	const content = adminFrame(main, '#/admin/calendar');
	const q = new URLSearchParams((location.hash.split('?')[1]) || '');
	const today = beijingToday();
	let year = Number(q.get('year')) || Number(today.slice(0, 4));
	if (year < 1900 || year > 2999) year = Number(today.slice(0, 4));
	const manage = can('calendar.manage', '450000');
	const notice = h('div', { class: 'cal-notice', role: 'status', 'aria-live': 'polite' });
	let focusDay = null;

	async function load() {
		replace(content, head(null), h('p', { class: 'loading', role: 'status' }, '正在加载…'));
		let y;
		try { y = await get('/api/v1/calendar?year=' + year); } catch (e) {
			replace(content, head(null), refusal(e, '节假日安排加载失败'));
			return;
		}
		draw(y);
	}

	function go(y) { location.hash = '#/admin/calendar?year=' + y; }

	function head(y) {
		const status = y && STATUS[y.status];
		return h('div', { class: 'admin-head' },
			h('h1', { class: 'admin-title' }, `${year} 年节假日安排`),
			h('div', { class: 'actions cal-years' },
				h('button', { type: 'button', class: 'btn btn-small', onclick: () => go(year - 1) }, `‹ ${year - 1} 年`),
				year !== Number(today.slice(0, 4)) ? h('button', { type: 'button', class: 'btn btn-small', onclick: () => go(Number(today.slice(0, 4))) }, '本年') : null,
				h('button', { type: 'button', class: 'btn btn-small', onclick: () => go(year + 1) }, `${year + 1} 年 ›`)),
			y ? h('p', { class: 'admin-sub cal-status' },
				status ? h('span', { class: 'adm-tag ' + status[1] }, status[0]) : h('span', { class: 'adm-tag' }, '未设置'),
				' ',
				h('span', {}, y.source ? '来源：' + y.source : '本年度尚无节假日安排，除周末外均按工作日计算。'),
				manage ? h('button', { type: 'button', class: 'btn btn-link cal-year-edit', onclick: () => yearDialog(y) }, '修改年度状态') : null) : null,
			h('p', { class: 'muted admin-sub' }, '案件承诺办结日期按工作日计算：周末和放假日不计，调休上班日计入。修改某一天后，办理时限覆盖该日的在办案件会在同一操作中重新计算承诺办结日期，并记入案件办理过程和审计日志。'));
	}

	function draw(y) {
		const marks = new Map(y.days.map((d) => [d.day, d]));
		const off = y.days.filter((d) => d.kind === 'holiday');
		const offWeekdays = off.filter((d) => !isWeekend(d.day)).length;
		const work = y.days.filter((d) => d.kind === 'workday').length;
		const buttons = new Map();
		if (!focusDay || !focusDay.startsWith(String(year))) focusDay = today.startsWith(String(year)) ? today : iso(year, 1, 1);

		function move(from, n) {
			const to = addDays(from, n);
			const b = buttons.get(to);
			if (!b) return;
			buttons.get(from).tabIndex = -1;
			b.tabIndex = 0;
			b.focus();
			focusDay = to;
		}
		function onKey(e, day) {
			const k = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: -7, ArrowDown: 7 }[e.key];
			if (k) { e.preventDefault(); move(day, k); return; }
			const [yy, m, d] = day.split('-').map(Number);
			const w = (dow(yy, m, d) + 6) % 7; // 0 = Monday
			if (e.key === 'Home') { e.preventDefault(); move(day, -w); }
			if (e.key === 'End') { e.preventDefault(); move(day, 6 - w); }
		}

		const months = [];
		for (let m = 1; m <= 12; m++) {
			const rows = [];
			let cells = [];
			const lead = (dow(year, m, 1) + 6) % 7;
			for (let i = 0; i < lead; i++) cells.push(h('td', { class: 'cal-empty' }));
			for (let d = 1; d <= daysIn(year, m); d++) {
				const day = iso(year, m, d);
				const mark = marks.get(day);
				const weekend = isWeekend(day);
				const cls = ['cal-day', weekend ? 'cal-weekend' : '', mark ? 'cal-' + mark.kind : '', day === today ? 'cal-today' : ''].filter(Boolean).join(' ');
				const label = `${cn(day)} ${weekdayOf(day)}${mark ? '，' + KINDS[mark.kind] + '：' + mark.note : weekend ? '，休息日' : ''}${day === today ? '，今天' : ''}`;
				let cell;
				if (manage) {
					cell = h('button', { type: 'button', class: cls, tabindex: day === focusDay ? '0' : '-1', 'aria-label': label, title: label,
						onclick: () => { focusDay = day; dayDialog(day, mark); },
						onkeydown: (e) => onKey(e, day) },
					h('span', { class: 'cal-num' }, String(d)),
					mark ? h('span', { class: 'cal-mark', 'aria-hidden': 'true' }, mark.kind === 'holiday' ? '休' : '班') : null);
					buttons.set(day, cell);
				} else {
					cell = h('span', { class: cls, title: label },
						h('span', { class: 'cal-num', 'aria-hidden': 'true' }, String(d)),
						mark ? h('span', { class: 'cal-mark', 'aria-hidden': 'true' }, mark.kind === 'holiday' ? '休' : '班') : null,
						h('span', { class: 'sr-only' }, label));
				}
				cells.push(h('td', {}, cell));
				if (cells.length === 7) { rows.push(h('tr', {}, cells)); cells = []; }
			}
			if (cells.length) { while (cells.length < 7) cells.push(h('td', { class: 'cal-empty' })); rows.push(h('tr', {}, cells)); }
			months.push(h('section', { class: 'cal-month', 'aria-labelledby': `cal-m${m}` },
				h('table', { class: 'cal-table' },
					h('caption', { id: `cal-m${m}` }, `${m} 月`),
					h('thead', {}, h('tr', {}, WEEK.map((w, i) => h('th', { scope: 'col', class: i >= 5 ? 'cal-we' : null }, w)))),
					h('tbody', {}, rows)),
				notes(y.days.filter((d) => d.day.slice(5, 7) === p2(m)))));
		}

		replace(content,
			head(y),
			notice,
			h('div', { class: 'cal-bar' },
				h('ul', { class: 'cal-legend', 'aria-label': '图例' },
					h('li', {}, h('span', { class: 'cal-swatch cal-swatch-holiday', 'aria-hidden': 'true' }, '休'), '放假'),
					h('li', {}, h('span', { class: 'cal-swatch cal-swatch-workday', 'aria-hidden': 'true' }, '班'), '调休上班'),
					h('li', {}, h('span', { class: 'cal-swatch cal-swatch-weekend', 'aria-hidden': 'true' }), '周末'),
					h('li', {}, h('span', { class: 'cal-swatch cal-swatch-today', 'aria-hidden': 'true' }), '今天')),
				h('p', { class: 'cal-sum' }, `放假 ${off.length} 天（其中工作日 ${offWeekdays} 天），调休上班 ${work} 天`),
				h('p', { class: 'muted cal-hint' }, manage ? '点击日期可设置放假或调休上班' : '节假日安排由自治区统一维护，如需调整请联系自治区系统管理员')),
			h('div', { class: 'cal-grid' }, months));
	}

	// The marked days of a month as runs: "1–3日 元旦", "4日 元旦调休上班".
	function notes(days) {
		if (!days.length) return null;
		const runs = [];
		for (const d of days) {
			const last = runs[runs.length - 1];
			if (last && last.kind === d.kind && last.note === d.note && addDays(last.to, 1) === d.day) last.to = d.day;
			else runs.push({ kind: d.kind, note: d.note, from: d.day, to: d.day });
		}
		return h('ul', { class: 'cal-notes' }, runs.map((r) => {
			const a = Number(r.from.slice(8)), b = Number(r.to.slice(8));
			return h('li', { class: 'cal-note-' + r.kind },
				h('span', { class: 'cal-note-days' }, a === b ? `${a}日` : `${a}–${b}日`), ' ',
				h('span', {}, r.note), r.kind === 'workday' && !r.note.includes('上班') ? '（上班）' : null);
		}));
	}

	function dayDialog(day, mark) {
		const weekend = isWeekend(day);
		const err = h('div', { class: 'cal-dialog-error' });
		const radio = (value, text, disabled, hint) => h('label', { class: 'cal-choice' + (disabled ? ' cal-choice-off' : '') },
			h('input', { type: 'radio', name: 'cal-kind', value, disabled, checked: (mark ? mark.kind : '') === value || (!mark && value === 'holiday') }),
			h('span', {}, text), hint ? h('span', { class: 'muted cal-choice-hint' }, hint) : null);
		const note = h('input', { type: 'text', maxlength: '40', value: mark ? mark.note : '', autocomplete: 'off', required: true });
		const noteField = field('说明（如“元旦”“春节调休上班”）', note, '1–40 个字，显示在日历和案件办理过程中');
		const save = h('button', { type: 'submit', class: 'btn btn-primary' }, '保存');
		const cancel = h('button', { type: 'button', class: 'btn', onclick: () => dlg.close() }, '取消');
		const kinds = h('fieldset', { class: 'cal-kinds' }, h('legend', {}, '这一天'),
			radio('holiday', '放假', false, weekend ? '（周末，本就不计工作日；标记以便日历显示完整假期）' : ''),
			radio('workday', '调休上班', !weekend, weekend ? '' : '（仅周六、周日可设为调休上班）'),
			radio('normal', '恢复为普通日', !mark, mark ? (weekend ? '（周末休息）' : '（工作日）') : '（已是普通日）'));
		const form = h('form', { class: 'cal-form' },
			h('h2', { id: 'cal-dlg-title' }, `${cn(day)} ${weekdayOf(day)}`),
			h('p', { class: 'muted' }, '当前：' + (mark ? `${KINDS[mark.kind]}（${mark.note}）` : weekend ? '周末休息日' : '普通工作日')),
			kinds, noteField, err,
			h('div', { class: 'dialog-actions' }, cancel, save));
		const dlg = h('dialog', { class: 'dialog cal-dialog', 'aria-labelledby': 'cal-dlg-title' }, form);
		const sync = () => {
			const k = form.querySelector('input[name=cal-kind]:checked');
			const normal = k && k.value === 'normal';
			note.disabled = normal;
			note.required = !normal;
		};
		kinds.addEventListener('change', sync);
		sync();
		form.addEventListener('submit', async (e) => {
			e.preventDefault();
			const k = form.querySelector('input[name=cal-kind]:checked');
			if (!k) return;
			const text = note.value.trim();
			if (k.value !== 'normal' && !text) { replace(err, h('div', { class: 'banner banner-error', role: 'alert' }, '请填写说明。')); note.focus(); return; }
			save.disabled = true;
			try {
				const r = k.value === 'normal'
					? await api('DELETE', '/api/v1/calendar/days/' + day)
					: await api('PUT', '/api/v1/calendar/days/' + day, { kind: k.value, note: text });
				dlg.close();
				const what = r.kind ? `设为${KINDS[r.kind]}（${r.note}）` : '恢复为普通日';
				const moved = r.cases_moved > 0
					? `${r.cases_moved} 件在办案件的承诺办结日期已重新计算，并记入各案件的办理过程。`
					: '没有在办案件的承诺办结日期因此变化。';
				await load();
				replace(notice, h('div', { class: 'banner banner-ok' }, h('strong', {}, `已将 ${cn(day)} ${what}。`), ' ', moved));
				const b = content.querySelector('.cal-day[tabindex="0"]');
				if (b) b.focus();
			} catch (ex) {
				save.disabled = false;
				replace(err, refusal(ex, '保存未成功'));
			}
		});
		dlg.addEventListener('close', () => {
			dlg.remove();
			const b = content.querySelector('.cal-day[tabindex="0"]');
			if (b && document.activeElement === document.body) b.focus();
		});
		document.body.appendChild(dlg);
		dlg.showModal();
	}

	function yearDialog(y) {
		const err = h('div', { class: 'cal-dialog-error' });
		const sel = h('select', {},
			h('option', { value: 'official', selected: y.status === 'official' }, '正式（已按国务院办公厅通知录入）'),
			h('option', { value: 'provisional', selected: y.status !== 'official' }, '暂定（仅法定节假日，待通知发布）'));
		const src = h('input', { type: 'text', maxlength: '200', value: y.source || '' });
		const save = h('button', { type: 'submit', class: 'btn btn-primary' }, '保存');
		const form = h('form', {},
			h('h2', { id: 'cal-year-title' }, `${year} 年度状态`),
			field('状态', sel), field('来源', src, '如：国务院办公厅关于' + year + '年部分节假日安排的通知'), err,
			h('div', { class: 'dialog-actions' }, h('button', { type: 'button', class: 'btn', onclick: () => dlg.close() }, '取消'), save));
		const dlg = h('dialog', { class: 'dialog cal-dialog', 'aria-labelledby': 'cal-year-title' }, form);
		form.addEventListener('submit', async (e) => {
			e.preventDefault();
			save.disabled = true;
			try {
				await patch(`/api/v1/calendar/years/${year}`, { status: sel.value, source: src.value.trim() });
				dlg.close();
				toast('年度状态已保存。', 'ok');
				await load();
			} catch (ex) {
				save.disabled = false;
				replace(err, refusal(ex, '保存未成功'));
			}
		});
		dlg.addEventListener('close', () => dlg.remove());
		document.body.appendChild(dlg);
		dlg.showModal();
	}

	await load();
}
