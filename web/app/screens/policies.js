// 政策法规 for every staff user: #/policies — the documents that apply to
// the user's agency (the region's, its city's, its county's), unread ones
// marked 未读, tabs by category, a full-text search and 只看未读;
// #/policies/{id} — one document: title, facts, the body as paragraphs
// (plain text, text nodes only), the PDF attachments to download; opening
// a published document marks its current version read (POST …/read).
// Also the home screen's panel 政策法规 (homePanel): the latest unread and
// their count, and a link to all.

import { h, replace, fmtTime, fmtDate, loading, toast } from '../ui.js';
import { get, post } from '../api.js';
import * as session from '../session.js';
import { query } from '../router.js';
import {
	CATEGORIES, categoryName, stateTag, policyMessage, paragraphs, fmtSize, attachmentHref, metaList, mayManage,
} from '../policy_common.js';

const PAGE = 20;
const TABS = [['', '全部'], ...CATEGORIES];
const listState = { category: '', q: '', unread: false };

function problem(e, what, retry) {
	return h('div', { class: 'banner banner-error', role: 'alert' }, `${what}：${policyMessage(e)}`,
		retry ? h('button', { type: 'button', class: 'btn btn-small', onclick: retry }, '重试') : null);
}

function unreadTag() { return h('span', { class: 'tag tag-red pol-unread' }, '未读'); }

export async function renderList(main) {
	if (query().get('unread') === '1') listState.unread = true;
	const tabs = h('div', { class: 'tabs', role: 'tablist', 'aria-label': '文件类别' });
	const panel = h('div', { class: 'tabpanel pol-list-panel', role: 'tabpanel', id: 'pol-list', tabindex: '-1' });
	const q = h('input', { id: 'pol-q', type: 'search', maxlength: '100', value: listState.q, placeholder: '输入标题或正文中的词语', autocomplete: 'off' });
	const onlyUnread = h('button', { type: 'button', class: 'btn btn-quiet-dark', 'aria-pressed': String(listState.unread), id: 'pol-only-unread',
		onclick: () => { listState.unread = !listState.unread; onlyUnread.setAttribute('aria-pressed', String(listState.unread)); load(null, true); } }, '只看未读');
	const search = h('form', { class: 'search pol-search', role: 'search', 'aria-label': '搜索政策法规' },
		h('label', { for: 'pol-q', class: 'search-label' }, '搜索'), q,
		h('button', { type: 'submit', class: 'btn btn-primary' }, '搜索'), onlyUnread);
	search.addEventListener('submit', (ev) => { ev.preventDefault(); listState.q = q.value.trim(); load(null, true); });
	const unreadNote = h('span', { class: 'muted', id: 'pol-unread-count', 'aria-live': 'polite' });

	const buttons = {};
	TABS.forEach(([key, text], i) => {
		const b = h('button', { type: 'button', role: 'tab', id: `pol-tab-${key || 'all'}`, 'aria-controls': 'pol-list', onclick: () => select(key, true) }, text);
		b.addEventListener('keydown', (e) => {
			let j = null;
			if (e.key === 'ArrowRight') j = (i + 1) % TABS.length;
			else if (e.key === 'ArrowLeft') j = (i + TABS.length - 1) % TABS.length;
			else if (e.key === 'Home') j = 0;
			else if (e.key === 'End') j = TABS.length - 1;
			if (j === null) return;
			e.preventDefault();
			select(TABS[j][0], true);
		});
		buttons[key] = b;
		tabs.appendChild(b);
	});

	replace(main,
		h('div', { class: 'page-head' },
			h('div', {}, h('h1', { tabindex: '-1' }, '政策法规'),
				h('p', { class: 'muted page-sub' }, `适用于${session.me.agency.name}的法律法规、政策文件、办事指南和通知公告。`, unreadNote)),
			session.can('policy.manage') ? h('a', { class: 'btn', href: '#/admin/policies' }, '政策法规管理') : null),
		h('div', { class: 'panel panel-tight' }, search),
		h('section', { class: 'panel panel-flush', 'aria-label': '文件列表' }, tabs, panel));

	function select(key, focus) {
		listState.category = key;
		for (const [k] of TABS) {
			buttons[k].setAttribute('aria-selected', String(k === key));
			buttons[k].tabIndex = k === key ? 0 : -1;
		}
		panel.setAttribute('aria-labelledby', `pol-tab-${key || 'all'}`);
		if (focus) buttons[key].focus();
		load(null, true);
	}

	const list = h('ul', { class: 'pol-list' });
	const more = h('button', { type: 'button', class: 'btn btn-small' }, '加载更多');
	let next = null;
	more.addEventListener('click', () => load(next, false));

	async function load(after, fresh) {
		// staff read published documents here; drafts are the editor's
		const p = new URLSearchParams({ limit: String(PAGE), state: 'published' });
		if (listState.category) p.set('category', listState.category);
		if (listState.q) p.set('q', listState.q);
		if (listState.unread) p.set('unread', '1');
		if (after) p.set('after', after);
		panel.setAttribute('aria-busy', 'true');
		let r;
		try {
			r = await get('/api/v1/policies?' + p);
		} catch (e) {
			panel.removeAttribute('aria-busy');
			replace(panel, problem(e, '无法加载政策法规', () => load(after, fresh)));
			return;
		}
		panel.removeAttribute('aria-busy');
		unreadNote.textContent = r.unread_count ? ` 您有 ${r.unread_count} 篇未读。` : ' 没有未读文件。';
		const items = r.items;
		if (fresh) replace(list);
		for (const d of items) list.appendChild(itemRow(d));
		next = r.next || null;
		more.hidden = !next;
		const empty = fresh && !items.length;
		replace(panel, empty ? h('p', { class: 'empty' }, listState.q ? `没有与“${listState.q}”相关的文件。`
			: listState.unread ? '没有未读文件。' : '暂无文件。') : list,
		h('div', { class: 'pager' }, more));
	}
	select(listState.category, false);
}

