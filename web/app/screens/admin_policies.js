// 政策法规管理 (#/admin/policies): the documents the administrator keeps
// — the list with its filters (state, category, full-text search), the
// editor of a document (#/admin/policies/new, #/admin/policies/{id}): the
// division picker offers only divisions inside the user's policy.manage
// scopes (the API refuses anything else with 403 out_of_scope, and the
// refusal is shown as it came), publish behind a confirmation, withdraw
// with a reason, the PDF attachments (upload with a progress bar, list,
// delete), and the versions (#/admin/policies/{id}/versions[?v=n]): the
// list of saved versions and the full snapshot of one.
// Every write carries the version the screen was drawn from; a 409
// stale_version (someone saved in between) is said in Chinese with a
// button 重新加载 — nothing is overwritten silently.

import { h, replace, toast, fmtTime, fmtDate, confirmDialog, field, loading } from '../ui.js';
import { get, post, patch, del } from '../api.js';
import { navigate, query } from '../router.js';
import * as session from '../session.js';
import { adminFrame } from '../admin_nav.js';
import {
	CATEGORIES, POLICY_STATES, VERSION_ACTIONS, MAX_PDF, MAX_ATTACHMENTS, categoryName, stateTag, policyMessage,
	paragraphs, fmtSize, attachmentHref, metaList, mayManage, manageScopes, divisionChoices,
} from '../policy_common.js';

const HREF = '#/admin/policies';
const PAGE = 20;

function refusal(e, prefix) {
	return h('div', { class: 'banner banner-error', role: 'alert' },
		h('span', {}, `${prefix}：${policyMessage(e)}`),
		e && e.code ? h('span', { class: 'mono pol-code' }, e.code) : null);
}

function noRight(content) {
	replace(content, h('div', { class: 'admin-head' }, h('h1', { class: 'admin-title' }, '政策法规管理')),
		h('div', { class: 'banner banner-info', role: 'note' }, '您的账号没有政策法规管理权限。需要发布政策法规时，请向本辖区管理员提出权限申请。'));
}

// ---- the list -------------------------------------------------------------
const listState = { state: '', category: '', q: '', afters: [null] };

