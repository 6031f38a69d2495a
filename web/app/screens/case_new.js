// 受理登记: the intake wizard. Steps: business type → property unit (with
// the unit card) → parties → the type's fields → attachments → review and
// submit. Every check of a value is the server's (POST
// /api/v1/cases/validate); the wizard only asks, on blur, when a resident
// ID reaches 18 characters and when the unit code reaches 28, and shows
// the answer. The case is created (POST /api/v1/cases with the draft's
// Idempotency-Key) on reaching the attachments step, since uploads need
// its id; "submit" is the workflow action. Keyboard only: each step is a
// form (Enter = next), focus moves to each step's heading.

import { h, replace, yuanToFen, fenToYuan, toast, confirmDialog, field } from '../ui.js';
import { get, post } from '../api.js';
import { messageFor } from '../errors.js';
import { navigate } from '../router.js';
import {
	ROLES, ID_TYPES, MORTGAGE_TYPES, FIELD_NAMES, docName, typeParts, unitCard, validate, problemText,
	uploadRow, fieldRows, OPTIONAL_DOCS, loadDraft, saveDraft, clearDraft, newKey, money, facts, stateBadge,
} from '../case_common.js';

const STEPS = ['业务类型', '不动产单元', '申请人', '业务信息', '申请材料', '核对提交'];
const STEP_PREFIX = ['business_type', 'unit_code', 'parties', 'fields', null, null];

let st = null;        // the wizard's state (ID numbers only here, in memory)
let types = [];       // business types from the API
let banks = null;     // [{code, name}] once loaded
let root = null;      // the screen's element
const live = new Map(); // fields' paths → their pending debounced validation

function fresh() {
	return { step: 0, business_type: '', unit_code: '', parties: [{ role: 'right_holder', name: '', id_type: 'resident_id', id_number: '' }, { role: 'obligor', name: '', id_type: 'resident_id', id_number: '' }], fields: {}, case_id: null, idem: newKey() };
}

function persist() { saveDraft(st); }

export async function render(main) {
	root = main;
	const [bt] = await Promise.all([get('/api/v1/business-types')]);
	types = bt.items.filter((t) => t.enabled);
	const draft = loadDraft();
	st = draft ? { ...fresh(), ...draft } : fresh();
	let note = null;
	if (st.case_id) {
		// the case exists: the server's copy is the truth from here on
		let c;
		try { c = await get(`/api/v1/cases/${st.case_id}`); } catch (e) { clearDraft(); st = fresh(); note = messageFor(e); }
		if (c && c.state !== 'draft') { clearDraft(); navigate(`#/cases/${c.id}`); return; }
		if (c) { st.business_type = c.business_type; st.unit_code = c.unit_code; if (st.step < 4) st.step = 4; }
	} else if (st.step > 2 && st.parties.some((p) => !p.id_number)) {
		st.step = 2;
		note = '页面已重新载入：为保护个人信息，草稿不保存证件号码，请重新录入各申请人的证件号码。';
	} else if (draft && st.step === 2) {
		note = '页面已重新载入：为保护个人信息，草稿不保存证件号码，请重新录入各申请人的证件号码。';
	}
	show(note);
}

// The step indicator and the current step.
function show(note) {
	persist();
	const created = !!st.case_id;
	const steps = h('ol', { class: 'steps', 'aria-label': '受理步骤' }, STEPS.map((s, i) => h('li', {
		class: i < st.step ? 'done' : i === st.step ? 'current' : '',
		'aria-current': i === st.step ? 'step' : false,
	}, h('span', { class: 'step-no', 'aria-hidden': 'true' }, i < st.step ? '✓' : String(i + 1)), h('span', {}, s))));
	const body = h('div', { class: 'step-body' });
	replace(root,
		h('div', { class: 'page-head' }, h('h1', {}, '受理登记'),
			created ? h('span', { class: 'muted' }, '草稿案件已创建') : h('span', { class: 'muted' }, '按 Tab 键在各项间移动，回车进入下一步')),
		steps,
		note ? h('p', { class: 'banner banner-warn', role: 'status' }, note) : null,
		body);
	[stepType, stepUnit, stepParties, stepFields, stepAttachments, stepReview][st.step](body);
}

function go(step, note) { st.step = step; show(note); }

