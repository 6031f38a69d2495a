// 查档申请 (#/queries/new): the archive query a window files for an
// applicant — who asks (requester kind and identity, the reference the
// kind needs), why (purpose), the evidence (uploaded first to
// POST /api/v1/query-evidence), and what (one condition, optionally the
// register as at a past time). POST /api/v1/queries answers it at once or
// holds it for approval (whitelisted person); the result page follows.

import { h, replace, toast } from '../ui.js';
import { api, post } from '../api.js';
import { messageFor } from '../errors.js';
import { navigate } from '../router.js';
import { refuseFile, fmtSize, problemText } from '../case_common.js';
import { KINDS, ID_TYPES, conditionForm, localToRfc3339, queryError, statusBox, say, markInput, problemField } from '../query_common.js';

const MAX_EVIDENCE = 10 * 1024 * 1024;

export async function render(main) {
	const status = statusBox();
	let evidence = null;

	// -- requester --
	const kindRadios = Object.entries(KINDS).map(([k, v], i) => {
		const input = h('input', { type: 'radio', name: 'q-kind', value: k, id: 'q-kind-' + k, checked: i === 0 });
		return h('label', { class: 'choice kind-choice', for: input.id }, input, h('span', {}, v.name));
	});
	const kindNote = h('p', { class: 'kind-note', id: 'q-kind-note', 'aria-live': 'polite' });
	const rName = h('input', { id: 'q-name', type: 'text', autocomplete: 'off', maxlength: '64' });
	const rType = h('select', { id: 'q-idtype' }, Object.entries(ID_TYPES).map(([k, v]) => h('option', { value: k }, v)));
	const rId = h('input', { id: 'q-idno', type: 'text', class: 'mono', autocomplete: 'off', spellcheck: 'false', maxlength: '32' });
	const ref = h('input', { id: 'q-ref', type: 'text', autocomplete: 'off', maxlength: '128' });
	const refLabel = h('label', { for: 'q-ref' });
	const refBox = h('div', { class: 'field' }, refLabel, ref, h('div', { class: 'hint', id: 'q-ref-hint' }));
	ref.setAttribute('aria-describedby', 'q-ref-hint');
	const kind = () => kindRadios.map((l) => l.querySelector('input')).find((i) => i.checked).value;
	const showKind = () => {
		const k = KINDS[kind()];
		replace(kindNote, k.sees);
		refBox.hidden = !k.ref;
		replace(refLabel, k.ref || '');
		cond.allow(k.conds);
	};
	for (const l of kindRadios) l.querySelector('input').addEventListener('change', showKind);

	// -- purpose --
	const purpose = h('textarea', { id: 'q-purpose', rows: '2', maxlength: '500', 'aria-describedby': 'q-purpose-hint' });

	// -- evidence --
	const file = h('input', { type: 'file', id: 'q-file', class: 'file-input', accept: '.pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png', 'aria-describedby': 'q-file-hint' });
	const fileHint = h('div', { class: 'hint', id: 'q-file-hint', 'aria-live': 'polite' }, '身份证明、调查令、公函、合同等，PDF、JPEG 或 PNG，不超过 10 MB。');
	const bar = h('progress', { max: '1', value: '0', hidden: true, 'aria-label': '上传进度' });
	file.addEventListener('change', () => { if (file.files[0]) upload(file.files[0]); });

	async function upload(f) {
		evidence = null;
		fileHint.classList.remove('bad', 'good');
		const refused = refuseFile(f) || (f.size > MAX_EVIDENCE ? `「${f.name}」大小为 ${fmtSize(f.size)}，超过 10 MB 上限，不能上传。` : null);
		if (refused) { fileHint.textContent = refused; fileHint.classList.add('bad'); return; }
		fileHint.textContent = `正在上传「${f.name}」…`;
		bar.hidden = false; bar.removeAttribute('value');
		const fd = new FormData();
		fd.append('file', f, f.name);
		try {
			const r = await api('POST', '/api/v1/query-evidence', fd);
			evidence = r;
			fileHint.textContent = `已上传「${f.name}」（${fmtSize(r.size)}，SHA-256 ${String(r.sha256).slice(0, 12)}…）`;
			fileHint.classList.add('good');
		} catch (e) {
			fileHint.textContent = queryError(e);
			fileHint.classList.add('bad');
		} finally {
			bar.hidden = true;
		}
	}

	// -- conditions --
	const cond = conditionForm('q');
	const histToggle = h('input', { type: 'checkbox', id: 'q-hist' });
	const asAt = h('input', { type: 'datetime-local', id: 'q-asat', step: '60' });
	const asAtBox = h('div', { class: 'field asat-field' }, h('label', { for: 'q-asat' }, '历史时点（北京时间）'), asAt,
		h('div', { class: 'hint', id: 'q-asat-hint' }, '不选则按当前登记簿出具结果。'));
	asAt.setAttribute('aria-describedby', 'q-asat-hint');
	asAtBox.hidden = true;
	histToggle.addEventListener('change', () => { asAtBox.hidden = !histToggle.checked; if (histToggle.checked) asAt.focus(); });

	const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, '提交查询');
	const form = h('form', { class: 'query-form', novalidate: true, 'aria-label': '查档申请' },
		status,
		h('section', { class: 'panel' },
			h('h2', { class: 'panel-title' }, h('span', { class: 'step-no' }, '1'), '查询申请人'),
			h('fieldset', { class: 'plain' }, h('legend', {}, '申请人类型'),
				h('div', { class: 'choices', role: 'radiogroup', 'aria-label': '申请人类型', 'aria-describedby': 'q-kind-note' }, kindRadios)),
			kindNote,
			h('div', { class: 'cond-row' },
				fld('申请人姓名或名称', rName), fld('证件类型', rType), fld('证件号码', rId, '与证明材料一致。'), refBox)),
		h('section', { class: 'panel' },
			h('h2', { class: 'panel-title' }, h('span', { class: 'step-no' }, '2'), '查询目的和证明材料'),
			h('div', { class: 'two-fields' },
				h('div', { class: 'field' }, h('label', { for: 'q-purpose' }, '查询目的'), purpose,
					h('div', { class: 'hint', id: 'q-purpose-hint' }, '如：办理继承公证、诉讼举证、购房前核实。记入审计日志和查询结果证明。')),
				h('div', { class: 'field' }, h('span', { class: 'field-label', id: 'q-file-label' }, '证明材料'),
					h('div', { class: 'drop' },
						h('label', { class: 'btn', for: 'q-file' }, '选择文件'), file, bar),
					fileHint))),
		h('section', { class: 'panel' },
			h('h2', { class: 'panel-title' }, h('span', { class: 'step-no' }, '3'), '查询内容'),
			cond.el,
			h('div', { class: 'asat-row' }, h('label', { class: 'check', for: 'q-hist' }, histToggle, '按历史时点查询'), asAtBox)),
		h('div', { class: 'step-actions' }, submit,
			h('span', { class: 'muted' }, '涉及白名单人员的查询须经不动产所在地属地管理员审批后方可出具结果。')));
	file.setAttribute('aria-labelledby', 'q-file-label');

	form.addEventListener('submit', async (ev) => {
		ev.preventDefault();
		say(status);
		for (const i of [rName, rId, ref, purpose]) i.removeAttribute('aria-invalid');
		const k = kind();
		if (!rName.value.trim()) return markInput(rName, '请填写申请人姓名或名称。');
		if (!rId.value.trim()) return markInput(rId, '请填写申请人证件号码。');
		if (KINDS[k].ref && !ref.value.trim()) return markInput(ref, `请填写${KINDS[k].ref}。`);
		if (!purpose.value.trim()) return markInput(purpose, '请填写查询目的。');
		if (!evidence) {
			say(status, '请先上传证明材料。');
			file.focus();
			return;
		}
		const c = cond.value();
		if (!c) return;
		const body = {
			requester: { kind: k, name: rName.value.trim(), id_type: rType.value, id_number: rId.value.trim().toUpperCase() },
			purpose: purpose.value.trim(), evidence_id: evidence.id, conditions: c,
		};
		if (KINDS[k].ref) body.requester.reference = ref.value.trim();
		if (histToggle.checked) {
			const at = localToRfc3339(asAt.value);
			if (!at) return markInput(asAt, '请选择历史时点的日期和时间。');
			body.as_at = at;
		}
		submit.disabled = true;
		let q;
		try {
			q = await post('/api/v1/queries', body);
		} catch (e) {
			submit.disabled = false;
			const p = e.problem || {};
			const f = problemField(p);
			if (e.code === 'invalid_id_number' && /requester/.test(f)) { markInput(rId, problemText(p)); return; }
			if (/requester\/name/.test(f)) { markInput(rName, '请填写申请人姓名或名称（1–100 个字）。'); return; }
			if (/requester\/reference/.test(f)) { markInput(ref, `请填写${KINDS[k].ref || '相关文书编号'}。`); return; }
			if (e.code === 'invalid_as_at') { markInput(asAt, messageFor(e)); return; }
			if (e.code === 'missing_purpose') { markInput(purpose, '请填写查询目的。'); return; }
			if (e.code === 'missing_reference') { markInput(ref, `请填写${KINDS[k].ref || '相关文书编号'}。`); return; }
			if (cond.mark(e)) return;
			if (e.code === 'invalid_id_number') { markInput(rId, problemText(p)); return; }
			say(status, queryError(e));
			status.scrollIntoView({ block: 'center' });
			return;
		}
		toast(q.state === 'pending_approval' ? `查询 ${q.serial} 已提交，待审批。` : `查询 ${q.serial} 已完成。`, q.state === 'pending_approval' ? 'info' : 'ok');
		navigate(`#/queries/${q.id}`);
	});

	replace(main,
		h('div', { class: 'page-head' }, h('h1', {}, '查档申请'),
			h('p', { class: 'muted page-sub' }, '依据《不动产登记资料查询暂行办法》，按申请人类型出具相应范围的查询结果。')),
		form);
	showKind();
	kindRadios[0].querySelector('input').focus();
}

function fld(label, input, hint) {
	const hintEl = h('div', { class: 'hint', id: input.id + '-hint' }, hint || '');
	input.setAttribute('aria-describedby', input.id + '-hint');
	return h('div', { class: 'field' }, h('label', { for: input.id }, label), input, hintEl);
}
