// 审计日志 (#/admin/audit?actor=&action=&object_type=&object_id=&from=&to=):
// the audit trail for auditors (audit.read), newest first, 50 a page with
// keyset paging on `before`; each row opens to its details. On top the
// hash chain's state as the background process last verified it
// (GET /api/v1/audit/verify): 验证通过, or 链条断裂 at the first position
// that fails, with the anchored head. Filters live in the route, so a
// filtered view can be reloaded or handed on; the pages within it do not.

import { h, replace, field } from '../ui.js';
import { get } from '../api.js';
import { messageFor } from '../errors.js';
import { query, navigate } from '../router.js';
import { adminFrame } from '../admin_nav.js';
import { can } from '../session.js';

const PAGE = 50;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

// Actions as auditors read them; an unknown action shows its code only.
const ACTIONS = {
	'auth.login': '登录', 'auth.login.alert': '登录异常告警', 'auth.login.unlock': '解除登录锁定', 'auth.logout': '退出登录',
	'auth.denied': '越权访问被拒绝', 'auth.password.change': '修改密码', 'auth.session.revoke': '结束会话',
	'auth.totp.enroll': '生成动态验证码绑定', 'auth.totp.confirm': '绑定动态验证码', 'auth.totp.enable': '启用动态验证码',
	'user.create': '创建用户', 'user.update': '修改用户', 'user.password.reset': '重置密码',
	'grant.create': '授予角色', 'grant.delete': '收回角色', 'agency.create': '新增机构', 'agency.rename': '机构更名',
	'permission_request.create': '提出权限申请', 'permission_request.approve': '同意权限申请', 'permission_request.reject': '驳回权限申请',
	'audit.verify': '核验审计日志链', 'audit.chain.alert': '审计日志链告警',
	'workflow.update': '修改业务流程', 'workflow.pilot.on': '开通试点', 'workflow.pilot.off': '取消试点',
	'case.create': '录入案件', 'case.submit': '提交受理', 'case.accept': '受理', 'case.request_supplement': '要求补正',
	'case.resubmit': '补正后重新提交', 'case.approve': '审核通过', 'case.reject': '不予登记', 'case.register': '登簿',
	'case.set_fees': '核定收费', 'case.record_payment': '收费', 'case.issue': '缮证', 'case.deliver': '送达',
	'case.close': '办结', 'case.withdraw': '撤回', 'case.attachment.add': '上传材料', 'case.attachment.download': '查看材料',
	'fee.adjust': '调整收费', 'party.reveal': '查看完整证件号', 'party.search': '按证件号查找案件',
	'registry.unit.read': '查看登记簿', 'query.create': '查档申请', 'query.create.pending': '查档申请（待审批）',
	'query.approve': '查档审批通过', 'query.reject': '查档审批驳回', 'query.alert': '查档异常告警',
	'query.evidence.add': '上传查档证明材料', 'query.certificate.issue': '出具查询结果证明',
	'query.certificate.download': '下载查询结果证明', 'query.permission.set': '设置查询权限',
	'whitelist.add': '加入白名单', 'whitelist.remove': '移出白名单',
	'payment.order': '生成支付订单', 'payment.record': '记录缴费', 'payment.reconcile': '对账',
	'payment.reconcile.settle': '按对账单确认缴费', 'payment.statement.import': '导入对账单', 'payment.statement.replace': '替换对账单',
	'policy.create': '起草政策法规', 'policy.update': '修改政策法规', 'policy.publish': '发布政策法规', 'policy.withdraw': '撤回政策法规',
	'calendar.change': '修改节假日',
};
const OBJECT_TYPES = {
	user: '用户', grant: '授权', agency: '机构', session: '会话', route: '接口', case: '案件', attachment: '材料',
	query: '查档', business_type: '业务类型', division: '行政区划', audit: '审计日志', audit_seal: '日志链封存',
	payment_order: '支付订单', statement: '对账单', policy: '政策法规', calendar: '节假日', unit: '不动产单元',
	permission_request: '权限申请', whitelist: '白名单',
};
const OUTCOMES = { success: ['成功', 'ok'], failure: ['失败', 'bad'], denied: ['拒绝', 'bad'] };
// the verifier's fixed reasons (fcgi/core/audit_chain.c, audit_api.c)
const REASONS = {
	'event or seal altered': '事件或封存记录被改动',
	'event deleted': '事件被删除',
	'seal missing': '封存记录缺失',
	'seal missing (anchored outside the database)': '封存记录缺失（库外锚定记录中有此位置）',
	'chain rewritten: differs from the anchored record': '链条被改写：与库外锚定记录不符',
	'the head last sealed is missing or altered': '最近封存的链头缺失或被改动',
	'the anchor log cannot be written': '库外锚定日志无法写入',
};
const actionName = (a) => ACTIONS[a] || '';
const p2 = (n) => String(n).padStart(2, '0');

