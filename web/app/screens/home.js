// 工作台: the three worklists as tabs with their counts (keyset paging),
// the agency inbox with its unread count, and a search by case number or
// by a party's ID number.

import { h, replace, fmtTime, fmtDate, stateName, toast, loading } from '../ui.js';
import { get, post, cached } from '../api.js';
import { messageFor, isOutage } from '../errors.js';
import { navigate } from '../router.js';
import * as session from '../session.js';
import { homePanel } from './policies.js';

const LISTS = [
	['waiting', '待我办理', '需要您办理下一步的案件'],
	['received_elsewhere', '本机构受理、外地审核', '本机构窗口受理、由不动产所在地审核登簿的案件'],
	['overdue', '已超期', '超过承诺办结日期仍未办结的案件'],
];
const PAGE = 20;
const ID_TYPES = [
	['resident_id', '居民身份证号码'], ['passport', '护照号码'], ['hk_macao_permit', '港澳通行证号码'],
	['taiwan_permit', '台湾通行证号码'], ['uscc', '统一社会信用代码'], ['other', '其他证件号码'],
];
const ROLE_NAMES = { right_holder: '权利人', obligor: '义务人', agent: '代理人' };

// Kept while the page is open: returning from a case shows the same tab.
const state = { list: 'waiting', afters: [null] };

async function names() {
	const [types, agencies] = await Promise.all([
		cached('/api/v1/business-types').catch(() => ({ items: [] })),
		cached('/api/v1/agencies').catch(() => ({ items: [] })),
	]);
	const t = new Map(types.items.map((x) => [x.code, x.name]));
	const a = new Map(agencies.items.map((x) => [x.code, x.name.replace(/不动产登记中心$/, '')]));
	return { type: (c) => t.get(c) || c, agency: (c) => a.get(c) || c };
}

function greeting() {
	const hr = new Date().getHours();
	return hr < 12 ? '上午好' : hr < 18 ? '下午好' : '晚上好';
}