export async function renderList(main) {
	const content = adminFrame(main, HREF);
	if (!session.can('policy.manage')) { noRight(content); return; }
	const stateSel = h('select', { id: 'pol-f-state' }, h('option', { value: '' }, '全部'),
		POLICY_STATES.map(([v, t]) => h('option', { value: v, selected: listState.state === v }, t)));
	const catSel = h('select', { id: 'pol-f-category' }, h('option', { value: '' }, '全部'),
		CATEGORIES.map(([v, t]) => h('option', { value: v, selected: listState.category === v }, t)));
	const q = h('input', { id: 'pol-f-q', type: 'search', maxlength: '100', value: listState.q, placeholder: '标题或正文中的词语', autocomplete: 'off' });
	const form = h('form', { class: 'admin-filters', role: 'search', 'aria-label': '筛选文件' },
		field('状态', stateSel), field('类别', catSel), field('搜索', q),
		h('button', { type: 'submit', class: 'btn btn-primary' }, '查询'));
	const out = h('div', { id: 'pol-admin-list', 'aria-live': 'polite' });
	form.addEventListener('submit', (ev) => {
		ev.preventDefault();
		Object.assign(listState, { state: stateSel.value, category: catSel.value, q: q.value.trim(), afters: [null] });
		load();
	});
	for (const s of [stateSel, catSel]) s.addEventListener('change', () => form.requestSubmit());

	replace(content,
		h('div', { class: 'admin-head' },
			h('h1', { class: 'admin-title', tabindex: '-1' }, '政策法规管理'),
			h('div', { class: 'actions' }, h('a', { class: 'btn btn-primary', href: HREF + '/new' }, '新建文件')),
			h('p', { class: 'muted admin-sub' }, `起草、发布和撤回政策法规、办事指南与通知公告。您可管理的范围：${manageScopes().length ? '' : '无'}`,
				h('span', { id: 'pol-scope-names' }))),
		form, out);
	scopeNames(content.querySelector('#pol-scope-names'));

	async function load() {
		const after = listState.afters[listState.afters.length - 1];
		const p = new URLSearchParams({ limit: String(PAGE) });
		if (listState.state) p.set('state', listState.state);
		if (listState.category) p.set('category', listState.category);
		if (listState.q) p.set('q', listState.q);
		if (after) p.set('after', after);
		out.setAttribute('aria-busy', 'true');
		let r;
		try {
			r = await get('/api/v1/policies?' + p);
		} catch (e) {
			out.removeAttribute('aria-busy');
			replace(out, refusal(e, '无法加载文件列表'));
			return;
		}
		out.removeAttribute('aria-busy');
		const page = listState.afters.length;
		const rows = r.items.map((d) => h('tr', {},
			h('td', { class: 'pol-title-cell' }, h('a', { href: mayManage(d.division) ? `${HREF}/${d.id}` : `#/policies/${d.id}` }, d.title),
				d.doc_number ? h('div', { class: 'muted small' }, d.doc_number) : null),
			h('td', {}, categoryName(d.category)),
			h('td', {}, d.division_name || d.division),
			h('td', {}, stateTag(d.state)),
			h('td', { class: 'nowrap' }, `第 ${d.version} 版`),
			h('td', { class: 'nowrap' }, fmtTime(d.updated_at)),
			h('td', { class: 'admin-ops' },
				mayManage(d.division) && d.state !== 'withdrawn'
					? h('a', { class: 'btn btn-small', href: `${HREF}/${d.id}`, 'aria-label': `编辑：${d.title}` }, '编辑') : null,
				mayManage(d.division) ? h('a', { class: 'btn btn-small', href: `${HREF}/${d.id}/versions`, 'aria-label': `版本记录：${d.title}` }, '版本')
					: h('span', { class: 'muted small' }, '上级发布'))));
		replace(out,
			r.items.length ? h('div', { class: 'admin-table-wrap' },
				h('table', { class: 'admin-table pol-table' },
					h('caption', { class: 'sr-only' }, '政策法规文件'),
					h('thead', {}, h('tr', {}, ['标题', '类别', '适用范围', '状态', '版本', '最后修改', ''].map((t) => h('th', { scope: 'col' }, t)))),
					h('tbody', {}, rows)),
				page > 1 || r.next ? h('div', { class: 'admin-pager' },
					h('button', { type: 'button', class: 'btn btn-small', disabled: page === 1, onclick: () => { listState.afters.pop(); load(); } }, '上一页'),
					h('span', { class: 'muted' }, `第 ${page} 页`),
					h('button', { type: 'button', class: 'btn btn-small', disabled: !r.next, onclick: () => { listState.afters.push(r.next); load(); } }, '下一页')) : null)
				: h('div', { class: 'panel' }, h('p', { class: 'empty' }, listState.q || listState.state || listState.category
					? '没有符合条件的文件。' : '还没有文件。点击“新建文件”起草第一份。')));
	}
	await load();
}

async function scopeNames(el) {
	try {
		const groups = await Promise.all(manageScopes().map((s) => get('/api/v1/divisions/' + s)));
		el.textContent = groups.map((d) => d.name).join('、') + '。';
	} catch { el.textContent = manageScopes().join('、') + '。'; }
}

// ---- the editor -----------------------------------------------------------
function validDate(s) {
	if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) return false;
	const d = new Date(s + 'T00:00:00Z');
	return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}

const FIELDS = ['division', 'category', 'title', 'issuer', 'doc_number', 'published_on', 'effective_on', 'body'];

