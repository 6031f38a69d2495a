// What the registry search and archive query (查档) screens share: the
// Chinese names of the API's codes (requester kinds, visibilities, query
// states), the condition form (unit code / certificate number / holder
// name + ID number — ID numbers only ever in a POST body), the result card
// of one unit (rights and restrictions, or facts only), a keyset pager
// and the quota message with its reset time.

import { h, replace, fmtTime, fmtDate } from './ui.js';
import { messageFor } from './errors.js';
import { ID_TYPES, USES, money, facts, problemText } from './case_common.js';

export { ID_TYPES };

// Requester kinds (不动产登记资料查询暂行办法), what each may see and what
// each must bring: `ref` names the reference it needs (null: none).
export const KINDS = {
	holder: { name: '权利人', sees: '可查询本人名下不动产的全部登记信息，并可看到近 12 个月有哪些机构查询过这些不动产。', ref: null, conds: ['unit_code', 'certificate_no', 'holder'] },
	heir_guardian: { name: '继承人、监护人', sees: '按被继承人、被监护人的姓名和证件号码，查询其名下不动产的全部登记信息。', ref: null, conds: ['holder'] },
	interested_party: { name: '利害关系人', sees: '按不动产单元代码或证书号，查询合同、案件所涉不动产的登记结果。', ref: '合同编号或案号', conds: ['unit_code', 'certificate_no'] },
	prospective_party: { name: '拟交易当事人', sees: '仅可查询是否存在登记、是否共有、抵押、预告登记、异议、查封等事实，不含姓名和证号。', ref: null, conds: ['unit_code', 'certificate_no'] },
	lawyer: { name: '律师', sees: '持调查令，可查询案件所涉不动产的登记结果。', ref: '调查令编号', conds: ['unit_code', 'certificate_no', 'holder'] },
	state_organ: { name: '国家机关', sees: '持协助查询文书，可依法查询所涉不动产的全部登记信息。', ref: '协助查询文书编号', conds: ['unit_code', 'certificate_no', 'holder'] },
};
export const kindName = (k) => (KINDS[k] ? KINDS[k].name : k);

export const VISIBILITY = {
	full: '全部登记信息（权利人本人）',
	register: '登记结果',
	facts: '登记事实（不含姓名、证号）',
};

export const QUERY_STATES = {
	completed: '已完成', pending_approval: '待审批', rejected: '已驳回', approved: '已批准', failed: '未完成',
};
export function queryStateBadge(state) {
	return h('span', { class: 'state qstate-' + state }, QUERY_STATES[state] || state);
}

// ---- the condition: exactly one of unit code, certificate no., holder ----
export const CONDITION_KINDS = [
	['unit_code', '不动产单元代码'],
	['certificate_no', '不动产权证书号'],
	['holder', '权利人姓名和证件号码'],
];