// 2026-11-27 08:00:05 in the terminal's time (Beijing on every terminal)
function fmtSecs(iso) {
	if (!iso) return '';
	const d = new Date(iso);
	if (Number.isNaN(d.getTime())) return iso;
	return `${d.getFullYear()}-${p2(d.getMonth() + 1)}-${p2(d.getDate())} ${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())}`;
}

function validDay(s) { return DAY.test(s) && !Number.isNaN(Date.parse(s + 'T00:00:00Z')); }
// the day after (the API's `to` is exclusive, the form's 截止日期 inclusive)
function nextDay(s) { return new Date(Date.parse(s + 'T00:00:00Z') + 86400e3).toISOString().slice(0, 10); }

// The filters of the route → the API's query (null: a field is wrong).
function apiQuery(f) {
	const q = new URLSearchParams();
	if (f.actor) q.set('actor', f.actor);
	if (f.action) q.set('action', f.action);
	if (f.object_type) q.set('object_type', f.object_type);
	if (f.object_id) q.set('object_id', f.object_id);
	if (f.from) q.set('from', f.from + 'T00:00:00+08:00');
	if (f.to) q.set('to', nextDay(f.to) + 'T00:00:00+08:00');
	return q;
}

const KEYS = ['actor', 'action', 'object_type', 'object_id', 'from', 'to'];