export async function renderEdit(main, [id]) {
	const content = adminFrame(main, HREF);
	if (!session.can('policy.manage')) { noRight(content); return; }
	loading(content);
	const choices = divisionChoices();
	let doc = null;
	if (id) doc = await get(`/api/v1/policies/${id}`);
	await drawEditor(content, doc, await choices);
}

async function drawEditor(content, doc, choices, note) {
	const isNew = !doc;
	const readOnly = !!doc && (doc.state === 'withdrawn' || !mayManage(doc.division));
	const alertBox = h('div', { class: 'pol-alert', 'aria-live': 'assertive' });

	// the picker: the user's scopes and below; a document's own division
	// stays selectable even when outside (the API decides, the screen says)
	const division = h('select', { id: 'pol-division', required: true, disabled: readOnly },
		isNew ? h('option', { value: '' }, '请选择适用范围') : null,
		choices.map((g) => h('optgroup', { label: g.group },
			g.options.map(([code, label]) => h('option', { value: code }, label)))));
	if (doc && ![...division.options].some((o) => o.value === doc.division)) {
		division.prepend(h('option', { value: doc.division }, doc.division_name || doc.division));
	}
	if (doc) division.value = doc.division;
	else if (choices.length === 1 && choices[0].options.length === 1) division.value = choices[0].options[0][0];
	const category = h('select', { id: 'pol-category', required: true, disabled: readOnly },
		isNew ? h('option', { value: '' }, '请选择类别') : null,
		CATEGORIES.map(([v, t]) => h('option', { value: v }, t)));
	if (doc) category.value = doc.category;
	const text = (idName, max, value, extra = {}) => h('input', { id: idName, type: 'text', maxlength: String(max), value: value || '', disabled: readOnly, autocomplete: 'off', ...extra });
	const title = text('pol-title', 200, doc && doc.title, { required: true });
	const issuer = text('pol-issuer', 100, doc && doc.issuer, { required: true, placeholder: '如：广西壮族自治区自然资源厅' });
	const docNumber = text('pol-doc-number', 100, doc && doc.doc_number, { placeholder: '如：桂自然资发〔2026〕12号' });
	// dates as text (YYYY-MM-DD): the same on every terminal, whatever the
	// browser's language (a date picker follows the system's format)
	const dateIn = (idName, value) => text(idName, 10, value, { inputmode: 'numeric', pattern: '\\d{4}-\\d{2}-\\d{2}', placeholder: '如 2026-11-20', class: 'mono pol-date' });
	const publishedOn = dateIn('pol-published-on', doc ? fmtDate(doc.published_on) : '');
	const effectiveOn = dateIn('pol-effective-on', doc ? fmtDate(doc.effective_on) : '');
	const body = h('textarea', { id: 'pol-body', rows: '14', maxlength: '200000', required: true, disabled: readOnly, spellcheck: 'false' });
	body.value = doc ? doc.body || '' : '';
	const counter = h('span', {}, '');
	const count = () => { counter.textContent = `${body.value.length.toLocaleString('zh-CN')} / 200,000 字`; };
	body.addEventListener('input', count);
	count();

	const inputs = { division, category, title, issuer, doc_number: docNumber, published_on: publishedOn, effective_on: effectiveOn, body };
	const values = () => ({
		division: division.value, category: category.value, title: title.value.trim(), issuer: issuer.value.trim(),
		doc_number: docNumber.value.trim(), published_on: publishedOn.value.trim() || null, effective_on: effectiveOn.value.trim() || null,
		body: body.value.replace(/\r\n?/g, '\n'),
	});
	const original = doc ? {
		division: doc.division, category: doc.category, title: doc.title, issuer: doc.issuer, doc_number: doc.doc_number || '',
		published_on: doc.published_on ? fmtDate(doc.published_on) : null, effective_on: doc.effective_on ? fmtDate(doc.effective_on) : null,
		body: doc.body || '',
	} : null;
	const changes = () => {
		const v = values();
		if (!original) return v;
		const out = {};
		for (const k of FIELDS) if (v[k] !== original[k]) out[k] = v[k];
		return out;
	};

	const check = () => {
		const v = values();
		const bad = [];
		if (!v.division) bad.push(['division', '请选择适用范围。']);
		if (!v.category) bad.push(['category', '请选择类别。']);
		if (!v.title || v.title.length > 200) bad.push(['title', '请填写标题（1–200 字）。']);
		if (!v.issuer || v.issuer.length > 100) bad.push(['issuer', '请填写发文机关（1–100 字）。']);
		for (const k of ['published_on', 'effective_on']) {
			if (v[k] && !validDate(v[k])) bad.push([k, `请按“年-月-日”填写${k === 'published_on' ? '发布日期' : '施行日期'}，如 2026-11-20。`]);
		}
		if (!v.body.trim()) bad.push(['body', '请填写正文。']);
		for (const [k, el] of Object.entries(inputs)) el.removeAttribute('aria-invalid');
		for (const [k] of bad) inputs[k].setAttribute('aria-invalid', 'true');
		return bad;
	};

	const stale = () => replace(alertBox, h('div', { class: 'banner banner-warn', role: 'alert', id: 'pol-stale' },
		h('span', {}, '该文件已被他人修改，您看到的不是最新版本，本次操作未执行。请重新加载后再修改（未保存的内容将丢失，必要时请先复制）。'),
		h('button', { type: 'button', class: 'btn btn-small btn-primary', onclick: () => reload() }, '重新加载')));
	const failed = (e, what) => {
		if (e.code === 'stale_version') stale();
		else replace(alertBox, refusal(e, what));
		alertBox.scrollIntoView({ block: 'nearest' });
	};
	const reload = async (msg) => {
		let fresh;
		try { fresh = await get(`/api/v1/policies/${doc.id}`); } catch (e) { failed(e, '无法重新加载'); return; }
		await drawEditor(content, fresh, choices, msg);
		const h1 = content.querySelector('h1');
		if (h1) h1.focus();
	};

	const save = h('button', { type: 'submit', class: 'btn btn-primary', id: 'pol-save' },
		isNew ? '保存草稿' : doc.state === 'published' ? '保存修改' : '保存');
	const form = h('form', { class: 'panel pol-form', novalidate: true, 'aria-labelledby': 'pol-form-title' },
		h('h2', { class: 'panel-title', id: 'pol-form-title' }, '文件内容'),
		h('div', { class: 'pol-grid' },
			field('适用范围', division, '含下级地区；只列出您有权管理的地区。'),
			field('类别', category, '办事指南和通知公告发布后同时在申请人公开页面公布。'),
			h('div', { class: 'pol-wide' }, field('标题', title)),
			field('发文机关', issuer),
			field('文号', docNumber, '没有文号的可不填。'),
			field('发布日期', publishedOn),
			field('施行日期', effectiveOn)),
		field('正文', body, counter),
		h('p', { class: 'muted small' }, '正文为纯文本：空一行为分段。'),
		readOnly ? null : h('div', { class: 'actions' }, save,
			!isNew && doc.state === 'published' ? h('span', { class: 'muted small' }, '已发布文件修改后形成新版本，工作人员将重新看到“未读”。') : null));
	form.addEventListener('submit', async (ev) => {
		ev.preventDefault();
		replace(alertBox);
		const bad = check();
		if (bad.length) {
			replace(alertBox, h('div', { class: 'banner banner-error', role: 'alert' }, bad.map(([, m]) => m).join(' ')));
			inputs[bad[0][0]].focus();
			return;
		}
		save.disabled = true;
		try {
			if (isNew) {
				const v = values();
				const req = { division: v.division, category: v.category, title: v.title, issuer: v.issuer, body: v.body };
				if (v.doc_number) req.doc_number = v.doc_number;
				if (v.published_on) req.published_on = v.published_on;
				if (v.effective_on) req.effective_on = v.effective_on;
				const created = await post('/api/v1/policies', req);
				toast('已保存为草稿', 'ok');
				navigate(`${HREF}/${created.id}`);
				return;
			}
			const ch = changes();
			if (!Object.keys(ch).length) { replace(alertBox, h('div', { class: 'banner banner-info', role: 'status' }, '内容没有修改，无需保存。')); return; }
			const saved = await patch(`/api/v1/policies/${doc.id}`, { version: doc.version, ...ch });
			toast(`已保存（第 ${saved.version} 版）`, 'ok');
			await drawEditor(content, saved, choices, `已保存为第 ${saved.version} 版。`);
		} catch (e) {
			failed(e, '未能保存');
		} finally {
			save.disabled = false;
		}
	});

	// publish / withdraw
	const dirty = () => !isNew && Object.keys(changes()).length > 0;
	const publish = async () => {
		replace(alertBox);
		if (dirty()) { replace(alertBox, h('div', { class: 'banner banner-warn', role: 'alert' }, '有尚未保存的修改，请先保存再发布。')); return; }
		const ok = await confirmDialog('发布文件', h('div', {},
			h('p', {}, `确认发布《${doc.title}》？`),
			h('p', {}, `发布后，${doc.division_name || doc.division}范围内的工作人员将在工作台看到该文件（标为未读）。`),
			['guide', 'notice'].includes(doc.category) ? h('p', {}, `该文件属于“${categoryName(doc.category)}”，将同时在申请人公开页面公布。`) : null,
			h('p', { class: 'muted' }, '此操作记入审计日志。')), '发布', '取消');
		if (!ok) return;
		try {
			const r = await post(`/api/v1/policies/${doc.id}/publish`, { version: doc.version });
			toast('已发布', 'ok');
			await drawEditor(content, r, choices, '文件已发布。');
		} catch (e) { failed(e, '未能发布'); }
	};
	const withdraw = async () => {
		replace(alertBox);
		const reason = h('textarea', { rows: '3', required: true, minlength: '2', maxlength: '200', id: 'pol-withdraw-reason' });
		const ok = await confirmDialog('撤回文件', h('div', { class: 'action-form' },
			h('p', {}, `撤回后，《${doc.title}》不再向工作人员和申请人展示，也不能再修改。`),
			field('撤回理由（2–200 字）', reason)), '撤回', '取消');
		if (!ok) return;
		const why = reason.value.trim();
		if (why.length < 2 || why.length > 200) { replace(alertBox, h('div', { class: 'banner banner-error', role: 'alert' }, '撤回理由须为 2–200 字，文件未撤回。')); return; }
		try {
			const r = await post(`/api/v1/policies/${doc.id}/withdraw`, { version: doc.version, reason: why });
			toast('已撤回', 'ok');
			await drawEditor(content, r, choices, '文件已撤回。');
		} catch (e) { failed(e, '未能撤回'); }
	};

	const head = h('div', { class: 'admin-head' },
		h('h1', { class: 'admin-title', tabindex: '-1' }, isNew ? '新建文件' : doc.title),
		!isNew ? h('div', { class: 'actions' },
			!readOnly && doc.state === 'draft' ? h('button', { type: 'button', class: 'btn btn-primary', id: 'pol-publish', onclick: publish }, '发布') : null,
			!readOnly && doc.state === 'published' ? h('button', { type: 'button', class: 'btn btn-danger-outline', id: 'pol-withdraw', onclick: withdraw }, '撤回') : null,
			h('a', { class: 'btn', href: `${HREF}/${doc.id}/versions` }, '版本记录'),
			doc.state === 'published' ? h('a', { class: 'btn', href: `#/policies/${doc.id}` }, '查看效果') : null,
			h('a', { class: 'btn', href: HREF }, '返回列表')) : h('div', { class: 'actions' }, h('a', { class: 'btn', href: HREF }, '返回列表')),
		!isNew ? h('p', { class: 'muted admin-sub pol-sub' }, stateTag(doc.state),
			` 第 ${doc.version} 版 · ${categoryName(doc.category)} · ${doc.division_name || doc.division}`,
			doc.updated_at ? ` · 最后修改 ${fmtTime(doc.updated_at)}` : '',
			doc.published_at ? ` · 发布于 ${fmtTime(doc.published_at)}` : '') : null);

	const noteEl = note ? h('div', { class: 'banner banner-ok', role: 'status' }, note) : null;
	replace(content,
		head,
		noteEl,
		doc && doc.state === 'withdrawn' ? h('div', { class: 'banner banner-warn', role: 'note' },
			`该文件已于 ${fmtTime(doc.withdrawn_at)} 撤回，理由：${doc.withdraw_reason || '—'}。已撤回的文件不能修改。`) : null,
		doc && !mayManage(doc.division) ? h('div', { class: 'banner banner-info', role: 'note' }, '该文件的适用范围不在您的管理权限之内，只能查看。') : null,
		alertBox,
		h('div', { class: 'pol-edit-grid' }, form,
			doc ? attachmentsPanel(doc, readOnly, async () => {
				// the attachment made a new version: take it when it is the
				// next one (our own change); anything else stays for a
				// stale_version on save
				try {
					const fresh = await get(`/api/v1/policies/${doc.id}`);
					if (fresh.version === doc.version + 1) doc.version = fresh.version;
					if (noteEl) noteEl.remove();
					head.querySelector('.pol-sub') && updateSub(head.querySelector('.pol-sub'), fresh);
					return fresh;
				} catch { return null; }
			}, failed) : h('aside', { class: 'panel pol-side' }, h('h2', { class: 'panel-title' }, '附件'),
				h('p', { class: 'muted' }, '保存草稿后可上传 PDF 附件（每个不超过 10 MB，最多 10 个）。'))));
}