// A fieldset choosing the kind of condition and its inputs; `prefix`
// keeps the ids of two forms apart. Returns {el, value(), focus(), mark(code)}.
export function conditionForm(prefix, initial = {}) {
	const kind = initial.holder ? 'holder' : initial.certificate_no ? 'certificate_no' : 'unit_code';
	const radios = CONDITION_KINDS.map(([k, text]) => {
		const input = h('input', { type: 'radio', name: prefix + '-ckind', value: k, id: `${prefix}-ckind-${k}`, checked: k === kind });
		return h('label', { class: 'choice', for: input.id }, input, h('span', {}, text));
	});
	const unit = h('input', { id: prefix + '-unit', type: 'text', class: 'mono', autocomplete: 'off', spellcheck: 'false', maxlength: '28', placeholder: '28 位，如 451302001002GB00001F00000001', value: initial.unit_code || '' });
	const cert = h('input', { id: prefix + '-cert', type: 'text', autocomplete: 'off', spellcheck: 'false', maxlength: '64', placeholder: '如 桂(2024)来宾市不动产权第0001234号', value: initial.certificate_no || '' });
	const name = h('input', { id: prefix + '-hname', type: 'text', autocomplete: 'off', maxlength: '64', value: (initial.holder && initial.holder.name) || '' });
	const idType = h('select', { id: prefix + '-htype' }, Object.entries(ID_TYPES).map(([k, v]) => h('option', { value: k }, v)));
	const idNo = h('input', { id: prefix + '-hid', type: 'text', class: 'mono', autocomplete: 'off', spellcheck: 'false', maxlength: '32' });
	const unitBox = h('div', { class: 'cond cond-unit_code' }, field2('不动产单元代码', unit, '28 位代码，字母须大写。'));
	const certBox = h('div', { class: 'cond cond-certificate_no' }, field2('不动产权证书号', cert, '括号用全角或半角均可。'));
	const holderBox = h('div', { class: 'cond cond-holder cond-row' },
		field2('权利人姓名', name), field2('证件类型', idType), field2('证件号码', idNo, '证件号码仅在加密连接的请求正文中传送，不出现在网址中。'));
	const boxes = { unit_code: unitBox, certificate_no: certBox, holder: holderBox };
	const current = () => radios.map((l) => l.querySelector('input')).find((i) => i.checked).value;
	const show = () => { for (const [k, b] of Object.entries(boxes)) b.hidden = k !== current(); };
	for (const l of radios) l.querySelector('input').addEventListener('change', show);
	show();
	const el = h('fieldset', { class: 'cond-set' },
		h('legend', {}, '查询条件'),
		h('div', { class: 'choices', role: 'radiogroup', 'aria-label': '查询方式' }, radios),
		unitBox, certBox, holderBox);
	const inputs = { unit_code: unit, certificate_no: cert, holder_name: name, id_number: idNo };
	return {
		el,
		// null (with the offending input marked) when incomplete
		value() {
			clearMarks(inputs);
			const k = current();
			if (k === 'unit_code') {
				const v = unit.value.trim().toUpperCase();
				if (!v) return bad(unit, '请输入不动产单元代码。');
				return { unit_code: v };
			}
			if (k === 'certificate_no') {
				const v = cert.value.trim();
				if (!v) return bad(cert, '请输入不动产权证书号。');
				return { certificate_no: v };
			}
			if (!name.value.trim()) return bad(name, '请输入权利人姓名。');
			if (!idNo.value.trim()) return bad(idNo, '请输入证件号码。');
			return { holder: { name: name.value.trim(), id_type: idType.value, id_number: idNo.value.trim().toUpperCase() } };
		},
		focus() { boxes[current()].querySelector('input').focus(); },
		// only the kinds of condition a requester kind may use (the server
		// refuses the others: condition_not_allowed)
		allow(kinds) {
			const inputs = radios.map((l) => l.querySelector('input'));
			for (const i of inputs) { i.disabled = !kinds.includes(i.value); i.parentElement.classList.toggle('choice-off', i.disabled); }
			if (!kinds.includes(current())) { inputs.find((i) => !i.disabled).checked = true; show(); }
		},
		// a refusal of the server shown at its input
		mark(err) {
			const p = (err && err.problem) || {};
			const k = current();
			const f = problemField(p);
			// the condition's own members: "unit_code", "holder/id_number" (or
			// "conditions/…" in a query), never the requester's
			if (/requester/.test(f)) return false;
			const target = p.code === 'invalid_unit_code' ? unit : p.code === 'invalid_id_number' && k === 'holder' ? idNo :
				p.code === 'invalid_certificate_no' ? cert : p.code === 'invalid_holder_name' && k === 'holder' ? name : null;
			if (!target) return false;
			bad(target, problemText(p));
			target.focus();
			return true;
		},
	};
}

// The member a 400 names: `field` when the API gives one, else the
// "member: …" its detail starts with.
export function problemField(p) {
	if (p && p.field) return String(p.field);
	const m = /^([A-Za-z_][\w/.]*): /.exec(String((p && p.detail) || ''));
	return m ? m[1] : '';
}

function field2(label, input, hint) {
	const hintEl = h('div', { class: 'hint', id: input.id + '-hint' }, hint || '');
	input.setAttribute('aria-describedby', input.id + '-hint');
	return h('div', { class: 'field' }, h('label', { for: input.id }, label), input, hintEl);
}
function clearMarks(inputs) {
	for (const i of Object.values(inputs)) {
		i.removeAttribute('aria-invalid');
		const hint = document.getElementById(i.id + '-hint');
		if (hint && hint.dataset.orig !== undefined) { hint.textContent = hint.dataset.orig; hint.classList.remove('bad'); }
	}
}
function bad(input, text) {
	input.setAttribute('aria-invalid', 'true');
	const hint = document.getElementById(input.id + '-hint');
	if (hint) {
		if (hint.dataset.orig === undefined) hint.dataset.orig = hint.textContent;
		hint.textContent = text;
		hint.classList.add('bad');
	}
	input.focus();
	return null;
}
export { bad as markInput };

// A condition as people read it (lists, approval queue).
export function conditionText(c) {
	if (!c) return '';
	if (c.unit_code) return '单元代码 ' + c.unit_code;
	if (c.certificate_no) return '证书号 ' + c.certificate_no;
	if (c.holder) return `权利人 ${c.holder.name || ''}${c.holder.id_number_masked ? '（' + c.holder.id_number_masked + '）' : ''}`;
	return '';
}

// "2026-11-28T10:00" (datetime-local, Beijing time) → RFC 3339, or null.
export function localToRfc3339(v) {
	if (!v) return null;
	const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})$/.exec(v);
	return m ? `${m[1]}T${m[2]}:00+08:00` : null;
}

// ---- one unit of a result -------------------------------------------
const YES_NO = (b) => (b ? h('strong', { class: 'yes' }, '是') : h('span', { class: 'no' }, '否'));