// A step: a form (Enter submits = next), a heading that takes the focus,
// a problems box, and Back/Next.
function stepForm(title, intro, content, { next = '下一步', onNext, back = true, extra = null } = {}) {
	const heading = h('h2', { tabindex: '-1', class: 'step-title' }, `第 ${st.step + 1} 步：${title}`);
	const box = h('div', { class: 'step-problems', role: 'alert' });
	const nextBtn = h('button', { type: 'submit', class: 'btn btn-primary' }, next);
	const form = h('form', { class: 'panel step', novalidate: true, 'aria-labelledby': 'step-title' },
		heading, intro ? h('p', { class: 'muted' }, intro) : null, content, box,
		h('div', { class: 'step-actions' },
			back && st.step > 0 && !(st.case_id && st.step <= 4) ? h('button', { type: 'button', class: 'btn', onclick: () => go(st.step - 1) }, '上一步') : null,
			extra, h('span', { class: 'grow' }), nextBtn));
	heading.id = 'step-title';
	form.addEventListener('input', (e) => {
		const el = e.target;
		if (el.dataset && el.dataset.required && el.value.trim() && el.getAttribute('aria-invalid') &&
			(document.getElementById(el.id + '-hint') || {}).textContent === '此项为必填项。') setHint(el, null);
	});
	form.addEventListener('submit', async (e) => {
		e.preventDefault();
		if (nextBtn.disabled) return;
		nextBtn.disabled = true;
		try { await onNext(form, box); } finally { nextBtn.disabled = false; }
	});
	setTimeout(() => heading.focus(), 0);
	return form;
}

// ---- the create body, from the wizard's state ----

function wireFields() {
	const { category, action } = typeParts(st.business_type);
	const f = st.fields;
	const out = {};
	const put = (k, v) => { if (v !== undefined && v !== null && v !== '') out[k] = v; };
	const fen = (s) => { const v = yuanToFen(s || ''); return v === null ? undefined : v; };
	if (action === 'cancellation') {
		put('entry_id', f.entry_id ? Number(f.entry_id) : undefined);
		put('reason', f.reason);
	} else if (category === 'mortgage') {
		const bank = banks && banks.find((b) => b.name === (f.mortgagee || '').trim());
		if (bank) put('mortgagee_bank', bank.code); else put('mortgagee_name', (f.mortgagee || '').trim());
		put('amount_fen', fen(f.amount));
		put('term_from', normDate(f.term_from));
		put('term_to', normDate(f.term_to));
		put('mortgage_type', f.mortgage_type);
		put('debtor', (f.debtor || '').trim());
		if (action !== 'establish') put('entry_id', f.entry_id ? Number(f.entry_id) : undefined);
	} else if (category === 'pre_notice') {
		put('buyer', (f.buyer || '').trim());
		put('seller', (f.seller || '').trim());
		put('contract_number', (f.contract_number || '').trim());
		put('price_fen', fen(f.price));
		if (action !== 'establish') put('entry_id', f.entry_id ? Number(f.entry_id) : undefined);
	} else {
		put('description', (f.description || '').trim());
		if (action !== 'establish') put('entry_id', f.entry_id ? Number(f.entry_id) : undefined);
	}
	return out;
}

function normDate(v) {
	const m = /^(\d{4})(\d{2})(\d{2})$/.exec(String(v || '').trim());
	return m ? `${m[1]}-${m[2]}-${m[3]}` : String(v || '').trim();
}

function createBody(upTo = 5) {
	const b = {};
	if (st.business_type) b.business_type = st.business_type;
	if (upTo >= 1 && st.unit_code) b.unit_code = st.unit_code;
	if (upTo >= 2) {
		b.parties = st.parties.map((p) => {
			const o = { role: p.role, id_type: p.id_type };
			if (p.name.trim()) o.name = p.name.trim();
			if (p.id_number.trim()) o.id_number = p.id_number.trim();
			return o;
		});
	}
	if (upTo >= 3) b.fields = wireFields();
	return b;
}

// ---- live validation: ask the server, show its answer by field path ----