export async function render(main) {
	loading(main);
	const me = session.me;
	const label = names();
	const canCreate = session.can('case.create');
	const readsCases = session.can('case.read');

	const searchStatus = h('div', { class: 'search-result', 'aria-live': 'polite' });
	const kind = h('select', { id: 'search-kind', 'aria-label': '查询方式' },
		h('option', { value: 'number' }, '案件编号'),
		ID_TYPES.map(([v, t]) => h('option', { value: v }, t)));
	const q = h('input', { id: 'search-q', type: 'search', autocomplete: 'off', spellcheck: 'false', maxlength: '32', placeholder: 'TB-450103-2026-000001', 'aria-label': '查询内容' });
	const go = h('button', { type: 'submit', class: 'btn btn-primary' }, '查询');
	const searchForm = h('form', { class: 'search', role: 'search', 'aria-label': '查询案件', novalidate: true },
		h('label', { for: 'search-q', class: 'search-label' }, '查询案件'), kind, q, go);
	kind.addEventListener('change', () => {
		q.placeholder = kind.value === 'number' ? 'TB-450103-2026-000001' : '输入完整证件号码';
	});
	searchForm.addEventListener('submit', async (ev) => {
		ev.preventDefault();
		go.disabled = true;
		try { await search(kind.value, q.value.trim(), searchStatus, await label); } finally { go.disabled = false; }
	});

	const tabs = h('div', { class: 'tabs', role: 'tablist', 'aria-label': '工作清单' });
	const panel = h('div', { class: 'tabpanel', role: 'tabpanel', id: 'worklist', tabindex: '-1' });
	const inbox = h('section', { class: 'panel inbox', 'aria-labelledby': 'inbox-title' });
	const policies = h('section', { class: 'panel pol-home', id: 'pol-home', 'aria-labelledby': 'pol-home-title' });

	replace(main,
		h('div', { class: 'page-head' },
			h('div', {},
				h('h1', {}, '工作台'),
				h('p', { class: 'muted page-sub' }, `${greeting()}，${me.user.display_name || me.user.username}。${me.agency.name}`)),
			canCreate ? h('a', { class: 'btn btn-primary', href: '#/cases/new' }, '受理登记') : null),
		session.needsMfa() ? h('div', { class: 'banner banner-warn', role: 'status' },
			'您的管理角色须使用动态验证码登录后才生效。', h('a', { href: '#/totp' }, '绑定动态验证码')) : null,
		readsCases ? h('div', { class: 'panel panel-tight no-print' }, searchForm, searchStatus) : null,
		readsCases ? h('div', { class: 'home-grid' },
			h('section', { class: 'panel panel-flush worklists', 'aria-label': '工作清单' }, tabs, panel),
			h('div', { class: 'home-side' }, inbox, policies)) : session.can('query.create') || session.can('registry.read')
			? h('div', { class: 'panel' }, h('p', {}, '您的账号用于登记资料查询。'), h('div', { class: 'actions' },
				session.can('query.create') ? h('a', { class: 'btn btn-primary', href: '#/queries/new' }, '查档申请') : null,
				session.can('query.create') ? h('a', { class: 'btn', href: '#/queries' }, '我的查询') : null,
				h('a', { class: 'btn', href: '#/registry' }, '登记信息查询')))
			: h('div', { class: 'panel' }, h('p', {}, '您的账号没有查看案件的权限。如需办理业务，请向本机构管理员申请相应角色。')),
		readsCases ? null : policies);
	homePanel(policies);
	if (!readsCases) return;

	const tabButtons = {};
	for (const [key, text, desc] of LISTS) {
		const count = h('span', { class: 'count', id: `count-${key}` }, '…');
		const b = h('button', {
			type: 'button', role: 'tab', id: `tab-${key}`, 'aria-controls': 'worklist', title: desc,
			onclick: () => select(key, true),
		}, h('span', {}, text), count);
		b.addEventListener('keydown', (e) => {
			const i = LISTS.findIndex(([k]) => k === key);
			let j = null;
			if (e.key === 'ArrowRight') j = (i + 1) % LISTS.length;
			else if (e.key === 'ArrowLeft') j = (i + LISTS.length - 1) % LISTS.length;
			else if (e.key === 'Home') j = 0;
			else if (e.key === 'End') j = LISTS.length - 1;
			if (j === null) return;
			e.preventDefault();
			select(LISTS[j][0], true);
		});
		tabButtons[key] = b;
		tabs.appendChild(b);
	}

	async function select(key, focus) {
		if (state.list !== key) { state.list = key; state.afters = [null]; }
		for (const [k] of LISTS) {
			tabButtons[k].setAttribute('aria-selected', String(k === key));
			tabButtons[k].tabIndex = k === key ? 0 : -1;
		}
		panel.setAttribute('aria-labelledby', `tab-${key}`);
		if (focus) tabButtons[key].focus();
		await loadPage();
	}

	async function loadPage() {
		const after = state.afters[state.afters.length - 1];
		const qs = `list=${state.list}&limit=${PAGE}` + (after ? `&after=${encodeURIComponent(after)}` : '');
		panel.setAttribute('aria-busy', 'true');
		let wl;
		try {
			wl = await get('/api/v1/cases?' + qs);
		} catch (e) {
			panel.removeAttribute('aria-busy');
			replace(panel, problemBox(e, loadPage));
			return;
		}
		const L = await label;
		for (const [k] of LISTS) {
			const c = tabButtons[k].querySelector('.count');
			c.textContent = String(wl.counts[k]);
			c.classList.toggle('count-alert', k === 'overdue' && wl.counts[k] > 0);
		}
		const page = state.afters.length;
		const total = wl.counts[state.list];
		const desc = LISTS.find(([k]) => k === state.list)[2];
		const prev = h('button', { type: 'button', class: 'btn btn-small', disabled: page === 1, onclick: () => { state.afters.pop(); loadPage(); } }, '上一页');
		const next = h('button', { type: 'button', class: 'btn btn-small', disabled: !wl.next_after, onclick: () => { state.afters.push(wl.next_after); loadPage(); } }, '下一页');
		const pages = Math.max(1, Math.ceil(total / PAGE));
		replace(panel,
			h('p', { class: 'list-desc' }, desc, '，共 ', h('strong', {}, String(total)), ' 件。'),
			wl.items.length ? caseTable(wl.items, L) : h('p', { class: 'empty' }, '清单中没有案件。'),
			total > PAGE || page > 1 ? h('div', { class: 'pager' },
				prev, h('span', { class: 'pager-info' }, `第 ${page} 页，共 ${pages} 页`), next) : null);
		panel.removeAttribute('aria-busy');
	}

	await select(state.list, false);
	await renderInbox(inbox, false);
}

