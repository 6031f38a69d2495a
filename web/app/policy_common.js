// 政策法规: what the staff reading screens, the home panel and the
// administrator's screens share — the names of categories and states, the
// body as paragraphs (plain text, always text nodes: a document is never
// markup), the attachment links, the division picker over the user's
// policy.manage scopes, and the messages of the policy API's refusals.

import { h, fmtDate } from './ui.js';
import { cached } from './api.js';
import { messageFor } from './errors.js';
import * as session from './session.js';

export const CATEGORIES = [
	['law', '法律法规'], ['policy', '政策文件'], ['guide', '办事指南'], ['notice', '通知公告'],
];
export const CATEGORY_NAMES = Object.fromEntries(CATEGORIES);
export const POLICY_STATES = [['draft', '草稿'], ['published', '已发布'], ['withdrawn', '已撤回']];
export const POLICY_STATE_NAMES = Object.fromEntries(POLICY_STATES);
export const VERSION_ACTIONS = {
	create: '新建', update: '修改', publish: '发布', withdraw: '撤回',
	attach: '上传附件', attachment_add: '上传附件', attachment_delete: '删除附件', detach: '删除附件',
};

export const MAX_PDF = 10 * 1024 * 1024;
export const MAX_ATTACHMENTS = 10;

export function categoryName(c) { return CATEGORY_NAMES[c] || c; }
export function stateTag(state) {
	return h('span', { class: `state pol-state pol-state-${state}` }, POLICY_STATE_NAMES[state] || state);
}

// The policy API's own codes in words (the shared errors.js says
// invalid_state of a case; here it is the document's).
const MESSAGES = {
	stale_version: '该文件已被他人修改，您看到的不是最新版本，本次操作未执行。',
	policy_withdrawn: '该文件已撤回，不能再修改。',
	invalid_state: '文件当前状态不允许此操作，请重新加载查看最新状态。',
	out_of_scope: '所选适用范围不在您的政策法规管理权限之内。',
	not_found: '该文件不存在，或您无权查看。',
	policy_not_found: '该文件不存在，或您无权查看。',
	attachment_not_found: '该附件不存在或已删除。',
	version_not_found: '该文件没有这个版本。',
	policy_attachment_not_pdf: '只能上传 PDF 文件。',
	policy_attachment_too_large: '附件不能超过 10 MB。',
	policy_attachment_limit: '每份文件最多 10 个附件。',
	attachment_limit: '每份文件最多 10 个附件。',
	too_many_attachments: '每份文件最多 10 个附件。',
	attachment_too_large: '附件不能超过 10 MB。',
	body_too_large: '附件不能超过 10 MB。',
	not_pdf: '只能上传 PDF 文件。',
	unsupported_attachment_type: '只能上传 PDF 文件。',
	unsupported_media_type: '只能上传 PDF 文件。',
	invalid_filename: '文件名不符合要求。',
	forbidden: '您没有管理该文件的权限。',
};
export function policyMessage(e) {
	if (e && MESSAGES[e.code]) return MESSAGES[e.code];
	return messageFor(e);
}

// The body: blank lines part paragraphs; each line of a paragraph is a
// line of its own, indented as official documents are. Text nodes only.
export function paragraphs(body) {
	const parts = String(body || '').replace(/\r\n?/g, '\n').split(/\n[ \t\u3000]*\n/)
		.map((p) => p.replace(/^\n+|\n+$/g, '')).filter((p) => p.trim() !== '');
	return parts.map((p) => h('p', {}, p.split('\n').map((line) => h('span', { class: 'pol-line' }, line.replace(/^[ \t\u3000]+/, '')))));
}

export function fmtSize(n) {
	if (n < 1024) return n + ' B';
	if (n < 1048576) return (n / 1024).toFixed(1) + ' KB';
	return (n / 1048576).toFixed(1) + ' MB';
}

export function attachmentHref(docId, a) { return `/api/v1/policies/${docId}/attachments/${a.id}`; }

// The facts under a title: 发文机关, 文号, dates, where it applies.
export function metaList(d, { withDivision = true, withVersion = false } = {}) {
	const row = (k, v) => (v ? h('div', { class: 'pol-meta-row' }, h('dt', {}, k), h('dd', {}, v)) : null);
	return h('dl', { class: 'pol-meta' },
		row('类别', categoryName(d.category)),
		row('发文机关', d.issuer),
		row('文号', d.doc_number),
		row('发布日期', fmtDate(d.published_on)),
		row('施行日期', fmtDate(d.effective_on)),
		withDivision ? row('适用范围', d.division_name || d.division) : null,
		withVersion ? row('版本', `第 ${d.version} 版`) : null);
}

// ---- divisions ----------------------------------------------------------
// Codes: region NN0000, city NNNN00, county NNNNNN.
export function covers(scope, division) {
	if (!scope || !division) return false;
	if (/0000$/.test(scope)) return division.slice(0, 2) === scope.slice(0, 2);
	if (/00$/.test(scope)) return division.slice(0, 4) === scope.slice(0, 4);
	return division === scope;
}

// The divisions where the user holds policy.manage (widest first, none
// inside another).
export function manageScopes() {
	const me = session.me;
	if (!me) return [];
	const all = [...new Set(me.permissions.filter((p) => p.permission === 'policy.manage').map((p) => p.scope))];
	return all.filter((s) => !all.some((o) => o !== s && covers(o, s))).sort();
}
export function mayManage(division) { return manageScopes().some((s) => covers(s, division)); }

async function division(code) {
	return cached('/api/v1/divisions/' + code);
}
async function children(code) {
	const d = await division(code);
	if (!d.children) return [];
	const list = await cached('/api/v1/divisions?parent=' + code);
	return list.items || [];
}

// The options of the division picker: each scope and everything under it,
// as [{group, options: [[code, label]]}] (a region's cities become groups).
export async function divisionChoices() {
	const groups = [];
	for (const scope of manageScopes()) {
		const d = await division(scope);
		const kids = d.level === 'county' ? [] : await children(scope);
		if (d.level === 'region') {
			groups.push({ group: d.name, options: [[d.code, `${d.name}（全区）`]] });
			const cities = await Promise.all(kids.map(async (c) => ({ c, counties: await children(c.code) })));
			for (const { c, counties } of cities) {
				groups.push({ group: c.name, options: [[c.code, `${c.name}（全市）`], ...counties.map((k) => [k.code, `${c.name} ${k.name}`])] });
			}
		} else if (d.level === 'city') {
			groups.push({ group: d.name, options: [[d.code, `${d.name}（全市）`], ...kids.map((k) => [k.code, `${d.name} ${k.name}`])] });
		} else {
			groups.push({ group: d.name, options: [[d.code, d.name]] });
		}
	}
	return groups;
}
