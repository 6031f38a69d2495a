// 业务流程 (#/admin/workflow): the business types with their promised and
// statutory working days, whether each is open for intake, and which steps
// (actions) are switched off per type — settings for the whole region
// (workflow.manage over 450000; others see them read-only); and the
// ownership (产权登记) pilot per division, switched by a holder of
// workflow.manage over that division. Every switch asks first and says
// what it changes; the server's refusal is shown as it answered.

import { h, replace, toast, confirmDialog, field, ACTION_NAMES } from '../ui.js';
import { get, api, patch, del } from '../api.js';
import { messageFor } from '../errors.js';
import { can, me } from '../session.js';
import { adminFrame } from '../admin_nav.js';

// The steps a business type may switch off, in workflow order, and what
// switching each off means at the window.
const STEPS = ['submit', 'accept', 'request_supplement', 'resubmit', 'approve', 'reject', 'register', 'set_fees',
	'record_payment', 'issue', 'deliver', 'close', 'withdraw'];
const STEP_NOTE = {
	request_supplement: '停用后不能要求申请人补正材料。',
	withdraw: '停用后申请人不能撤回申请。',
	reject: '停用后不能作出不予登记决定。',
	set_fees: '停用后无法核定收费，案件将停在“已登簿”。',
	register: '停用后案件无法登簿，只能停在“审核通过”。',
};
const stepName = (a) => ACTION_NAMES[a] || a;
const CATEGORY = (code) => ({ pre_notice: '预告登记', mortgage: '抵押登记', ownership: '产权登记', seizure: '查封登记', objection: '异议登记' })[code.split('.')[0]] || '';

