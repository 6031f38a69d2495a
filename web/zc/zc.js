// 办事指南与通知公告 for applicants (/zc/): the published guides and
// notices of the region's registration agencies, on a phone (360–414 px)
// or a desktop. Two tabs (#/guide, #/notice), a search, the list with
// "更多", and one document (#/doc/{id}): title, facts, the body as
// paragraphs (plain text, always text nodes), PDF links. It asks only the
// public API (GET /api/v1/public/policies…), without credentials: no
// session, no cookie, no storage, nothing from elsewhere.

import { h, replace } from '../app/dom.js';

const TABS = [['guide', '办事指南'], ['notice', '通知公告']];
const NAMES = Object.fromEntries(TABS);
const PAGE = 20;
const MESSAGES = {
	not_found: '该文件不存在或已撤回。',
	invalid_parameter: '查询条件不正确，请修改后重试。',
	rate_limited: '访问过于频繁，请稍后再试。',
	network_error: '网络连接失败，请检查网络后重试。',
	outage: '服务暂时不可用，请稍后重试。',
	other: '暂时无法加载，请稍后重试。',
};

const date = (s) => (s ? String(s).slice(0, 10) : '');
function size(n) {
	if (n < 1024) return n + ' B';
	if (n < 1048576) return (n / 1024).toFixed(1) + ' KB';
	return (n / 1048576).toFixed(1) + ' MB';
}

async function call(path) {
	let res;
	try {
		res = await fetch(path, { headers: { Accept: 'application/json, application/problem+json' }, credentials: 'omit', referrerPolicy: 'no-referrer' });
	} catch {
		return { error: 'network_error' };
	}
	let body = {};
	try { body = await res.json(); } catch { body = {}; }
	if (res.ok) return { body };
	if (res.status === 404) return { error: 'not_found' };
	if (res.status === 400) return { error: 'invalid_parameter' };
	if (res.status === 429) return { error: 'rate_limited' };
	if (res.status >= 502) return { error: 'outage' };
	return { error: 'other' };
}

