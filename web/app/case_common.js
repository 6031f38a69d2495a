// What the case screens share: the Chinese names of the API's codes
// (states, actions, roles, ID types, documents), the state badge, the
// unit card, the server's validation (POST /api/v1/cases/validate — the
// rules live once, in fcgi/domain; the browser only asks and shows), an
// upload with a progress bar, and the draft kept in sessionStorage.

import { h, replace, fenToYuan, fmtTime, fmtDate } from './ui.js';
import { post } from './api.js';
import { messageFor } from './errors.js';
import * as session from './session.js';

export const STATES = {
	draft: '草稿', submitted: '已提交待受理', accepted: '已受理', supplement_requested: '待补正',
	rejected: '不予登记', approved: '审核通过', registered: '已登簿', fees_set: '已核定收费',
	paid: '已缴费', issued: '已缮证', delivered: '已发证', closed: '已办结', withdrawn: '已撤回',
};

export const ACTIONS = {
	create: '创建草稿', submit: '提交', accept: '受理', request_supplement: '要求补正',
	resubmit: '补正后重新提交', reject: '不予登记', approve: '审核通过', register: '登簿',
	set_fees: '核定收费', record_payment: '登记缴费', issue: '缮证', deliver: '发证', close: '办结',
	withdraw: '撤回申请',
};

export const ROLES = { right_holder: '权利人', obligor: '义务人', agent: '代理人' };

export const ID_TYPES = {
	resident_id: '居民身份证', passport: '护照', hk_macao_permit: '港澳居民来往内地通行证',
	taiwan_permit: '台湾居民来往大陆通行证', uscc: '统一社会信用代码', other: '其他证件',
};

export const DOCUMENTS = {
	// as cases.document_type names them (the receipt carries the server's names)
	application: '不动产登记申请书', identity: '申请人身份证明', mortgage_contract: '抵押合同',
	sale_contract: '买卖合同', ownership_proof: '不动产权属证书', power_of_attorney: '授权委托书', other: '其他材料',
};
export const docName = (code) => DOCUMENTS[code] || code;
// filed beside the checklist when there are any (an agent's authority, anything else)
export const OPTIONAL_DOCS = ['power_of_attorney', 'other'];

export const USES = { residential: '住宅', non_residential: '非住宅', parking: '车位、车库', storeroom: '储藏室', other: '其他' };
export const MORTGAGE_TYPES = { ordinary: '一般抵押', maximum: '最高额抵押' };

export const FIELD_NAMES = {
	mortgagee_bank: '抵押权人（银行）', mortgagee_name: '抵押权人', amount_fen: '被担保债权数额',
	term_from: '债务履行期限起', term_to: '债务履行期限止', mortgage_type: '抵押方式', debtor: '债务人',
	entry_id: '涉及的登记记录', buyer: '买受人', seller: '出卖人', contract_number: '买卖合同编号',
	price_fen: '合同价款', reason: '注销原因', description: '申请事项说明',
};

const FIELD_ORDER = ['mortgagee_name', 'amount_fen', 'mortgage_type', 'term_from', 'term_to', 'debtor', 'buyer', 'seller',
	'contract_number', 'price_fen', 'entry_id', 'reason', 'description'];

// A case's business fields as [label, text] in a fixed reading order.
export function fieldRows(f) {
	return Object.keys(f || {}).filter((k) => k !== 'mortgagee_bank')
		.sort((a, b) => (FIELD_ORDER.indexOf(a) + 1 || 99) - (FIELD_ORDER.indexOf(b) + 1 || 99))
		.map((k) => [FIELD_NAMES[k] || k, k.endsWith('_fen') ? money(f[k]) : k === 'mortgage_type' ? (MORTGAGE_TYPES[f[k]] || f[k]) : String(f[k])]);
}

// "mortgage.establish" → the category and action parts
export function typeParts(code) {
	const [category, action] = String(code || '').split('.');
	return { category, action };
}

export function stateBadge(state) {
	return h('span', { class: 'state state-' + state }, STATES[state] || state);
}

export function money(fen) {
	return fen === null || fen === undefined ? '' : fenToYuan(fen) + ' 元';
}

// A definition list from [label, value] pairs (empty values left out).
export function facts(pairs, cls = 'facts') {
	return h('dl', { class: cls }, pairs.filter(([, v]) => v !== null && v !== undefined && v !== '')
		.map(([k, v]) => h('div', {}, h('dt', {}, k), h('dd', {}, v))));
}