// problems → hints of the inputs carrying data-path (several paths may be
// named, space-separated); those of this step with no input go to `box`.
function showProblems(form, box, problems, { only = null, quietMissing = true } = {}) {
	const mine = problems.filter((p) => {
		const prefix = STEP_PREFIX[st.step];
		const f = String(p.field || '');
		return (prefix && (f === prefix || f.startsWith(prefix + '/') || f.startsWith(prefix + '.'))) ||
			(st.step === 1 && p.code === 'business_type_not_enabled');
	}).filter((p) => !(quietMissing && p.code === 'missing_field'));
	const inputs = Array.from(form.querySelectorAll('[data-path]'));
	const shown = new Set();
	for (const el of inputs) {
		const paths = el.dataset.path.split(' ');
		if (only && !paths.some((x) => only.includes(x))) continue;
		const p = mine.find((q) => paths.includes(String(q.field).replace(/\./g, '/')));
		setHint(el, p ? problemText(p) : null);
		if (p) shown.add(p);
	}
	if (box) {
		const rest = mine.filter((p) => !shown.has(p) && !inputs.some((el) => el.dataset.path.split(' ').includes(String(p.field).replace(/\./g, '/'))));
		replace(box, rest.length ? h('div', { class: 'banner banner-error' }, rest.map((p) => h('div', {}, problemText(p)))) : null);
	}
	return mine;
}

function setHint(el, text, good) {
	const hint = document.getElementById(el.id + '-hint');
	if (text) el.setAttribute('aria-invalid', 'true'); else el.removeAttribute('aria-invalid');
	if (!hint) return;
	if (hint.dataset.base === undefined) hint.dataset.base = hint.textContent;
	hint.textContent = text || good || hint.dataset.base || '';
	hint.classList.toggle('bad', !!text);
	hint.classList.toggle('good', !text && !!good);
}

// Ask the server about what is typed so far (debounced); `paths`
// narrows which inputs' hints change.
// Each field has its own debounce: leaving the name does not cancel the
// check of the ID number typed right after it. An answer overtaken by a
// newer check of the same fields is dropped (it may say what is no longer
// typed).
function liveCheck(form, box, paths, after) {
	const key = paths.join(' ');
	let slot = live.get(key);
	if (!slot) live.set(key, slot = { timer: null, seq: 0 });
	clearTimeout(slot.timer);
	const seq = ++slot.seq;
	slot.timer = setTimeout(async () => {
		let problems;
		try { problems = await validate(createBody(st.step)); } catch (e) {
			if (seq === slot.seq) replace(box, h('div', { class: 'banner banner-error' }, '无法校验：' + messageFor(e)));
			return;
		}
		if (seq !== slot.seq) return;
		showProblems(form, box, problems, { only: paths });
		if (after) after(problems);
	}, 250);
}

// Local completeness (not a rule of the domain): empty required inputs.
function requireFilled(form) {
	let first = null;
	for (const el of form.querySelectorAll('[data-required]')) {
		if (!String(el.value || '').trim()) { setHint(el, '此项为必填项。'); first = first || el; }
	}
	if (first) first.focus();
	return !first;
}

async function checkStep(form, box) {
	if (!requireFilled(form)) return false;
	let problems;
	try { problems = await validate(createBody(st.step)); } catch (e) {
		replace(box, h('div', { class: 'banner banner-error' }, messageFor(e)));
		return false;
	}
	const mine = showProblems(form, box, problems, { quietMissing: false });
	if (mine.length) {
		const bad = form.querySelector('[aria-invalid="true"]');
		if (bad) bad.focus(); else box.focus && box.focus();
		return false;
	}
	return true;
}

// ---- step 1: business type ----

function stepType(body) {
	const cats = [['mortgage', '抵押登记'], ['pre_notice', '预告登记'], ['ownership', '产权登记（试点地区）']];
	const groups = cats.map(([cat, label]) => {
		const order = ['establish', 'transfer', 'change', 'cancellation', 'other'];
		const list = types.filter((t) => t.category === cat).sort((a, b) => order.indexOf(a.action) - order.indexOf(b.action));
		if (!list.length) return null;
		return h('fieldset', { class: 'type-group' }, h('legend', {}, label),
			list.map((t) => h('label', { class: 'type-choice' },
				h('input', { type: 'radio', name: 'business_type', value: t.code, checked: st.business_type === t.code, dataset: { path: 'business_type' }, onchange: () => { st.business_type = t.code; st.fields = {}; persist(); } }),
				h('span', { class: 'type-name' }, t.name),
				h('span', { class: 'muted' }, `承诺 ${t.promised_days} 个工作日 · 材料 ${t.required_documents.length} 项`))));
	});
	const form = stepForm('选择业务类型', '只列出已开通的业务类型；产权类业务仅在试点地区开通，录入不动产单元后由系统核对。', h('div', { class: 'type-groups' }, groups), {
		onNext: async (f, box) => {
			if (!st.business_type) { replace(box, h('div', { class: 'banner banner-error' }, '请选择业务类型。')); f.querySelector('input[type=radio]').focus(); return; }
			if (await checkStep(f, box)) go(1);
		},
	});
	body.append(form);
}