function updateSub(el, d) {
	replace(el, stateTag(d.state), ` 第 ${d.version} 版 · ${categoryName(d.category)} · ${d.division_name || d.division}`,
		d.updated_at ? ` · 最后修改 ${fmtTime(d.updated_at)}` : '', d.published_at ? ` · 发布于 ${fmtTime(d.published_at)}` : '');
}

// ---- attachments ----------------------------------------------------------
// Upload with XMLHttpRequest (fetch reports no upload progress): the raw
// PDF as the body, its name in the query.
function uploadPdf(docId, file, bar) {
	return new Promise((resolve, reject) => {
		const xhr = new XMLHttpRequest();
		xhr.open('POST', `/api/v1/policies/${docId}/attachments?filename=${encodeURIComponent(file.name)}`);
		xhr.setRequestHeader('Accept', 'application/json, application/problem+json');
		xhr.setRequestHeader('Content-Type', 'application/pdf');
		const me = session.me;
		if (me && me.csrf_token) xhr.setRequestHeader('X-CSRF-Token', me.csrf_token);
		xhr.upload.onprogress = (e) => { if (e.lengthComputable) { bar.max = e.total; bar.value = e.loaded; } };
		xhr.onload = () => {
			let b = {};
			try { b = JSON.parse(xhr.responseText || '{}'); } catch { b = {}; }
			if (xhr.status >= 200 && xhr.status < 300) { bar.value = bar.max; resolve(b); }
			else reject({ status: xhr.status, code: b.code || 'http_' + xhr.status, problem: b });
		};
		xhr.onerror = () => reject({ status: 0, code: 'network_error', problem: {} });
		xhr.send(file);
	});
}