// The API's English `detail` for a refused value, said in Chinese. The
// rule itself is the server's; this only chooses the words.
export function problemText(p) {
	const d = String(p.detail || '');
	if (p.code === 'invalid_id_number') {
		if (/check (digit|character)/.test(d)) return '证件号码校验位不正确，请核对后重新录入。';
		if (/in the future/.test(d)) return '身份证号码中的出生日期晚于今天。';
		if (/birth date/.test(d)) return '身份证号码中的出生日期不是有效日期。';
		if (/17 digits/.test(d)) return '居民身份证号码应为 18 位：17 位数字加 1 位数字或 X。';
		return '证件号码不正确。';
	}
	if (p.code === 'invalid_unit_code') {
		if (/28 characters/.test(d)) return '不动产单元代码应为 28 位。';
		if (/first six digits/.test(d)) return '前 6 位须为广西的县级行政区划代码。';
		if (/Characters 7-12/.test(d)) return '第 7–12 位（地籍区、地籍子区）须为数字。';
		if (/Characters 13-14/.test(d)) return '第 13–14 位须为宗地特征码（G、J 或 Z 加一个大写字母）。';
		if (/Characters 15-19/.test(d)) return '第 15–19 位（宗地顺序号）须为数字。';
		if (/Character 20/.test(d)) return '第 20 位须为定着物特征码 F、L、Q 或 W。';
		if (/Characters 21-28/.test(d)) return '第 21–28 位须为数字（特征码为 W 时全为 0）。';
		return messageFor(p);
	}
	if (p.code === 'invalid_field' && /term_to|after term_from/.test(String(p.field) + d)) return '期限止日须晚于期限起日。';
	if (p.code === 'invalid_field' && /date/.test(d)) return '请填写有效日期（年-月-日）。';
	if (p.code === 'invalid_field' && /bank/.test(d)) return '请从列表中选择银行，或填写抵押权人名称。';
	if (p.code === 'invalid_field' && /right holder/.test(d)) return '至少要有一名权利人。';
	if (p.code === 'missing_field') return '此项为必填项。';
	return messageFor(p);
}

// Ask the server whether a (partial) create body is valid. Answers the
// problems list ([] when valid); a failure of the check itself is thrown.
export async function validate(body) {
	const res = await post('/api/v1/cases/validate', body, { quiet: true });
	return res.problems || [];
}