// ---- step 2: the unit ----

let card = null;   // the unit card of st.unit_code (not kept in the draft)

async function loadCard(code) {
	if (card && card.unit.code === code) return card;
	card = await get(`/api/v1/registry/units/${encodeURIComponent(code)}`);
	return card;
}

function stepUnit(body) {
	const input = h('input', { type: 'text', id: 'unit_code', class: 'mono wide', maxlength: '28', autocomplete: 'off', spellcheck: 'false', value: st.unit_code, dataset: { path: 'unit_code', required: '1' } });
	const cardBox = h('div', { class: 'card-box', 'aria-live': 'polite' });
	const typeName = (types.find((t) => t.code === st.business_type) || {}).name || st.business_type;
	let form;
	const showCard = async () => {
		replace(cardBox, h('p', { class: 'muted' }, '正在读取登记簿…'));
		try { replace(cardBox, unitCard(await loadCard(st.unit_code))); } catch (e) { replace(cardBox, h('p', { class: 'banner banner-error' }, messageFor(e))); }
	};
	const check = () => liveCheck(form, form.querySelector('.step-problems'), ['unit_code'], (problems) => {
		const bad = problems.some((p) => p.field === 'unit_code');
		if (!bad && st.unit_code.length === 28) { setHint(input, null, '单元代码有效。'); showCard(); } else replace(cardBox);
	});
	input.addEventListener('input', () => {
		const v = input.value.trim().toUpperCase();
		if (v !== input.value) input.value = v;
		st.unit_code = v;
		persist();
		if (v.length === 28) check(); else { replace(cardBox); if (input.getAttribute('aria-invalid')) setHint(input, null); }
	});
	input.addEventListener('blur', () => { if (st.unit_code) check(); });
	form = stepForm('不动产单元', `业务类型：${typeName}。输入 28 位不动产单元代码（可用扫码枪扫描），系统即时核对并显示登记簿信息。`,
		h('div', {}, field('不动产单元代码', input, '例如 450103001002GB00014F00220045'), cardBox), {
			onNext: async (f, box) => {
				if (!(await checkStep(f, box))) return;
				try { await loadCard(st.unit_code); } catch (e) { replace(box, h('div', { class: 'banner banner-error' }, messageFor(e))); return; }
				go(2);
			},
		});
	body.append(form);
	if (st.unit_code.length === 28) check();
}

// ---- step 3: parties ----