function itemRow(d) {
	return h('li', { class: d.unread ? 'pol-item pol-item-unread' : 'pol-item' },
		h('div', { class: 'pol-item-head' },
			d.unread ? h('span', { class: 'dot', 'aria-hidden': 'true' }) : null,
			h('a', { href: `#/policies/${d.id}`, class: 'pol-item-title' }, d.title),
			d.unread ? unreadTag() : null),
		h('div', { class: 'pol-item-meta muted' },
			h('span', { class: 'tag tag-blue' }, categoryName(d.category)),
			h('span', {}, d.issuer),
			d.doc_number ? h('span', {}, d.doc_number) : null,
			d.published_on ? h('span', {}, `发布 ${fmtDate(d.published_on)}`) : null,
			h('span', {}, `适用：${d.division_name || d.division}`)));
}

export async function renderDoc(main, [id]) {
	loading(main);
	const d = await get(`/api/v1/policies/${id}`);
	const manage = mayManage(d.division);
	replace(main,
		h('nav', { class: 'pol-crumbs', 'aria-label': '位置' }, h('a', { href: '#/policies' }, '政策法规'), ' › ', categoryName(d.category)),
		h('article', { class: 'panel pol-doc', 'aria-labelledby': 'pol-doc-title' },
			h('header', { class: 'pol-doc-head' },
				d.state !== 'published' ? h('p', { class: 'banner banner-warn', role: 'note' }, stateTag(d.state),
					d.state === 'draft' ? '草稿，尚未发布，仅管理员可见。' : `已撤回${d.withdraw_reason ? '（' + d.withdraw_reason + '）' : ''}，仅管理员可见。`) : null,
				h('h1', { id: 'pol-doc-title', class: 'pol-doc-title', tabindex: '-1' }, d.title),
				metaList(d)),
			h('div', { class: 'pol-body', id: 'pol-body' }, paragraphs(d.body)),
			d.attachments && d.attachments.length ? h('section', { class: 'pol-attachments', 'aria-labelledby': 'pol-att-h' },
				h('h2', { id: 'pol-att-h' }, '附件'),
				h('ul', {}, d.attachments.map((a) => h('li', {},
					h('a', { href: attachmentHref(d.id, a), download: a.filename, class: 'pol-pdf' }, a.filename),
					h('span', { class: 'muted small' }, ` PDF · ${fmtSize(a.size)}`))))) : null,
			h('footer', { class: 'pol-doc-foot muted small' },
				`第 ${d.version} 版`, d.published_at ? ` · 发布于 ${fmtTime(d.published_at)}` : '',
				d.updated_at ? ` · 更新于 ${fmtTime(d.updated_at)}` : '')),
		h('div', { class: 'actions' },
			h('a', { class: 'btn', href: '#/policies' }, '返回列表'),
			manage && d.state !== 'withdrawn' ? h('a', { class: 'btn', href: `#/admin/policies/${d.id}` }, '编辑') : null));
	main.querySelector('h1').focus();
	if (d.state === 'published') {
		try { await post(`/api/v1/policies/${d.id}/read`); } catch (e) { toast('未能标记为已读：' + policyMessage(e), 'error'); }
	}
}

// ---- the home panel ---------------------------------------------------------
export async function homePanel(box) {
	const title = (n) => h('h2', { id: 'pol-home-title', class: 'panel-title' }, '政策法规',
		n ? h('span', { class: 'badge', id: 'pol-home-unread', 'aria-label': `${n} 篇未读` }, String(n)) : null);
	const all = h('a', { href: '#/policies', class: 'pol-home-all' }, '查看全部');
	let r;
	try {
		r = await get('/api/v1/policies?unread=1&limit=5');
	} catch (e) {
		replace(box, h('div', { class: 'panel-head' }, title(0), all), problem(e, '无法加载', () => homePanel(box)));
		return;
	}
	const items = r.items.filter((d) => d.unread !== false);
	replace(box,
		h('div', { class: 'panel-head' }, title(r.unread_count || 0), all),
		items.length ? h('ul', { class: 'notes pol-home-list' }, items.map((d) => h('li', { class: 'note note-unread' },
			h('div', { class: 'note-line' },
				h('span', { class: 'dot', 'aria-hidden': 'true' }),
				h('a', { href: `#/policies/${d.id}`, class: 'note-msg' }, d.title),
				h('span', { class: 'sr-only' }, '（未读）')),
			h('div', { class: 'note-meta' },
				h('span', { class: 'tag tag-blue' }, categoryName(d.category)),
				h('span', { class: 'muted' }, d.published_on ? fmtDate(d.published_on) : d.issuer)))))
			: h('p', { class: 'empty' }, '没有未读的政策法规。'),
		r.unread_count > items.length ? h('p', { class: 'muted small' }, `另有 ${r.unread_count - items.length} 篇未读，`, h('a', { href: '#/policies?unread=1' }, '全部查看'), '。') : null);
}