// The unit card: what the registry holds on the unit. `pick` (optional)
// {kind: 'mortgages'|'pre_notices'|'holders', selected, onPick} turns the
// rows of that kind into choices (a cancellation names the entry it ends).
export function unitCard(card, pick) {
	const u = card.unit;
	const seizures = card.seizures || [];
	const parts = [
		h('h3', { class: 'card-title' }, '不动产单元信息'),
		facts([
			['单元代码', h('span', { class: 'mono' }, u.code)],
			['坐落', u.location],
			['用途', USES[u.use] || u.use],
			['面积', Number(u.area_m2).toFixed(2) + ' 平方米'],
			['所在县区', u.county ? u.county.name : ''],
			['属地登记机构', u.deciding_agency ? u.deciding_agency.name : ''],
		]),
	];
	if (seizures.length) {
		parts.push(h('div', { class: 'banner banner-error', role: 'alert' },
			h('strong', {}, '查封警示：'), `该单元现有 ${seizures.length} 项查封，查封期间不能办理登簿。`,
			h('ul', {}, seizures.map((s) => h('li', {}, `${s.authority}，${fmtDate(s.since)} 起`)))));
	}
	if (card.pending_cases) {
		parts.push(h('p', { class: 'banner banner-warn' }, `该单元另有 ${card.pending_cases} 件在办案件，按受理先后顺序办理。`));
	}
	const choice = (kind, e, text) => {
		if (!pick || pick.kind !== kind) return null;
		return h('td', {}, h('input', {
			type: 'radio', name: 'entry_pick', value: String(e.entry_id), 'aria-label': '选择：' + text,
			checked: String(pick.selected) === String(e.entry_id), onchange: () => pick.onPick(e.entry_id),
			dataset: { path: 'fields/entry_id' },
		}));
	};
	const pickHead = (kind) => (pick && pick.kind === kind ? h('th', { scope: 'col' }, '选择') : null);
	const holders = card.holders || [];
	parts.push(h('h4', {}, '权利人'), holders.length ? h('table', { class: 'grid' },
		h('thead', {}, h('tr', {}, pickHead('holders'), ['权利人', '证件类型', '证件号码', '份额', '不动产权证号'].map((t) => h('th', { scope: 'col' }, t)))),
		h('tbody', {}, holders.map((x) => h('tr', {}, choice('holders', x, x.name), h('td', {}, x.name),
			h('td', {}, ID_TYPES[x.id_type] || x.id_type || ''), h('td', { class: 'mono' }, x.id_number_masked || ''),
			h('td', {}, x.share || '单独所有'), h('td', {}, x.certificate_no || '')))))
		: h('p', { class: 'muted' }, '登记簿中无现势权利人。'));
	const mortgages = card.mortgages || [];
	parts.push(h('h4', {}, '抵押'), mortgages.length ? h('table', { class: 'grid' },
		h('thead', {}, h('tr', {}, pickHead('mortgages'), ['顺位', '抵押权人', '债权数额', '期限', '方式', '登记于'].map((t) => h('th', { scope: 'col' }, t)))),
		h('tbody', {}, mortgages.map((m) => h('tr', {}, choice('mortgages', m, `第 ${m.rank} 顺位 ${m.mortgagee}`),
			h('td', {}, `第 ${m.rank} 顺位`), h('td', {}, m.mortgagee || ''), h('td', { class: 'num' }, money(m.amount_fen)),
			h('td', {}, `${fmtDate(m.term_from)} 至 ${fmtDate(m.term_to)}`), h('td', {}, MORTGAGE_TYPES[m.mortgage_type] || m.mortgage_type || ''),
			h('td', {}, fmtDate(m.since))))))
		: h('p', { class: 'muted' }, '无现势抵押。'));
	const pre = card.pre_notices || [];
	if (pre.length || (pick && pick.kind === 'pre_notices')) {
		parts.push(h('h4', {}, '预告登记'), pre.length ? h('table', { class: 'grid' },
			h('thead', {}, h('tr', {}, pickHead('pre_notices'), ['预告登记权利人', '登记证明号', '登记于'].map((t) => h('th', { scope: 'col' }, t)))),
			h('tbody', {}, pre.map((p) => h('tr', {}, choice('pre_notices', p, p.holder_name),
				h('td', {}, p.holder_name), h('td', {}, p.certificate_no || ''), h('td', {}, fmtDate(p.since))))))
			: h('p', { class: 'muted' }, '无现势预告登记。'));
	}
	const objections = card.objections || [];
	if (objections.length) {
		parts.push(h('p', { class: 'banner banner-warn' }, `该单元有 ${objections.length} 项异议登记。`));
	}
	return h('section', { class: 'unit-card', 'aria-label': '不动产单元信息' }, parts);
}

// Upload one document with XMLHttpRequest (fetch reports no upload
// progress). `bar` is a <progress>; resolves with the stored attachment,
// rejects with an ApiError-like {status, code, problem}.
export function upload(caseId, documentType, file, bar) {
	return new Promise((resolve, reject) => {
		const fd = new FormData();
		fd.append('document_type', documentType);
		fd.append('file', file, file.name);
		const xhr = new XMLHttpRequest();
		xhr.open('POST', `/api/v1/cases/${caseId}/attachments`);
		xhr.setRequestHeader('Accept', 'application/json, application/problem+json');
		const me = session.me;
		if (me && me.csrf_token) xhr.setRequestHeader('X-CSRF-Token', me.csrf_token);
		xhr.setRequestHeader('Idempotency-Key', newKey());
		xhr.upload.onprogress = (e) => { if (e.lengthComputable && bar) { bar.max = e.total; bar.value = e.loaded; } };
		xhr.onload = () => {
			let body = {};
			try { body = JSON.parse(xhr.responseText || '{}'); } catch { body = {}; }
			if (xhr.status >= 200 && xhr.status < 300) { if (bar) bar.value = bar.max; resolve(body); }
			else reject({ status: xhr.status, code: body.code || 'http_' + xhr.status, problem: body });
		};
		xhr.onerror = () => reject({ status: 0, code: 'network_error', problem: {} });
		xhr.send(fd);
	});
}

export const MAX_UPLOAD = 20 * 1024 * 1024;
const ACCEPTED = { 'application/pdf': /\.pdf$/i, 'image/jpeg': /\.jpe?g$/i, 'image/png': /\.png$/i };