function stepParties(body) {
	const list = h('div', { class: 'parties' });
	let form;
	const draw = () => {
		replace(list, st.parties.map((p, i) => {
			const role = h('select', { dataset: { path: `parties/${i}/role` }, onchange: (e) => { p.role = e.target.value; persist(); } },
				Object.entries(ROLES).map(([k, v]) => h('option', { value: k, selected: p.role === k }, v)));
			const name = h('input', { type: 'text', value: p.name, autocomplete: 'off', maxlength: '100', dataset: { path: `parties/${i}/name`, required: '1' } });
			name.addEventListener('input', () => { p.name = name.value; persist(); });
			name.addEventListener('blur', () => { if (p.name) liveCheck(form, form.querySelector('.step-problems'), [`parties/${i}/name`]); });
			const idType = h('select', { dataset: { path: `parties/${i}/id_type` } },
				Object.entries(ID_TYPES).map(([k, v]) => h('option', { value: k, selected: p.id_type === k }, v)));
			const idn = h('input', { type: 'text', class: 'mono', value: p.id_number, autocomplete: 'off', spellcheck: 'false', maxlength: '40', dataset: { path: `parties/${i}/id_number`, required: '1' } });
			const checkId = () => liveCheck(form, form.querySelector('.step-problems'), [`parties/${i}/id_number`], (problems) => {
				const bad = problems.some((q) => String(q.field).replace(/\./g, '/') === `parties/${i}/id_number`);
				if (!bad && p.id_number) setHint(idn, null, p.id_type === 'resident_id' ? '号码校验通过。' : '');
			});
			idType.addEventListener('change', () => { p.id_type = idType.value; persist(); if (p.id_number) checkId(); });
			idn.addEventListener('input', () => {
				p.id_number = idn.value.trim();
				if (p.id_type === 'resident_id' && p.id_number.length === 18) checkId();
				else if (idn.getAttribute('aria-invalid')) setHint(idn, null);
			});
			idn.addEventListener('blur', () => { if (p.id_number) checkId(); });
			const remove = st.parties.length > 1 ? h('button', { type: 'button', class: 'btn btn-small', 'aria-label': `删除申请人 ${i + 1}`, onclick: () => { st.parties.splice(i, 1); persist(); draw(); list.querySelector('select') && list.querySelector('select').focus(); } }, '删除') : null;
			return h('fieldset', { class: 'party' }, h('legend', {}, `申请人 ${i + 1}`),
				h('div', { class: 'party-grid' },
					field('身份', role), field('姓名或名称', name), field('证件类型', idType), field('证件号码', idn), remove));
		}));
	};
	draw();
	const add = h('button', { type: 'button', class: 'btn', onclick: () => {
		if (st.parties.length >= 20) return;
		st.parties.push({ role: 'agent', name: '', id_type: 'resident_id', id_number: '' });
		persist(); draw();
		const sels = list.querySelectorAll('fieldset.party');
		sels[sels.length - 1].querySelector('select').focus();
	} }, '添加申请人');
	form = stepForm('申请人', '录入权利人、义务人及代理人。居民身份证号码输满 18 位即核对校验位。证件号码不保存在本机草稿中。',
		h('div', {}, list, h('div', { class: 'actions' }, add)), {
			onNext: async (f, box) => { if (await checkStep(f, box)) go(3); },
		});
	body.append(form);
}

// ---- step 4: the type's fields ----

function entryKind() {
	const { category, action } = typeParts(st.business_type);
	if (action === 'establish') return null;
	if (category === 'mortgage') return 'mortgages';
	if (category === 'pre_notice') return 'pre_notices';
	return 'holders';
}

function textInput(key, opts = {}) {
	const el = h('input', { type: opts.type || 'text', value: st.fields[key] || '', autocomplete: 'off', maxlength: opts.max || '100', inputmode: opts.inputmode || false, list: opts.list || false, class: opts.cls || false, dataset: { path: opts.path || `fields/${key}`, ...(opts.required === false ? {} : { required: '1' }) } });
	el.addEventListener('input', () => { st.fields[key] = el.value; persist(); });
	return el;
}

// A date typed as 8 digits is written with its hyphens (typing help only;
// whether it is a real date is the server's answer).
function dateInput(key) {
	const el = textInput(key, { inputmode: 'numeric', max: '10', cls: 'date' });
	el.setAttribute('placeholder', '年-月-日');
	const tidy = () => {
		const v = normDate(el.value);
		if (v !== el.value) { el.value = v; st.fields[key] = v; persist(); }
	};
	el.addEventListener('blur', tidy);
	el.addEventListener('change', tidy);
	return el;
}