export async function render(main) {
	const view = adminFrame(main, '#/admin/audit');
	// the menu hides the screen from others; opened by its address, it says
	// why there is nothing (the API refuses them anyway)
	if (!can('audit.read')) {
		replace(view, h('div', { class: 'page-head' }, h('h1', { tabindex: '-1' }, '审计日志')),
			h('p', { class: 'banner banner-error audit-error', id: 'audit-denied', role: 'alert' }, '您没有查阅审计日志的权限（审计查阅）。审计日志仅供安全审计员查阅。'));
		return;
	}
	const q = query();
	const f = Object.fromEntries(KEYS.map((k) => [k, (q.get(k) || '').trim()]));
	const start = /^\d{1,18}$/.test(q.get('before') || '') ? q.get('before') : null;

	const chain = h('section', { class: 'panel audit-chain', id: 'audit-chain', 'aria-labelledby': 'audit-chain-title', 'aria-live': 'polite' },
		h('h2', { class: 'panel-title', id: 'audit-chain-title' }, '日志链核验'),
		h('p', { class: 'loading', role: 'status' }, '正在读取核验结果…'));

	// ---- filters ----
	const input = (id, value, attrs = {}) => h('input', { id, value, autocomplete: 'off', ...attrs });
	const actor = input('audit-actor', f.actor, { inputmode: 'numeric', maxlength: '18', class: 'mono', placeholder: '如 1024' });
	const action = input('audit-action', f.action, { list: 'audit-actions', maxlength: '64', class: 'mono', placeholder: '如 auth.login' });
	const objType = h('select', { id: 'audit-object-type' },
		h('option', { value: '' }, '全部'),
		Object.entries(OBJECT_TYPES).map(([k, v]) => h('option', { value: k, selected: f.object_type === k }, `${v}（${k}）`)),
		f.object_type && !OBJECT_TYPES[f.object_type] ? h('option', { value: f.object_type, selected: true }, f.object_type) : null);
	const objId = input('audit-object-id', f.object_id, { maxlength: '64', class: 'mono', placeholder: '如案件号、用户ID' });
	const from = input('audit-from', f.from, { inputmode: 'numeric', maxlength: '10', class: 'mono', placeholder: '2026-11-01' });
	const to = input('audit-to', f.to, { inputmode: 'numeric', maxlength: '10', class: 'mono', placeholder: '2026-11-30' });
	const datalist = h('datalist', { id: 'audit-actions' },
		Object.entries(ACTIONS).map(([k, v]) => h('option', { value: k, label: v })));
	const status = h('div', { class: 'form-status', role: 'alert' });
	const form = h('form', { class: 'panel audit-filters', 'aria-labelledby': 'audit-filter-title', novalidate: true },
		h('h2', { class: 'panel-title', id: 'audit-filter-title' }, '筛选条件'),
		status,
		h('div', { class: 'audit-filter-grid' },
			field('操作人ID', actor), field('操作', action, '可输入代码或从列表选择'), field('对象类型', objType),
			field('对象编号', objId), field('起始日期', from, '年-月-日'), field('截止日期（含当日）', to, '年-月-日')),
		datalist,
		h('div', { class: 'actions audit-filter-actions' },
			h('button', { type: 'submit', class: 'btn btn-primary', id: 'audit-search' }, '查询'),
			h('button', { type: 'button', class: 'btn', id: 'audit-reset', onclick: () => navigate('#/admin/audit') }, '清除条件')));
	form.addEventListener('submit', (ev) => {
		ev.preventDefault();
		replace(status);
		const nf = { actor: actor.value.trim(), action: action.value.trim(), object_type: objType.value,
			object_id: objId.value.trim(), from: from.value.trim(), to: to.value.trim() };
		const bad = (el, msg) => { status.textContent = msg; el.setAttribute('aria-invalid', 'true'); el.focus(); };
		for (const el of [actor, action, objId, from, to]) el.removeAttribute('aria-invalid');
		if (nf.actor && !/^\d{1,18}$/.test(nf.actor)) return bad(actor, '操作人ID 应为数字。');
		if (nf.action && !/^[a-z_.]{3,64}$/.test(nf.action)) return bad(action, '操作代码由小写字母、下划线和点组成，如 auth.login。');
		if (nf.from && !validDay(nf.from)) return bad(from, '请按“年-月-日”填写起始日期，如 2026-11-01。');
		if (nf.to && !validDay(nf.to)) return bad(to, '请按“年-月-日”填写截止日期，如 2026-11-30。');
		if (nf.from && nf.to && nf.from > nf.to) return bad(to, '截止日期不能早于起始日期。');
		const hq = new URLSearchParams();
		for (const k of KEYS) if (nf[k]) hq.set(k, nf[k]);
		const hash = '#/admin/audit' + (hq.toString() ? '?' + hq : '');
		navigate(hash);
	});

	// ---- the list ----
	const listBox = h('section', { class: 'panel panel-flush audit-list', 'aria-labelledby': 'audit-list-title' });
	const pages = [start];   // the `before` of each page seen; null = the newest
	let at = 0;

	const filtered = KEYS.filter((k) => f[k]);
	const summary = filtered.length
		? filtered.map((k) => {
			const lab = { actor: '操作人ID', action: '操作', object_type: '对象类型', object_id: '对象编号', from: '起始', to: '截止' }[k];
			const v = k === 'action' && ACTIONS[f[k]] ? `${ACTIONS[f[k]]}（${f[k]}）` : k === 'object_type' && OBJECT_TYPES[f[k]] ? OBJECT_TYPES[f[k]] : f[k];
			return `${lab}：${v}`;
		}).join('；')
		: '全部记录';

	async function load() {
		const aq = apiQuery(f);
		aq.set('limit', String(PAGE));
		if (pages[at]) aq.set('before', pages[at]);
		replace(listBox, h('p', { class: 'loading', role: 'status' }, '正在加载审计记录…'));
		let r;
		try {
			r = await get('/api/v1/audit?' + aq);
		} catch (e) {
			replace(listBox, h('div', { class: 'banner banner-error audit-error' }, '无法读取审计记录：' + messageFor(e)));
			return;
		}
		drawList(r);
	}

	function detailsRow(x) {
		const facts = [
			['序号', String(x.seq)], ['时间', fmtSecs(x.at)],
			['操作人', x.actor_id ? `${x.actor_name || ''}（ID ${x.actor_id}）` : (x.actor_name || '系统')],
			['机构代码', x.agency_code || '—'], ['操作', `${actionName(x.action) || '—'}（${x.action}）`],
			['对象', x.object_type ? `${OBJECT_TYPES[x.object_type] || x.object_type}（${x.object_type}）${x.object_id ? ' ' + x.object_id : ''}` : '—'],
			['结果', (OUTCOMES[x.outcome] || [x.outcome])[0]], ['请求编号', x.request_id || '—'], ['客户端地址', x.client_addr || '—'],
		];
		const d = x.details && typeof x.details === 'object' ? Object.entries(x.details) : [];
		return h('tr', { class: 'audit-detail', id: `audit-detail-${x.seq}`, hidden: true },
			h('td', { colspan: '7' },
				h('div', { class: 'audit-detail-grid' },
					h('dl', { class: 'audit-facts' }, facts.map(([k, v]) => h('div', {}, h('dt', {}, k), h('dd', { class: /编号|地址|代码/.test(k) ? 'mono' : null }, v)))),
					h('div', {},
						h('h3', { class: 'audit-detail-title' }, '详细内容'),
						d.length
							? h('dl', { class: 'audit-facts audit-json' }, d.map(([k, v]) => h('div', {}, h('dt', { class: 'mono' }, k),
								h('dd', { class: 'mono' }, v === null ? '—' : String(v)))))
							: h('p', { class: 'muted' }, '无')))));
	}

	function drawList(r) {
		const items = r.items || [];
		const next = r.next_before || null;
		const rows = [];
		for (const x of items) {
			const out = OUTCOMES[x.outcome] || [x.outcome, ''];
			const toggle = h('button', { type: 'button', class: 'btn btn-small audit-toggle', 'aria-expanded': 'false',
				'aria-controls': `audit-detail-${x.seq}`, 'aria-label': `详情：第 ${x.seq} 条` }, '详情');
			const det = detailsRow(x);
			toggle.addEventListener('click', () => {
				const open = toggle.getAttribute('aria-expanded') !== 'true';
				toggle.setAttribute('aria-expanded', String(open));
				toggle.textContent = open ? '收起' : '详情';
				det.hidden = !open;
			});
			const who = x.actor_id
				? h('a', { href: `#/admin/audit?actor=${x.actor_id}`, title: `只看此人（ID ${x.actor_id}）的记录` }, x.actor_name || `ID ${x.actor_id}`)
				: h('span', { class: 'muted' }, x.actor_name || '系统');
			rows.push(h('tr', { class: 'audit-row', dataset: { seq: String(x.seq) } },
				h('td', { class: 'nowrap' }, fmtSecs(x.at)),
				h('td', { class: 'num mono' }, String(x.seq)),
				h('td', {}, who, x.agency_code ? h('span', { class: 'muted small audit-agency' }, x.agency_code) : null),
				h('td', {}, h('span', { class: 'audit-action' }, actionName(x.action) || x.action),
					actionName(x.action) ? h('span', { class: 'mono muted small audit-code' }, x.action) : null),
				h('td', { class: 'audit-object' }, x.object_type ? (OBJECT_TYPES[x.object_type] || x.object_type) : '—',
					x.object_id ? h('span', { class: 'mono small audit-oid' }, x.object_id) : null),
				h('td', {}, h('span', { class: `audit-outcome audit-outcome-${out[1] || 'other'}` }, out[0])),
				h('td', { class: 'cell-actions' }, toggle)), det);
		}
		const pager = h('div', { class: 'pager' },
			h('span', { class: 'pager-info', role: 'status' }, items.length ? `第 ${at + 1} 页 · 本页 ${items.length} 条（序号 ${items[0].seq}–${items[items.length - 1].seq}）` : ''),
			h('button', { type: 'button', class: 'btn', id: 'audit-newer', disabled: at === 0, onclick: () => { at--; load(); } }, '上一页（较新）'),
			h('button', { type: 'button', class: 'btn', id: 'audit-older', disabled: !next,
				onclick: () => { pages[at + 1] = next; at++; load(); } }, '下一页（较早）'));
		replace(listBox,
			h('div', { class: 'panel-head audit-list-head' },
				h('h2', { class: 'panel-title', id: 'audit-list-title', tabindex: '-1' }, '审计记录'),
				h('span', { class: 'muted small', id: 'audit-summary' }, summary + (start ? `；自序号 ${Number(start) - 1} 起` : ''))),
			items.length
				? h('div', { class: 'audit-scroll' }, h('table', { class: 'grid audit-table' },
					h('caption', { class: 'sr-only' }, '审计记录（最新在前）'),
					h('thead', {}, h('tr', {}, ['时间', '序号', '操作人', '操作', '对象', '结果', ''].map((c, i) =>
						h('th', { scope: 'col', class: i === 1 ? 'num' : null }, c || h('span', { class: 'sr-only' }, '详情'))))),
					h('tbody', {}, rows)))
				: h('p', { class: 'empty', id: 'audit-empty' }, at === 0 ? '没有符合条件的审计记录。' : '没有更早的记录。'),
			pager);
	}

	async function loadChain() {
		let v;
		try {
			v = await get('/api/v1/audit/verify');
		} catch (e) {
			const pending = e.code === 'verification_pending';
			replace(chain, h('h2', { class: 'panel-title', id: 'audit-chain-title' }, '日志链核验'),
				h('div', { class: `banner ${pending ? 'banner-info' : 'banner-error'}`, id: 'audit-chain-state' },
					pending ? '后台尚未完成首次核验，请稍后刷新。' : '无法读取核验结果：' + messageFor(e),
					h('button', { type: 'button', class: 'btn btn-small', onclick: loadChain }, '刷新')));
			return;
		}
		drawChain(v);
	}

	function drawChain(v) {
		const hash = v.head || '';
		const facts = [
			['核验时间', fmtSecs(v.checked_at)],
			['已封存', `${v.sealed ?? v.head_pos} 条`],
			['已核验至', `第 ${v.verified_pos} 位`],
			['待封存', `${v.unsealed} 条${v.unsealed ? '（最近一秒内写入，封存后纳入链条）' : ''}`],
			['封存状态', v.sealing ? '正常封存' : '已暂停（链条未通过核验前不再延长）'],
		];
		const anchor = h('div', { class: 'audit-anchor' },
			h('span', { class: 'audit-anchor-label' }, '最近锚定'),
			h('span', {}, `第 ${v.head_pos} 位 · 事件序号 ${v.head_seq}`),
			h('code', { class: 'mono audit-hash', title: hash }, hash ? hash.slice(0, 16) + '…' + hash.slice(-8) : '—'));
		let verdict;
		if (v.ok) {
			verdict = h('div', { class: 'audit-verdict audit-verdict-ok', id: 'audit-chain-state' },
				h('span', { class: 'audit-verdict-mark', 'aria-hidden': 'true' }, '✓'),
				h('div', {}, h('strong', {}, '验证通过'),
					h('p', {}, `审计日志链完整：全部 ${v.verified_pos} 个已封存位置与事件及库外锚定记录一致。`)));
		} else {
			const where = v.first_broken_pos ? `第 ${v.first_broken_pos} 位（事件序号 ${v.first_broken_seq}）` : '未能定位';
			verdict = h('div', { class: 'audit-verdict audit-verdict-bad', id: 'audit-chain-state', role: 'alert' },
				h('span', { class: 'audit-verdict-mark', 'aria-hidden': 'true' }, '!'),
				h('div', {}, h('strong', {}, '链条断裂'),
					h('p', {}, `自${where}起无法通过核验：${REASONS[v.reason] || v.reason || '原因未知'}。`),
					h('p', {}, '请立即报告安全管理员，并保全库外锚定日志与检查点文件。'),
					v.first_broken_seq ? h('a', { href: `#/admin/audit?before=${Number(v.first_broken_seq) + 1}`, id: 'audit-broken-link' }, '查看该位置的事件') : null));
		}
		replace(chain,
			h('div', { class: 'panel-head' },
				h('h2', { class: 'panel-title', id: 'audit-chain-title' }, '日志链核验'),
				h('button', { type: 'button', class: 'btn btn-small', id: 'audit-chain-refresh', onclick: loadChain }, '刷新')),
			h('div', { class: 'audit-chain-grid' }, verdict,
				h('div', {}, anchor,
					h('dl', { class: 'audit-chain-facts' }, facts.map(([k, val]) => h('div', {}, h('dt', {}, k), h('dd', {}, val)))))));
	}

	replace(view,
		h('div', { class: 'page-head' },
			h('div', {}, h('h1', { tabindex: '-1' }, '审计日志'),
				h('p', { class: 'muted page-sub' }, '所有登录、授权、案件办理和管理操作的记录，只可查阅，不可修改或删除。'))),
		chain, form, listBox);
	loadChain();
	load();
}
