// 登记机构 (#/admin/agencies): the registration agencies (GET
// /api/v1/agencies), narrowed by city and a name search; adding one (POST:
// the code is the division's 6 digits and two more, the next free pair
// offered) and renaming one (PATCH {name, version}) where the
// administrator holds agency.manage over its division. Refusals (a taken
// code or name, another's change in between, outside one's scope) are
// shown as the server said them.

import { h, replace, toast, confirmDialog, field } from '../ui.js';
import { post, patch } from '../api.js';
import { can, me } from '../session.js';
import { navigate, query } from '../router.js';
import { adminFrame } from '../admin_nav.js';
import { allAgencies, childDivisions, refusal, adminMessage, divisionLevel } from '../admin_common.js';

const REGION = '450000';

// agency.manage held at a county of this city (that county's agencies
// can be added, so the city must be offered)
const holdsWithin = (city) => me.permissions.some((p) => p.permission === 'agency.manage' && p.scope.slice(0, 4) === city.slice(0, 4));

// The next free further-agency code of a division: division + 01..99.
function nextCode(agencies, division) {
	const used = new Set(agencies.filter((a) => a.code.length === 8 && a.code.startsWith(division)).map((a) => a.code.slice(6)));
	for (let i = 1; i < 100; i++) {
		const s = String(i).padStart(2, '0');
		if (!used.has(s)) return division + s;
	}
	return '';
}