async function stepFields(body) {
	const { category, action } = typeParts(st.business_type);
	if (category === 'mortgage' && action !== 'cancellation' && !banks) {
		try { banks = (await get('/api/v1/banks')).items; } catch { banks = []; }
	}
	const kind = entryKind();
	let cardEl = null;
	if (kind) {
		try { await loadCard(st.unit_code); } catch { card = null; }
	}
	const inputs = [];
	const amountField = (key, wire, label) => {
		const el = textInput(key, { inputmode: 'decimal', cls: 'num', path: `fields/${wire}`, max: '20' });
		const hintOf = () => {
			const fen = yuanToFen(el.value || '');
			if (!el.value) return '';
			return fen === null ? null : `即 ${fenToYuan(fen)} 元`;
		};
		el.addEventListener('blur', () => {
			const t = hintOf();
			if (t === null) setHint(el, '请按“元”填写金额，最多两位小数，例如 500000 或 1234.50。');
			else setHint(el, null, t);
		});
		return field(label + '（元）', el);
	};
	if (action === 'cancellation') {
		inputs.push(field(FIELD_NAMES.reason, textInput('reason', { max: '500', required: false })));
	} else if (category === 'mortgage') {
		const dl = h('datalist', { id: 'bank-list' }, (banks || []).map((b) => h('option', { value: b.name })));
		const m = textInput('mortgagee', { list: 'bank-list', path: 'fields/mortgagee_bank fields/mortgagee_name' });
		m.addEventListener('change', () => {
			const b = banks.find((x) => x.name === m.value.trim());
			setHint(m, null, b ? `银行代码 ${b.code}` : (m.value.trim() ? '不在银行列表中：按抵押权人名称登记' : ''));
		});
		const mtype = h('select', { dataset: { path: 'fields/mortgage_type', required: '1' }, onchange: (e) => { st.fields.mortgage_type = e.target.value; persist(); } },
			h('option', { value: '' }, '请选择'), Object.entries(MORTGAGE_TYPES).map(([k, v]) => h('option', { value: k, selected: st.fields.mortgage_type === k }, v)));
		inputs.push(
			field('抵押权人（输入银行名称可检索）', m, '从列表选择银行；其他抵押权人直接填写名称'), dl,
			amountField('amount', 'amount_fen', FIELD_NAMES.amount_fen),
			field(FIELD_NAMES.term_from, dateInput('term_from'), '格式：2026-12-01，也可输入 20261201'),
			field(FIELD_NAMES.term_to, dateInput('term_to'), '格式：2046-11-30，也可输入 20461130'),
			field(FIELD_NAMES.mortgage_type, mtype),
			field(FIELD_NAMES.debtor, textInput('debtor')));
	} else if (category === 'pre_notice') {
		inputs.push(
			field(FIELD_NAMES.buyer, textInput('buyer')),
			field(FIELD_NAMES.seller, textInput('seller')),
			field(FIELD_NAMES.contract_number, textInput('contract_number', { max: '64' })),
			amountField('price', 'price_fen', FIELD_NAMES.price_fen));
	} else {
		inputs.push(field(FIELD_NAMES.description, textInput('description', { max: '2000' })));
	}
	if (kind) {
		const pick = { kind, selected: st.fields.entry_id, onPick: (id) => { st.fields.entry_id = String(id); persist(); replace(document.querySelector('.step-problems')); } };
		cardEl = card ? unitCard(card, pick) : h('p', { class: 'banner banner-error' }, '无法读取该单元的登记簿信息。');
	}
	let form;
	const grid = h('div', { class: 'field-grid' }, inputs);
	form = stepForm('业务信息', kind ? '在下方登记簿信息中选择本次申请涉及的登记记录。' : null,
		h('div', {}, grid, kind ? h('div', { class: 'entry-pick' }, h('h3', {}, '选择涉及的登记记录'), cardEl, h('div', { class: 'hint', id: 'entry-hint', 'aria-live': 'polite' })) : null), {
			onNext: async (f, box) => {
				if (kind && action === 'cancellation' && !st.fields.entry_id) { replace(box, h('div', { class: 'banner banner-error' }, '请选择要注销的登记记录。')); return; }
				if (kind && category === 'mortgage' && !st.fields.entry_id) { replace(box, h('div', { class: 'banner banner-error' }, '请选择本次申请涉及的抵押登记。')); return; }
				for (const el of f.querySelectorAll('input.num')) {
					if (el.value && yuanToFen(el.value) === null) { setHint(el, '请按“元”填写金额，最多两位小数，例如 500000 或 1234.50。'); el.focus(); return; }
				}
				if (!(await checkStep(f, box))) return;
				await createCase(box);
			},
		});
	for (const el of form.querySelectorAll('[data-path^="fields/"]')) {
		el.addEventListener('blur', () => liveCheck(form, form.querySelector('.step-problems'), el.dataset.path.split(' ')));
	}
	body.append(form);
}

// POST /api/v1/cases: once, with the draft's key (a retry after a lost
// answer gets the same case, never a second).
async function createCase(box) {
	let c;
	try {
		c = await post('/api/v1/cases', createBody(3), { headers: { 'Idempotency-Key': st.idem } });
	} catch (e) {
		if (e.status === 400 || e.status === 422) st.idem = newKey();   // nothing stored: a new attempt, a new key
		persist();
		replace(box, h('div', { class: 'banner banner-error' }, '未能创建案件：' + (e.problem && e.problem.code ? problemText(e.problem) : messageFor(e))));
		return;
	}
	st.case_id = c.id;
	for (const p of st.parties) p.id_number = '';   // the server holds them now
	toast(`已创建案件 ${c.number}`, 'ok');
	go(4);
}

// ---- step 5: attachments ----