function caseTable(items, L) {
	return h('table', { class: 'table cases' },
		h('caption', { class: 'sr-only' }, '案件清单'),
		h('thead', {}, h('tr', {},
			['案件编号', '业务类型', '状态', '不动产单元', '受理 → 审核', '承诺办结'].map((t) => h('th', { scope: 'col' }, t)))),
		h('tbody', {}, items.map((c) => h('tr', { class: c.overdue ? 'row-overdue' : null },
			h('td', {}, h('a', { href: `#/cases/${c.id}`, class: 'case-link mono', title: c.received_at ? '受理时间 ' + fmtTime(c.received_at) : null }, c.number)),
			h('td', {}, L.type(c.business_type)),
			h('td', {}, h('span', { class: `state state-${c.state}` }, stateName(c.state))),
			h('td', { class: 'mono unit' }, c.unit_code),
			h('td', {}, c.receiving_agency === c.deciding_agency ? L.agency(c.receiving_agency)
				: `${L.agency(c.receiving_agency)} → ${L.agency(c.deciding_agency)}`),
			h('td', { class: 'nowrap' }, fmtDate(c.due_date) || '—',
				c.overdue ? h('span', { class: 'tag tag-red' }, '已超期') : null)))));
}

// An error inside a panel: the message by its code; an outage with retry.
function problemBox(e, retry) {
	return h('div', { class: 'banner banner-error', role: 'alert' },
		h('span', {}, messageFor(e)),
		isOutage(e) && retry ? h('button', { type: 'button', class: 'btn btn-small', onclick: retry }, '重试') : null);
}

// ---- the agency inbox -------------------------------------------------
const inboxState = { unreadOnly: false };

async function renderInbox(box, focusTitle) {
	let ib;
	try {
		ib = await get(`/api/v1/notifications?limit=10${inboxState.unreadOnly ? '&unread=1' : ''}`);
	} catch (e) {
		replace(box, h('h2', { id: 'inbox-title', class: 'panel-title' }, '机构通知'), problemBox(e, () => renderInbox(box)));
		return;
	}
	const title = h('h2', { id: 'inbox-title', class: 'panel-title', tabindex: '-1' }, '机构通知',
		ib.unread ? h('span', { class: 'badge', id: 'inbox-unread', 'aria-label': `${ib.unread} 条未读` }, String(ib.unread)) : null);
	const toggle = h('button', {
		type: 'button', class: 'btn btn-small btn-quiet-dark', 'aria-pressed': String(inboxState.unreadOnly),
		onclick: () => { inboxState.unreadOnly = !inboxState.unreadOnly; renderInbox(box); },
	}, '只看未读');
	const list = h('ul', { class: 'notes' });
	const addItems = (items) => {
		for (const n of items) {
			const mark = n.read ? null : h('button', {
				type: 'button', class: 'btn btn-small', 'aria-label': `将 ${n.case_number} 的通知标为已读`,
				onclick: async () => {
					try {
						await post(`/api/v1/notifications/${n.id}/read`);
					} catch (e) {
						toast(messageFor(e), 'error');
						return;
					}
					await renderInbox(box, true);
				},
			}, '标为已读');
			list.appendChild(h('li', { class: n.read ? 'note' : 'note note-unread' },
				h('div', { class: 'note-line' },
					n.read ? null : h('span', { class: 'dot', 'aria-hidden': 'true' }),
					h('span', { class: 'note-msg' }, n.message), n.read ? null : h('span', { class: 'sr-only' }, '（未读）')),
				mark,
				h('div', { class: 'note-meta' },
					h('a', { href: `#/cases/${n.case_id}`, class: 'mono' }, n.case_number),
					h('time', { class: 'muted', datetime: n.created_at }, fmtTime(n.created_at).slice(5)))));
		}
	};
	addItems(ib.items);
	let before = ib.next_before;
	const more = h('button', { type: 'button', class: 'btn btn-small btn-block', onclick: async () => {
		more.disabled = true;
		try {
			const nx = await get(`/api/v1/notifications?limit=10&before=${encodeURIComponent(before)}${inboxState.unreadOnly ? '&unread=1' : ''}`);
			addItems(nx.items);
			before = nx.next_before;
			more.hidden = !before;
		} catch (e) {
			toast(messageFor(e), 'error');
		} finally {
			more.disabled = false;
		}
	} }, '更多通知');
	more.hidden = !before;
	replace(box,
		h('div', { class: 'panel-head' }, title, toggle),
		ib.items.length ? list : h('p', { class: 'empty' }, inboxState.unreadOnly ? '没有未读通知。' : '暂无通知。'),
		more);
	if (focusTitle) title.focus();
}