export async function render(main) {
	const content = adminFrame(main, '#/admin/agencies');
	const q = query();
	const status = h('div', { 'aria-live': 'polite', id: 'agency-status' });
	const [agencies, cities] = await Promise.all([allAgencies(), childDivisions(REGION)]);
	const cityName = new Map(cities.map((c) => [c.code, c.name]));
	const city = cities.some((c) => c.code === q.get('city')) || q.get('city') === REGION ? q.get('city') : '';
	const text = (q.get('q') || '').trim();

	const citySel = h('select', { id: 'af-city' }, h('option', { value: '' }, '全区'),
		h('option', { value: REGION }, '自治区本级'),
		cities.map((c) => h('option', { value: c.code }, c.name)));
	citySel.value = city;
	const textIn = h('input', { type: 'search', id: 'af-text', maxlength: '64', value: text, placeholder: '机构名称或代码', autocomplete: 'off' });
	const filters = h('form', { class: 'admin-filters', role: 'search', 'aria-label': '筛选登记机构' },
		field('所在地区', citySel), field('查找', textIn), h('button', { type: 'submit', class: 'btn' }, '筛选'));
	const go = () => {
		const p = new URLSearchParams();
		if (citySel.value) p.set('city', citySel.value);
		if (textIn.value.trim()) p.set('q', textIn.value.trim());
		const hash = '#/admin/agencies' + (p.toString() ? '?' + p : '');
		if (location.hash === hash) render(main); else navigate(hash);
	};
	filters.addEventListener('submit', (e) => { e.preventDefault(); go(); });
	citySel.addEventListener('change', go);

	const inCity = (a) => !city || (city === REGION ? a.division_code === REGION : a.division_code.slice(0, 4) === city.slice(0, 4));
	const shown = agencies.filter((a) => inCity(a) && (!text || a.name.includes(text) || a.code.startsWith(text)));

	const rename = async (a, btn) => {
		const name = h('input', { type: 'text', required: true, minlength: '2', maxlength: '64', value: a.name, autocomplete: 'off' });
		const problem = h('div', { class: 'form-status', role: 'alert' });
		const body = h('div', {}, h('p', {}, `机构代码 ${a.code}`), field('新名称（2–64 字）', name), problem);
		for (;;) {
			if (!await confirmDialog(`修改机构名称 · ${a.name}`, body, '保存')) return;
			const n = name.value.trim();
			if ([...n].length < 2 || [...n].length > 64) { problem.textContent = '名称须为 2–64 个字。'; continue; }
			if (n === a.name) return;
			btn.disabled = true;
			try {
				await patch(`/api/v1/agencies/${a.code}`, { name: n, version: a.version });
			} catch (e) {
				btn.disabled = false;
				problem.textContent = '未能修改：' + adminMessage(e);
				continue;
			}
			toast(`已将“${a.name}”更名为“${n}”`, 'ok');
			render(main);
			return;
		}
	};

	const add = async () => {
		const cSel = h('select', { required: true }, h('option', { value: '' }, '请选择'),
			can('agency.manage', REGION) ? h('option', { value: REGION }, '自治区本级') : null,
			cities.filter((c) => can('agency.manage', c.code) || holdsWithin(c.code)).map((c) => h('option', { value: c.code }, c.name)));
		const dSel = h('select', { required: true, disabled: true }, h('option', { value: '' }, '请先选择市'));
		const code = h('input', { type: 'text', required: true, inputmode: 'numeric', maxlength: '8', class: 'mono', autocomplete: 'off' });
		const name = h('input', { type: 'text', required: true, minlength: '2', maxlength: '64', autocomplete: 'off' });
		const problem = h('div', { class: 'form-status', role: 'alert' });
		const division = () => dSel.value || cSel.value;
		const suggest = () => { code.value = division() ? nextCode(agencies, division()) : ''; };
		cSel.addEventListener('change', async () => {
			const c = cSel.value;
			if (!c || c === REGION) {
				replace(dSel, h('option', { value: '' }, c ? '（自治区本级）' : '请先选择市'));
				dSel.disabled = true;
			} else {
				const counties = await childDivisions(c).catch(() => []);
				replace(dSel, h('option', { value: '' }, `${cityName.get(c)}本级`),
					counties.map((d) => h('option', { value: d.code }, d.name)));
				dSel.disabled = false;
			}
			suggest();
		});
		dSel.addEventListener('change', suggest);
		const body = h('div', { class: 'admin-form-grid' },
			field('所在市', cSel), field('所在县（市、区）', dSel),
			field('机构代码', code, '区划代码加两位序号，已按现有机构填好下一个'),
			field('机构名称', name, '2–64 字，全区不得重名'),
			h('div', { class: 'field-wide' }, problem));
		for (;;) {
			if (!await confirmDialog('新增登记机构', body, '新增')) return;
			const d = division();
			if (!d) { problem.textContent = '请选择机构所在的区划。'; continue; }
			if (!new RegExp(`^${d}\\d{2}$`).test(code.value.trim())) { problem.textContent = `机构代码须为 ${d} 加两位数字。`; continue; }
			if ([...name.value.trim()].length < 2) { problem.textContent = '请填写机构名称（至少 2 个字）。'; continue; }
			try {
				await post('/api/v1/agencies', { code: code.value.trim(), name: name.value.trim(), division_code: d });
			} catch (e) {
				problem.textContent = '未能新增：' + adminMessage(e);
				continue;
			}
			toast(`已新增登记机构“${name.value.trim()}”`, 'ok');
			const p = new URLSearchParams({ q: code.value.trim() });
			navigate('#/admin/agencies?' + p);
			return;
		}
	};

	const parentName = (a) => {
		if (a.division_code === REGION) return '自治区';
		const c = cityName.get(a.division_code.slice(0, 4) + '00');
		return c || '';
	};
	const head = h('div', { class: 'admin-head' }, h('h1', { class: 'admin-title' }, '登记机构'),
		can('agency.manage') ? h('div', { class: 'actions' }, h('button', { type: 'button', class: 'btn btn-primary', id: 'agency-new', onclick: add }, '新增机构')) : null);
	const LIMIT = 300;
	replace(content, head,
		h('p', { class: 'muted admin-sub' }, '各级不动产登记机构。每个区划有一个主机构（代码即区划代码），可增设分支机构（区划代码加两位序号）。只能新增或修改您管辖范围内的机构。'),
		filters, status,
		h('div', { class: 'admin-table-wrap' },
			h('table', { class: 'admin-table', id: 'agencies-table' },
				h('caption', { class: 'sr-only' }, '登记机构'),
				h('thead', {}, h('tr', {}, ['机构代码', '机构名称', '所在市', '区划代码', '级别', ''].map((c) =>
					h('th', { scope: 'col' }, c || h('span', { class: 'sr-only' }, '操作'))))),
				h('tbody', {}, shown.length ? shown.slice(0, LIMIT).map((a) => {
					const b = can('agency.manage', a.division_code)
						? h('button', { type: 'button', class: 'btn btn-small', onclick: () => rename(a, b) }, '改名') : null;
					return h('tr', { dataset: { code: a.code } },
						h('td', { class: 'mono' }, a.code),
						h('td', {}, a.name),
						h('td', {}, parentName(a)),
						h('td', { class: 'mono' }, a.division_code),
						h('td', {}, divisionLevel(a.division_code) + (a.code.length === 8 ? ' · 分支机构' : '')),
						h('td', { class: 'admin-ops' }, b));
				}) : h('tr', {}, h('td', { colspan: '6', class: 'empty' }, '没有符合条件的机构。')))),
			h('div', { class: 'admin-pager' }, h('span', { class: 'muted' },
				`共 ${shown.length} 个机构` + (shown.length > LIMIT ? `，显示前 ${LIMIT} 个，请用筛选缩小范围` : '')))));
}