// #/guide?q=…, #/notice, #/doc/12
export function parseHash(hash) {
	const [path, qs] = String(hash || '').replace(/^#/, '').split('?');
	const q = new URLSearchParams(qs || '');
	const doc = /^\/doc\/(\d{1,18})$/.exec(path || '');
	if (doc) return { doc: doc[1], from: NAMES[q.get('from')] ? q.get('from') : 'guide' };
	const tab = (path || '').replace(/^\//, '');
	return { tab: NAMES[tab] ? tab : 'guide', q: (q.get('q') || '').trim().slice(0, 100) };
}

// Blank lines part paragraphs; each line is a line of its own, indented.
function paragraphs(body) {
	return String(body || '').replace(/\r\n?/g, '\n').split(/\n[ \t\u3000]*\n/)
		.map((p) => p.replace(/^\n+|\n+$/g, '')).filter((p) => p.trim() !== '')
		.map((p) => h('p', {}, p.split('\n').map((line) => h('span', { class: 'zc-line' }, line.replace(/^[ \t\u3000]+/, '')))));
}

function problem(code, retry) {
	return h('div', { class: 'zc-problem', role: 'alert' }, h('p', {}, MESSAGES[code] || MESSAGES.other),
		retry && code !== 'not_found' && code !== 'invalid_parameter' ? h('button', { type: 'button', class: 'zc-btn-small', onclick: retry }, '重试') : null);
}

function frame() {
	const app = document.getElementById('app');
	const main = h('main', { class: 'ap-main zc-main', id: 'main', tabindex: '-1' });
	replace(app,
		h('header', { class: 'ap-top' }, h('span', { class: 'brand-mark', 'aria-hidden': 'true' }, '通'), h('span', {}, '广西不动产登记全区通办')),
		main,
		h('footer', { class: 'ap-foot' }, h('p', {}, '办事指南与通知公告'), h('p', {}, '广西壮族自治区不动产登记')));
	return main;
}

async function listView(main, { tab, q }) {
	const input = h('input', { id: 'zc-q', type: 'search', name: 'q', value: q, maxlength: '100', placeholder: '输入关键词，如 抵押、继承', autocomplete: 'off', enterkeyhint: 'search' });
	const form = h('form', { class: 'zc-search', role: 'search', 'aria-label': '查找' + NAMES[tab] },
		h('label', { for: 'zc-q', class: 'zc-sr' }, '搜索' + NAMES[tab]), input,
		h('button', { type: 'submit', class: 'zc-go' }, '搜索'));
	form.addEventListener('submit', (ev) => {
		ev.preventDefault();
		const v = input.value.trim();
		location.hash = `#/${tab}` + (v ? '?q=' + encodeURIComponent(v) : '');
	});
	const list = h('ul', { class: 'zc-list', id: 'zc-list' });
	const status = h('p', { class: 'zc-status', role: 'status', 'aria-live': 'polite' });
	const more = h('button', { type: 'button', class: 'zc-more', hidden: true }, '更多');
	replace(main,
		h('h1', { class: 'zc-h1' }, '办事指南与通知公告'),
		h('nav', { class: 'zc-tabs', 'aria-label': '栏目' }, TABS.map(([k, t]) =>
			h('a', { href: `#/${k}`, class: 'zc-tab', 'aria-current': k === tab ? 'page' : null }, t))),
		form, status, list, more);
	let next = null;
	const load = async (after) => {
		const p = new URLSearchParams({ category: tab, limit: String(PAGE) });
		if (q) p.set('q', q);
		if (after) p.set('after', after);
		more.disabled = true;
		const r = await call('/api/v1/public/policies?' + p);
		more.disabled = false;
		if (r.error) { replace(status, problem(r.error, () => load(after))); return; }
		const items = r.body.items || [];
		for (const d of items) {
			list.appendChild(h('li', { class: 'zc-item' },
				h('a', { href: `#/doc/${d.id}?from=${tab}`, class: 'zc-item-link' },
					h('span', { class: 'zc-item-title' }, d.title),
					h('span', { class: 'zc-item-meta' },
						h('span', {}, d.issuer),
						d.published_on ? h('time', { datetime: date(d.published_on) }, date(d.published_on)) : null))));
		}
		next = r.body.next || null;
		more.hidden = !next;
		if (!after) {
			replace(status, items.length ? (q ? `“${q}”的搜索结果` : '') : (q ? `没有找到与“${q}”相关的${NAMES[tab]}。` : `暂无${NAMES[tab]}。`));
		}
	};
	more.addEventListener('click', () => load(next));
	await load(null);
}

async function docView(main, { doc, from }) {
	replace(main, h('p', { class: 'zc-status', role: 'status' }, '正在加载…'));
	const r = await call(`/api/v1/public/policies/${doc}`);
	const back = h('a', { href: `#/${from}`, class: 'zc-back' }, '‹ 返回', NAMES[from]);
	if (r.error) { replace(main, back, problem(r.error, () => docView(main, { doc, from }))); return; }
	const d = r.body;
	document.title = `${d.title} · 广西不动产登记全区通办`;
	const fact = (k, v) => (v ? h('div', { class: 'zc-fact' }, h('dt', {}, k), h('dd', {}, v)) : null);
	const files = d.attachments || [];
	replace(main,
		back,
		h('article', { class: 'ap-card zc-doc', 'aria-labelledby': 'zc-title' },
			h('p', { class: 'zc-kind' }, NAMES[d.category] || ''),
			h('h1', { class: 'zc-title', id: 'zc-title', tabindex: '-1' }, d.title),
			h('dl', { class: 'zc-facts' },
				fact('发文机关', d.issuer), fact('文号', d.doc_number), fact('发布日期', date(d.published_on)),
				fact('施行日期', date(d.effective_on)), fact('适用地区', d.division_name)),
			h('div', { class: 'zc-body', id: 'zc-body' }, paragraphs(d.body)),
			files.length ? h('section', { class: 'zc-files', 'aria-labelledby': 'zc-files-h' },
				h('h2', { id: 'zc-files-h' }, '附件'),
				h('ul', {}, files.map((a) => h('li', {},
					h('a', { href: `/api/v1/public/policies/${d.id}/attachments/${a.id}`, class: 'zc-pdf', download: a.filename },
						h('span', { class: 'zc-pdf-mark', 'aria-hidden': 'true' }, 'PDF'),
						h('span', { class: 'zc-pdf-name' }, a.filename),
						h('span', { class: 'zc-pdf-size' }, size(a.size))))))) : null),
		h('p', { class: 'ap-note' }, '本页内容以发文机关公布的正式文本为准。'));
	main.querySelector('h1').focus();
}

async function run() {
	const main = frame();
	const at = parseHash(location.hash);
	document.title = '办事指南与通知公告 · 广西不动产登记全区通办';
	if (at.doc) await docView(main, at);
	else await listView(main, at);
	if (!at.doc) window.scrollTo(0, 0);
}

if (typeof window !== 'undefined' && document.getElementById('app')) {
	window.addEventListener('hashchange', run);
	run();
}