async function stepAttachments(body) {
	const list = await get(`/api/v1/cases/${st.case_id}/attachments`);
	const c = await get(`/api/v1/cases/${st.case_id}`);
	const byDoc = (d) => list.items.filter((a) => a.document_type === d);
	const present = new Set(list.checklist.filter((x) => x.present).map((x) => x.document_type));
	const rows = list.checklist.map((x) => uploadRow(st.case_id, x.document_type, x.present, byDoc(x.document_type), (a) => { present.add(a.document_type); }));
	for (const d of OPTIONAL_DOCS) rows.push(uploadRow(st.case_id, d, byDoc(d).length > 0, byDoc(d), null, { required: false }));
	const form = stepForm('申请材料', `案件 ${c.number} 已创建（草稿）。按材料清单上传扫描件；可点击“选择文件”或将文件拖放到对应材料处。`,
		h('ul', { class: 'checklist' }, rows), {
			extra: h('button', { type: 'button', class: 'btn btn-quiet', onclick: () => abandon(c) }, '撤回草稿'),
			onNext: async (f, box) => {
				const missing = list.checklist.filter((x) => !present.has(x.document_type)).map((x) => docName(x.document_type));
				if (missing.length) { replace(box, h('div', { class: 'banner banner-error' }, `还缺以下材料：${missing.join('、')}。`)); return; }
				go(5);
			},
		});
	body.append(form);
}

async function abandon(c) {
	const ok = await confirmDialog('撤回草稿', h('p', {}, `撤回后案件 ${c.number} 作废，需重新受理。确定撤回？`), '撤回', '取消');
	if (!ok) return;
	try {
		const fresh1 = await get(`/api/v1/cases/${c.id}`);
		await post(`/api/v1/cases/${c.id}/actions/withdraw`, { version: fresh1.version });
	} catch (e) { toast(messageFor(e), 'error'); return; }
	clearDraft();
	st = fresh();
	toast(`案件 ${c.number} 已撤回`, 'ok');
	show();
}

// ---- step 6: review and submit ----

async function stepReview(body) {
	const c = await get(`/api/v1/cases/${st.case_id}`);
	const list = await get(`/api/v1/cases/${st.case_id}/attachments`);
	const t = types.find((x) => x.code === c.business_type) || { name: c.business_type, promised_days: '' };
	const f = c.fields || {};
	const rows = fieldRows(f);
	const form = stepForm('核对提交', '请与申请人核对以下信息。提交后案件送交属地登记机构审核，并可打印受理回执。',
		h('div', { class: 'review' },
			h('h3', {}, '案件'), facts([['案件编号', c.number], ['业务类型', t.name], ['状态', stateBadge(c.state)],
				['不动产单元', h('span', { class: 'mono' }, c.unit_code)], ['受理机构', c.receiving_agency.name], ['属地登记机构', c.deciding_agency.name]]),
			h('h3', {}, '申请人'),
			h('table', { class: 'grid' }, h('thead', {}, h('tr', {}, ['身份', '姓名或名称', '证件类型', '证件号码'].map((x) => h('th', { scope: 'col' }, x)))),
				h('tbody', {}, c.parties.map((p) => h('tr', {}, h('td', {}, ROLES[p.role] || p.role), h('td', {}, p.name), h('td', {}, ID_TYPES[p.id_type] || p.id_type), h('td', { class: 'mono' }, p.id_number))))),
			h('h3', {}, '业务信息'), facts(rows),
			h('h3', {}, '申请材料'),
			h('ul', { class: 'doc-summary' }, list.checklist.map((x) => h('li', {}, h('span', { class: x.present ? 'doc-ok' : 'doc-missing' }, x.present ? '已上传' : '缺'), ' ', docName(x.document_type),
				h('span', { class: 'muted' }, ' ' + list.items.filter((a) => a.document_type === x.document_type).map((a) => a.filename).join('、')))))),
		{
			next: '提交',
			onNext: async (form1, box) => {
				try {
					await post(`/api/v1/cases/${c.id}/actions/submit`, { version: c.version });
				} catch (e) {
					replace(box, h('div', { class: 'banner banner-error' }, '未能提交：' + messageFor(e)));
					return;
				}
				clearDraft();
				st = null;
				toast(`案件 ${c.number} 已提交`, 'ok');
				navigate(`#/cases/${c.id}/receipt`);
			},
		});
	body.append(form);
}