function attachmentsPanel(doc, readOnly, refresh, failed) {
	let items = (doc.attachments || []).slice();
	const list = h('ul', { class: 'pol-files', id: 'pol-files' });
	const msg = h('div', { class: 'hint', role: 'status', 'aria-live': 'polite' });
	const bars = h('div', { class: 'bars' });
	const countEl = h('span', { class: 'count' }, String(items.length));
	const input = h('input', { type: 'file', id: 'pol-file', class: 'file-input', accept: '.pdf,application/pdf', multiple: true, disabled: readOnly });
	const draw = () => {
		countEl.textContent = String(items.length);
		replace(list, items.length ? items.map((a) => h('li', { class: 'pol-file' },
			h('div', {}, h('a', { href: attachmentHref(doc.id, a), download: a.filename }, a.filename),
				h('div', { class: 'muted small' }, `${fmtSize(a.size)} · SHA-256 `, h('span', { class: 'mono', title: a.sha256 }, (a.sha256 || '').slice(0, 12) + '…'))),
			readOnly ? null : h('button', { type: 'button', class: 'btn btn-small btn-danger-outline', 'aria-label': `删除附件：${a.filename}`, onclick: () => remove(a) }, '删除')))
			: h('li', { class: 'muted' }, '暂无附件。'));
	};
	const remove = async (a) => {
		const ok = await confirmDialog('删除附件', h('p', {}, `确认删除附件「${a.filename}」？删除后形成新版本，原附件仍保留在版本记录中。`), '删除', '取消');
		if (!ok) return;
		try {
			await del(`/api/v1/policies/${doc.id}/attachments/${a.id}`);
		} catch (e) { failed(e, '未能删除附件'); return; }
		items = items.filter((x) => x.id !== a.id);
		draw();
		toast(`已删除附件「${a.filename}」`, 'ok');
		await refresh();
	};
	const take = async (files) => {
		replace(msg);
		msg.classList.remove('bad');
		const say = (t) => { msg.append(h('div', {}, t)); msg.classList.add('bad'); };
		for (const file of Array.from(files)) {
			if (!/\.pdf$/i.test(file.name) || (file.type && file.type !== 'application/pdf')) { say(`「${file.name}」不是 PDF 文件，不能上传。`); continue; }
			if (file.size > MAX_PDF) { say(`「${file.name}」大小为 ${(file.size / 1048576).toFixed(1)} MB，超过 10 MB 上限，不能上传。`); continue; }
			if (file.size === 0) { say(`「${file.name}」是空文件，不能上传。`); continue; }
			if (items.length >= MAX_ATTACHMENTS) { say(`每份文件最多 ${MAX_ATTACHMENTS} 个附件，「${file.name}」未上传。`); continue; }
			const bar = h('progress', { max: '100', value: '0', 'aria-label': `上传进度：${file.name}` });
			const line = h('div', { class: 'bar-line' }, h('span', { class: 'bar-name' }, file.name), bar, h('span', { class: 'bar-state' }, '上传中…'));
			bars.append(line);
			try {
				const a = await uploadPdf(doc.id, file, bar);
				line.lastChild.textContent = '已上传';
				line.classList.add('done');
				items.push(a);
				draw();
				await refresh();
			} catch (e) {
				line.lastChild.textContent = '失败';
				line.classList.add('failed');
				say(`「${file.name}」上传失败：${policyMessage(e)}`);
			}
		}
		input.value = '';
	};
	input.addEventListener('change', () => take(input.files));
	draw();
	const zone = readOnly ? null : h('div', { class: 'drop pol-drop' },
		h('label', { class: 'btn btn-small', for: 'pol-file' }, '选择 PDF 文件'), input,
		h('span', { class: 'muted small' }, '或拖放到此处。PDF 格式，每个不超过 10 MB，最多 10 个。'));
	if (zone) {
		zone.addEventListener('dragover', (e) => { e.preventDefault(); zone.classList.add('over'); });
		zone.addEventListener('dragleave', () => zone.classList.remove('over'));
		zone.addEventListener('drop', (e) => { e.preventDefault(); zone.classList.remove('over'); take(e.dataTransfer.files); });
	}
	return h('aside', { class: 'panel pol-side', 'aria-labelledby': 'pol-att-title' },
		h('h2', { class: 'panel-title', id: 'pol-att-title' }, '附件', countEl),
		list, zone, bars, msg);
}