// Refuse before any byte travels: a type other than PDF/JPEG/PNG (by its
// name and the browser's type) or more than 20 MiB. null when acceptable.
export function refuseFile(file) {
	const byType = ACCEPTED[file.type];
	const byName = Object.values(ACCEPTED).some((re) => re.test(file.name));
	if (!byName || (file.type && !byType)) return `「${file.name}」不是 PDF、JPEG 或 PNG 文件，不能上传。`;
	if (file.size > MAX_UPLOAD) return `「${file.name}」大小为 ${(file.size / 1048576).toFixed(1)} MB，超过 20 MB 上限，不能上传。`;
	if (file.size === 0) return `「${file.name}」是空文件，不能上传。`;
	return null;
}

export function newKey() {
	const b = new Uint8Array(16);
	crypto.getRandomValues(b);
	return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

export function fmtSize(n) {
	if (n < 1024) return n + ' B';
	if (n < 1048576) return (n / 1024).toFixed(1) + ' KB';
	return (n / 1048576).toFixed(1) + ' MB';
}

// One document row of a checklist with a file picker, a drop zone and a
// progress bar per file. onDone(attachment) after each stored upload.
export function uploadRow(caseId, docType, present, files, onDone, { required = true } = {}) {
	const status = h('span', { class: present ? 'doc-ok' : 'doc-missing' }, present ? '已上传' : (required ? '缺' : '可选'));
	const list = h('ul', { class: 'file-list' }, files.map((f) => h('li', {}, fileLink(caseId, f))));
	const msg = h('div', { class: 'hint', role: 'status', 'aria-live': 'polite' });
	const bars = h('div', { class: 'bars' });
	const input = h('input', { type: 'file', class: 'file-input', accept: '.pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png', multiple: true, id: 'file-' + docType, 'aria-label': `选择文件：${docName(docType)}` });
	const take = async (fileList) => {
		replace(msg);
		msg.classList.remove('bad');
		for (const file of Array.from(fileList)) {
			const why = refuseFile(file);
			if (why) { msg.append(h('div', {}, why)); msg.classList.add('bad'); continue; }
			const bar = h('progress', { max: '100', value: '0', 'aria-label': `上传进度：${file.name}` });
			const line = h('div', { class: 'bar-line' }, h('span', { class: 'bar-name' }, file.name), bar, h('span', { class: 'bar-state' }, '上传中…'));
			bars.append(line);
			try {
				const a = await upload(caseId, docType, file, bar);
				line.lastChild.textContent = '已上传';
				line.classList.add('done');
				list.append(h('li', {}, fileLink(caseId, a)));
				status.className = 'doc-ok';
				status.textContent = '已上传';
				onDone && onDone(a);
			} catch (e) {
				line.lastChild.textContent = '失败';
				line.classList.add('failed');
				msg.append(h('div', {}, `「${file.name}」上传失败：${messageFor(e)}`));
				msg.classList.add('bad');
			}
		}
		input.value = '';
	};
	input.addEventListener('change', () => take(input.files));
	const zone = h('div', { class: 'drop', dataset: { doc: docType } },
		h('label', { class: 'btn btn-small', for: input.id }, '选择文件'),
		input,
		h('span', { class: 'muted' }, '或将文件拖放到此处（PDF、JPEG、PNG，单个不超过 20 MB）'));
	zone.addEventListener('dragover', (e) => { e.preventDefault(); zone.classList.add('over'); });
	zone.addEventListener('dragleave', () => zone.classList.remove('over'));
	zone.addEventListener('drop', (e) => { e.preventDefault(); zone.classList.remove('over'); take(e.dataTransfer.files); });
	return h('li', { class: 'doc-row', dataset: { doc: docType } },
		h('div', { class: 'doc-head' }, h('span', { class: 'doc-name' }, docName(docType)), status),
		list, zone, bars, msg);
}

export function fileLink(caseId, a) {
	return h('span', {}, h('a', { href: `/api/v1/cases/${caseId}/attachments/${a.id}`, target: '_blank', rel: 'noopener' }, a.filename),
		h('span', { class: 'muted' }, ` ${fmtSize(a.size)} · ${fmtTime(a.uploaded_at)}`));
}

// The wizard's draft in sessionStorage: type, unit code, field values,
// party roles and names, the created case's id and the idempotency key —
// never an ID number (the issue: nothing sensitive in browser storage).
const DRAFT = 'tb.case_draft';
export function loadDraft() {
	try { return JSON.parse(sessionStorage.getItem(DRAFT) || 'null'); } catch { return null; }
}
export function saveDraft(d) {
	const safe = { ...d, parties: (d.parties || []).map(({ role, name, id_type }) => ({ role, name, id_type })) };
	sessionStorage.setItem(DRAFT, JSON.stringify(safe));
}
export function clearDraft() { sessionStorage.removeItem(DRAFT); }