export async function render(main) {
	const view = adminFrame(main, '#/admin/workflow');
	if (!can('workflow.manage')) {   // opened by its address: say why there is nothing
		replace(view, h('div', { class: 'page-head' }, h('h1', { tabindex: '-1' }, '业务流程')),
			h('p', { class: 'banner banner-error', id: 'wf-denied', role: 'alert' }, '您没有流程管理的权限。如工作需要，请向系统管理员申请。'));
		return;
	}
	const region = can('workflow.manage', '450000');
	const typesBox = h('section', { class: 'panel panel-flush wf-types', 'aria-labelledby': 'wf-types-title' },
		h('p', { class: 'loading', role: 'status' }, '正在加载业务类型…'));
	const pilotBox = h('section', { class: 'panel wf-pilots', 'aria-labelledby': 'wf-pilot-title' },
		h('p', { class: 'loading', role: 'status' }, '正在加载试点地区…'));
	replace(view,
		h('div', { class: 'page-head' },
			h('div', {}, h('h1', { tabindex: '-1' }, '业务流程'),
				h('p', { class: 'muted page-sub' }, '承诺时限以工作日计，自受理之日起算；修改后对新受理的案件生效，已受理案件的到期日不变。'))),
		region ? null : h('p', { class: 'banner banner-info', id: 'wf-readonly' }, '业务类型的设置适用于全区，须由自治区级流程管理员修改；您可以查看，并管理本辖区的产权登记试点。'),
		typesBox, pilotBox);

	// ---- business types ----
	let types = [];
	async function loadTypes() {
		try {
			types = (await get('/api/v1/workflows/business-types')).items || [];
		} catch (e) {
			replace(typesBox, h('div', { class: 'banner banner-error' }, '无法读取业务类型：' + messageFor(e)));
			return;
		}
		drawTypes();
	}

	async function change(t, body, what) {
		try {
			const r = await patch(`/api/v1/workflows/business-types/${encodeURIComponent(t.code)}`, body);
			types = r.items || types;
			toast(`${t.name}：${what}`, 'ok');
		} catch (e) {
			toast(`${t.name}：未能保存。${messageFor(e)}`, 'error');
		}
		drawTypes(t.code);
	}

	async function editDays(t) {
		const days = h('input', { type: 'number', min: '1', max: String(Math.min(30, t.statutory_days)), step: '1', required: true,
			value: String(t.promised_days), class: 'wf-days-input', inputmode: 'numeric' });
		const hint = `1–${Math.min(30, t.statutory_days)} 个工作日（法定时限 ${t.statutory_days} 个工作日）`;
		const ok = await confirmDialog(`修改承诺时限 · ${t.name}`, h('div', { class: 'action-form' },
			h('p', {}, `当前承诺 ${t.promised_days} 个工作日办结。修改后，新受理的案件按新时限计算到期日，并记入审计日志。`),
			field('承诺时限（工作日）', days, hint)), '保存', '取消');
		if (!ok) return;
		const n = Number(days.value);
		if (!Number.isInteger(n) || n < 1 || n > Math.min(30, t.statutory_days)) {
			toast(`承诺时限须为 ${hint}。`, 'error');
			return;
		}
		if (n === t.promised_days) return;
		await change(t, { promised_days: n }, `承诺时限改为 ${n} 个工作日`);
	}

	async function switchEnabled(t) {
		const on = !t.enabled;
		const ok = await confirmDialog(`${on ? '启用' : '停用'}业务 · ${t.name}`, h('div', {},
			h('p', {}, on ? `启用后，各受理窗口可以受理“${t.name}”。` : `停用后，各受理窗口不能再受理“${t.name}”的新申请；已受理的案件照常办理。`),
			h('p', { class: 'muted' }, '此项设置适用于全区，并记入审计日志。')), on ? '启用' : '停用', '取消');
		if (ok) await change(t, { enabled: on }, on ? '已启用' : '已停用');
	}

	async function switchStep(t, step) {
		const off = (t.actions_off || []).includes(step);
		const ok = await confirmDialog(`${off ? '恢复' : '停用'}环节 · ${t.name}`, h('div', {},
			h('p', {}, off ? `恢复后，“${t.name}”的案件可以办理“${stepName(step)}”。`
				: `停用后，“${t.name}”的案件不能再办理“${stepName(step)}”。${STEP_NOTE[step] || ''}`),
			h('p', { class: 'muted' }, '此项设置适用于全区，并记入审计日志。')), off ? '恢复' : '停用', '取消');
		if (ok) await change(t, off ? { actions_on: [step] } : { actions_off: [step] }, `${stepName(step)}已${off ? '恢复' : '停用'}`);
	}

	function drawTypes(focusCode) {
		const rows = types.map((t) => {
			const offs = t.actions_off || [];
			const sw = h('button', { type: 'button', role: 'switch', class: 'wf-switch', 'aria-checked': String(!!t.enabled),
				'aria-label': `${t.name}：${t.enabled ? '已启用' : '已停用'}`, disabled: !region, dataset: { code: t.code } },
			h('span', { class: 'wf-switch-knob', 'aria-hidden': 'true' }), t.enabled ? '启用' : '停用');
			sw.addEventListener('click', () => switchEnabled(t));
			// read-only for those without the region: the state shown, no button
			const days = region ? h('button', { type: 'button', class: 'btn btn-small wf-days',
				'aria-label': `修改承诺时限：${t.name}，当前 ${t.promised_days} 个工作日` }, '修改') : null;
			if (days) days.addEventListener('click', () => editDays(t));
			const steps = h('details', { class: 'wf-steps' },
				h('summary', {}, offs.length ? `已停用 ${offs.length} 个环节：${offs.map(stepName).join('、')}` : '全部环节可办'),
				h('ul', { class: 'wf-step-list', 'aria-label': `${t.name}的办理环节` }, STEPS.map((s) => {
					const on = !offs.includes(s);
					const b = h('button', { type: 'button', role: 'switch', class: 'wf-step', 'aria-checked': String(on), disabled: !region,
						dataset: { step: s }, 'aria-label': `${t.name}：${stepName(s)}` }, stepName(s));
					b.addEventListener('click', () => switchStep(t, s));
					return h('li', {}, b);
				})));
			if (focusCode === t.code && offs.length) steps.open = true;
			return h('tr', { class: t.enabled ? 'wf-row' : 'wf-row wf-off', dataset: { code: t.code } },
				h('td', {}, h('div', { class: 'wf-name' }, t.name), h('div', { class: 'mono muted small' }, t.code)),
				h('td', { class: 'muted' }, CATEGORY(t.code)),
				h('td', { class: 'num' }, h('span', { class: 'wf-promised' }, String(t.promised_days)), ' ', days),
				h('td', { class: 'num wf-statutory' }, String(t.statutory_days)),
				h('td', {}, sw),
				h('td', { class: 'wf-steps-cell' }, steps));
		});
		replace(typesBox,
			h('div', { class: 'panel-head wf-head' },
				h('h2', { class: 'panel-title', id: 'wf-types-title' }, '业务类型', h('span', { class: 'count' }, String(types.length))),
				h('span', { class: 'muted small' }, '时限单位：工作日')),
			h('table', { class: 'grid wf-table' },
				h('thead', {}, h('tr', {},
					h('th', { scope: 'col' }, '业务类型'), h('th', { scope: 'col' }, '类别'),
					h('th', { scope: 'col', class: 'num' }, '承诺时限'), h('th', { scope: 'col', class: 'num' }, '法定时限'),
					h('th', { scope: 'col' }, '受理'), h('th', { scope: 'col' }, '办理环节'))),
				h('tbody', {}, rows)));
		if (focusCode) {
			const el = typesBox.querySelector(`tr[data-code="${CSS.escape(focusCode)}"] .wf-switch`);
			if (el && document.activeElement === document.body) el.focus();
		}
	}

	// ---- the ownership pilot ----
	// where the user may switch: workflow.manage scopes (the menu's guess;
	// the server decides)
	const scopes = [...new Set((me.permissions || []).filter((p) => p.permission === 'workflow.manage').map((p) => p.scope))].sort();
	const names = new Map();
	async function children(code) {
		const r = await get(`/api/v1/divisions?parent=${code}`);
		for (const d of r.items || []) names.set(d.code, d.name);
		return r.items || [];
	}
	async function divisionName(code) {
		if (!names.has(code)) {
			try { names.set(code, (await get(`/api/v1/divisions/${code}`)).name); } catch { names.set(code, code); }
		}
		return names.get(code);
	}

	let pilots = [];
	async function loadPilots() {
		try {
			pilots = (await get('/api/v1/workflows/pilots')).items || [];
		} catch (e) {
			replace(pilotBox, h('div', { class: 'banner banner-error' }, '无法读取试点地区：' + messageFor(e)));
			return;
		}
		for (const p of pilots) names.set(p.division_code, p.name);
		await drawPilots();
	}

	async function pilotSwitch(code, on) {
		const name = await divisionName(code);
		const ok = await confirmDialog(`${on ? '开通' : '取消'}产权登记试点 · ${name}`, h('div', {},
			h('p', {}, on ? `开通后，坐落在${name}（含下辖地区）的不动产可以申请产权登记（设立、转移、变更、注销等），各地窗口均可受理。`
				: `取消后，坐落在${name}的不动产不能再申请新的产权登记；已受理的案件照常办理。`),
			h('p', { class: 'muted' }, '此操作记入审计日志。')), on ? '开通试点' : '取消试点', '取消');
		if (!ok) return;
		try {
			await api(on ? 'PUT' : 'DELETE', `/api/v1/workflows/pilots/${code}`);
			toast(`${name}：产权登记试点已${on ? '开通' : '取消'}`, 'ok');
		} catch (e) {
			toast(`${name}：未能${on ? '开通' : '取消'}试点。${messageFor(e)}`, 'error');
		}
		await loadPilots();
	}

	async function drawPilots() {
		const mine = (code) => can('workflow.manage', code);
		// the picker: the user's scopes, their cities, then counties
		const level1 = h('select', { id: 'wf-pilot-area' });
		const level2 = h('select', { id: 'wf-pilot-county' });
		const add = h('button', { type: 'submit', class: 'btn btn-primary', id: 'wf-pilot-add' }, '开通试点');
		const opts = [];
		for (const s of scopes) {
			opts.push(h('option', { value: s }, await divisionName(s)));
			if (/0000$/.test(s)) {
				let kids = [];
				try { kids = await children(s); } catch { /* the scope itself still works */ }
				if (kids.length) opts.push(h('optgroup', { label: '地级市' }, kids.map((c) => h('option', { value: c.code }, c.name))));
			}
		}
		replace(level1, opts);
		const fillCounties = async () => {
			const c = level1.value;
			let kids = [];
			if (/00$/.test(c) && !/0000$/.test(c)) {
				try { kids = await children(c); } catch { kids = []; }
			}
			replace(level2, h('option', { value: c }, kids.length ? '（整个市）' : '—'), kids.map((k) => h('option', { value: k.code }, k.name)));
			level2.disabled = !kids.length;
		};
		level1.addEventListener('change', fillCounties);
		await fillCounties();
		const form = h('form', { class: 'wf-pilot-form', 'aria-label': '开通产权登记试点' },
			field('地区', level1), field('县（市、区）', level2), h('div', { class: 'actions' }, add));
		form.addEventListener('submit', (ev) => {
			ev.preventDefault();
			const code = level2.disabled ? level1.value : level2.value;
			if (pilots.some((p) => p.division_code === code)) { toast(`${names.get(code) || code}已是试点地区。`, 'info'); return; }
			pilotSwitch(code, true);
		});
		replace(pilotBox,
			h('h2', { class: 'panel-title', id: 'wf-pilot-title' }, '产权登记试点地区', h('span', { class: 'count' }, String(pilots.length))),
			h('p', { class: 'muted' }, '产权登记（设立、转移、变更、注销等）只对坐落在试点地区的不动产开放；市列为试点时，其下辖县（市、区）一并开放。预告、抵押等其他业务不受此限。'),
			h('div', { class: 'wf-pilot-grid' },
				pilots.length
					? h('table', { class: 'grid wf-pilot-table' },
						h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, '地区'), h('th', { scope: 'col' }, '区划代码'), h('th', { scope: 'col' }, h('span', { class: 'sr-only' }, '操作')))),
						h('tbody', {}, pilots.map((p) => {
							const b = mine(p.division_code)
								? h('button', { type: 'button', class: 'btn btn-small btn-danger-outline', 'aria-label': `取消试点：${p.name}` }, '取消试点')
								: h('span', { class: 'muted small' }, '不在您的辖区');
							if (b.tagName === 'BUTTON') b.addEventListener('click', () => pilotSwitch(p.division_code, false));
							return h('tr', { dataset: { division: p.division_code } }, h('td', {}, p.name), h('td', { class: 'mono' }, p.division_code), h('td', { class: 'cell-actions' }, b));
						})))
					: h('p', { class: 'empty' }, '尚无试点地区。'),
				scopes.length ? form : null));
	}

	await Promise.all([loadTypes(), loadPilots()]);
}