// ---- search -------------------------------------------------------------
const NUMBER = /^TB-\d{6}-\d{4}-\d{6}$/;

// GET /api/v1/cases?number= finds a case among those the user reads, in
// any state; an unknown number and a case the user may not read look alike.
async function findByNumber(number) {
	const res = await get('/api/v1/cases?number=' + encodeURIComponent(number));
	return res.items.length ? res.items[0].id : null;
}

async function search(kind, text, out, L) {
	replace(out);
	const say = (cls, ...msg) => replace(out, h('p', { class: cls, role: cls === 'hint bad' ? 'alert' : 'status' }, ...msg));
	if (!text) { say('hint bad', '请输入要查询的内容。'); return; }
	try {
		if (kind === 'number') {
			const number = text.toUpperCase().replace(/\s/g, '');
			if (!NUMBER.test(number)) { say('hint bad', '案件编号格式为 TB-六位地区码-年份-六位序号，例如 TB-450103-2026-000001。'); return; }
			say('muted', '正在查找…');
			const id = await findByNumber(number);
			if (id) { navigate(`#/cases/${id}`); return; }
			say('hint bad', `未找到案件 ${number}，或您无权查看该案件。可改用当事人证件号码查询。`);
			return;
		}
		say('muted', '正在查找…');
		const res = await post('/api/v1/cases/by-id-number', { id_type: kind, id_number: text.toUpperCase() });
		if (!res.items.length) { say('muted', '没有您可查看的、该证件号码作为当事人的案件。'); return; }
		replace(out,
			h('p', { class: 'muted', role: 'status' }, `找到 ${res.items.length} 件（最多显示 50 件，最新的在前）。`),
			h('table', { class: 'table' },
				h('caption', { class: 'sr-only' }, '按证件号码查询的结果'),
				h('thead', {}, h('tr', {}, ['案件编号', '状态', '当事人', '身份', '证件号码'].map((t) => h('th', { scope: 'col' }, t)))),
				h('tbody', {}, res.items.map((m) => h('tr', {},
					h('td', {}, h('a', { href: `#/cases/${m.case_id}`, class: 'mono' }, m.number)),
					h('td', {}, h('span', { class: `state state-${m.state}` }, stateName(m.state))),
					h('td', {}, m.name),
					h('td', {}, ROLE_NAMES[m.role] || m.role),
					h('td', { class: 'mono' }, m.id_number))))));
	} catch (e) {
		replace(out, problemBox(e, () => search(kind, text, out, L)));
	}
}