// ---- versions -------------------------------------------------------------
export async function renderVersions(main, [id]) {
	const content = adminFrame(main, HREF);
	if (!session.can('policy.manage')) { noRight(content); return; }
	loading(content);
	const [doc, vs] = await Promise.all([get(`/api/v1/policies/${id}`), get(`/api/v1/policies/${id}/versions`)]);
	const items = (vs.items || []).slice().sort((a, b) => b.version - a.version);
	const want = Number(query().get('v')) || (items[0] && items[0].version);
	const view = h('section', { class: 'panel pol-snapshot', id: 'pol-snapshot', 'aria-live': 'polite', 'aria-labelledby': 'pol-snap-title' });
	const rows = items.map((v) => h('tr', { class: v.version === want ? 'row-current' : null, dataset: { version: String(v.version) } },
		h('td', { class: 'nowrap' }, `第 ${v.version} 版`),
		h('td', {}, VERSION_ACTIONS[v.action] || v.action),
		h('td', {}, stateTag(v.state)),
		h('td', {}, v.changed_by ? v.changed_by.display_name : '—'),
		h('td', { class: 'nowrap' }, fmtTime(v.changed_at)),
		h('td', { class: 'admin-ops' }, h('a', {
			class: 'btn btn-small', href: `${HREF}/${id}/versions?v=${v.version}`, 'aria-label': `查看第 ${v.version} 版`,
			'aria-current': v.version === want ? 'true' : null,
		}, '查看'))));
	replace(content,
		h('div', { class: 'admin-head' },
			h('h1', { class: 'admin-title', tabindex: '-1' }, '版本记录'),
			h('div', { class: 'actions' },
				mayManage(doc.division) && doc.state !== 'withdrawn' ? h('a', { class: 'btn', href: `${HREF}/${id}` }, '编辑') : null,
				h('a', { class: 'btn', href: HREF }, '返回列表')),
			h('p', { class: 'muted admin-sub' }, `《${doc.title}》 · 当前 第 ${doc.version} 版 · `, stateTag(doc.state))),
		h('div', { class: 'pol-versions-grid' },
			h('div', { class: 'admin-table-wrap' },
				h('table', { class: 'admin-table', id: 'pol-versions' },
					h('caption', { class: 'sr-only' }, '版本列表'),
					h('thead', {}, h('tr', {}, ['版本', '操作', '状态', '修改人', '时间', ''].map((t) => h('th', { scope: 'col' }, t)))),
					h('tbody', {}, rows))),
			view));
	if (want) await showSnapshot(view, id, want);
}

async function showSnapshot(view, id, n) {
	replace(view, h('p', { class: 'loading', role: 'status' }, '正在加载…'));
	let s;
	try { s = await get(`/api/v1/policies/${id}/versions/${n}`); } catch (e) { replace(view, refusal(e, '无法加载该版本')); return; }
	replace(view,
		h('p', { class: 'pol-snap-label' }, `第 ${s.version || n} 版快照`, s.state ? [' · ', stateTag(s.state)] : null),
		h('h2', { id: 'pol-snap-title', class: 'pol-doc-title' }, s.title),
		metaList(s),
		h('div', { class: 'pol-body' }, paragraphs(s.body)),
		s.attachments && s.attachments.length ? h('div', { class: 'pol-snap-files' },
			h('h3', {}, '附件'),
			h('ul', {}, s.attachments.map((a) => h('li', {}, a.filename, h('span', { class: 'muted small' }, ` ${fmtSize(a.size)}`))))) : null);
}