export function unitResult(u, visibility = 'register') {
	const parts = [
		h('h3', { class: 'card-title' }, u.location || (visibility === 'facts' ? '不动产单元' : '')),
		facts([
			['单元代码', u.code ? h('span', { class: 'mono nowrap' }, u.code) : null],
			['用途', u.use ? (USES[u.use] || u.use) : null],
			['面积', u.area_m2 !== undefined && u.area_m2 !== null ? Number(u.area_m2).toFixed(2) + ' 平方米' : null],
			['所在县区', u.county ? u.county.name : null],
		]),
	];
	if (u.facts) {
		const f = u.facts;
		parts.push(h('h4', {}, '登记事实'), h('dl', { class: 'facts facts-yn' },
			[['存在登记记录', f.exists], ['共有', f.co_owned], ['已抵押', f.mortgaged], ['预告登记', f.pre_noticed],
				['异议登记', f.objected], ['查封', f.seized]].map(([k, v]) => h('div', {}, h('dt', {}, k), h('dd', {}, YES_NO(v))))));
	}
	if (visibility === 'facts') return h('section', { class: 'unit-card result-card', 'aria-label': '不动产单元' }, parts);

	const seizures = u.seizures || [];
	if (seizures.length) {
		parts.push(h('div', { class: 'banner banner-error' }, h('strong', {}, '查封：'),
			h('ul', {}, seizures.map((s) => h('li', {}, s.authority || '', s.waiting ? '（轮候查封）' : '')))));
	}
	const objections = u.objections || [];
	if (objections.length) {
		parts.push(h('div', { class: 'banner banner-warn' }, h('strong', {}, '异议登记：'),
			objections.map((o) => o.holder_name).filter(Boolean).join('、') || `${objections.length} 项`));
	}
	const holders = u.holders || [];
	parts.push(h('h4', {}, '权利人'), holders.length ? table(['权利人', '证件类型', '证件号码', '份额', '不动产权证书号'],
		holders.map((x) => [x.name, ID_TYPES[x.id_type] || x.id_type || '', h('span', { class: 'mono' }, x.id_number_masked || ''),
			x.share || '单独所有', x.certificate_no || ''])) : h('p', { class: 'muted' }, '无现势权利人。'));
	const mortgages = u.mortgages || [];
	parts.push(h('h4', {}, '抵押'), mortgages.length ? table(['顺位', '抵押权人', '被担保债权数额', '债务履行期限', '不动产登记证明号'],
		mortgages.map((m) => [h('span', { class: 'nowrap' }, m.rank ? `第 ${m.rank} 顺位` : ''), m.mortgagee || '', h('span', { class: 'num' }, money(m.amount_fen)),
			m.term_from || m.term_to ? h('span', { class: 'nowrap' }, `${fmtDate(m.term_from)} 至 ${fmtDate(m.term_to)}`) : '', m.certificate_no || ''])) : h('p', { class: 'muted' }, '无现势抵押。'));
	const pre = u.pre_notices || [];
	if (pre.length) {
		parts.push(h('h4', {}, '预告登记'), table(['预告登记权利人', '不动产登记证明号'], pre.map((p) => [p.holder_name, p.certificate_no || ''])));
	}
	return h('section', { class: 'unit-card result-card', 'aria-label': '不动产单元 ' + (u.code || '') }, parts);
}

function table(heads, rows) {
	return h('table', { class: 'grid' },
		h('thead', {}, h('tr', {}, heads.map((t) => h('th', { scope: 'col' }, t)))),
		h('tbody', {}, rows.map((r) => h('tr', {}, r.map((c) => h('td', {}, c))))));
}

// "登记簿时点" as people read it.
export function asAtText(asAt, historical) {
	return historical ? `${fmtTime(asAt)}（历史时点）` : `${fmtTime(asAt)}（现势）`;
}

// A keyset pager: afters is the stack of cursors of the pages seen.
export function pager({ afters, next, count, onPrev, onNext, label = '条' }) {
	const page = afters.length;
	if (page <= 1 && !next) return null;   // one page: nothing to turn
	return h('nav', { class: 'pager', 'aria-label': '翻页' },
		h('span', { class: 'pager-info' }, `第 ${page} 页 · 本页 ${count} ${label}`),
		h('button', { type: 'button', class: 'btn btn-small', disabled: page <= 1, onclick: onPrev }, '上一页'),
		h('button', { type: 'button', class: 'btn btn-small', disabled: !next, onclick: onNext }, '下一页'));
}

// The quota refusal says when the quota is renewed.
export function queryError(err) {
	if (err && err.code === 'quota_exceeded') {
		const at = err.problem && err.problem.reset_at;
		return '今日查询次数已用完' + (at ? `，将于 ${fmtTime(at)} 恢复。` : '，请明日再试。');
	}
	return messageFor(err);
}

export function statusBox() {
	return h('div', { class: 'form-status', role: 'alert' });
}
export function say(box, text) { replace(box, text || ''); }
