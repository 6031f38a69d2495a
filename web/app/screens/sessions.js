// "我的会话": one's open sessions (where and when), the current one
// marked; ending another asks first; ending the current one logs out.

import { h, replace, fmtTime, confirmDialog, toast, loading } from '../ui.js';
import { get, del } from '../api.js';
import { messageFor } from '../errors.js';
import { navigate } from '../router.js';
import * as session from '../session.js';

// A user agent string → what a person recognises ("Chrome 156 · Windows").
function device(ua) {
	if (!ua) return '未知';
	const browser = /MicroMessenger\/([\d.]+)/.exec(ua) ? '微信' :
		/Edg\/(\d+)/.exec(ua) ? 'Edge ' + /Edg\/(\d+)/.exec(ua)[1] :
			/(?:Chrome|Chromium)\/(\d+)/.exec(ua) ? 'Chrome ' + /(?:Chrome|Chromium)\/(\d+)/.exec(ua)[1] :
				/Firefox\/(\d+)/.exec(ua) ? 'Firefox ' + /Firefox\/(\d+)/.exec(ua)[1] :
					/Safari\//.test(ua) ? 'Safari' : '其他';
	const os = /Windows/.test(ua) ? 'Windows' : /Android/.test(ua) ? 'Android' : /iPhone|iPad/.test(ua) ? 'iOS' :
		/Mac OS X/.test(ua) ? 'macOS' : /Linux/.test(ua) ? 'Linux' : /curl|python/i.test(ua) ? '程序接口' : '';
	return os ? `${browser} · ${os}` : browser;
}

export async function render(main) {
	loading(main);
	const list = await get('/api/v1/auth/sessions');
	const items = list.items;
	const others = items.filter((s) => !s.current);

	async function end(s) {
		const body = h('p', {}, s.current
			? '结束当前会话将退出登录。'
			: `将结束 ${fmtTime(s.created_at)} 从 ${s.client_addr || '未知地址'}（${device(s.user_agent)}）开始的登录。该终端需要重新登录。`);
		if (!await confirmDialog(s.current ? '结束当前会话？' : '结束这个会话？', body, '结束会话')) return;
		try {
			await del(`/api/v1/auth/sessions/${s.id}`);
		} catch (e) {
			toast(messageFor(e), 'error');
			return;
		}
		if (s.current) {
			session.forget();
			navigate('#/login?bye=1');
			return;
		}
		toast('会话已结束。', 'ok');
		await render(main);
	}

	async function endOthers() {
		const body = h('p', {}, `将结束除本终端外的 ${others.length} 个会话。`);
		if (!await confirmDialog('结束其他全部会话？', body, '全部结束')) return;
		for (const s of others) {
			try {
				await del(`/api/v1/auth/sessions/${s.id}`);
			} catch (e) {
				if (e.code !== 'session_not_found') { toast(messageFor(e), 'error'); break; }
			}
		}
		toast('其他会话已结束。', 'ok');
		await render(main);
	}

	const rows = items.map((s) => h('tr', { class: s.current ? 'row-current' : null },
		h('td', {}, fmtTime(s.created_at), s.current ? h('span', { class: 'tag tag-blue' }, '当前会话') : null),
		h('td', {}, fmtTime(s.last_seen_at)),
		h('td', {}, fmtTime(s.expires_at)),
		h('td', { class: 'mono' }, s.client_addr || '—'),
		h('td', { title: s.user_agent }, device(s.user_agent)),
		h('td', {}, s.mfa ? '是' : '否'),
		h('td', { class: 'cell-actions' }, h('button', {
			type: 'button', class: s.current ? 'btn btn-small' : 'btn btn-small btn-danger-outline',
			'aria-label': `结束 ${fmtTime(s.created_at)} 开始的${s.current ? '当前' : ''}会话`, onclick: () => end(s),
		}, s.current ? '退出登录' : '结束'))));

	replace(main,
		h('div', { class: 'page-head' },
			h('h1', {}, '我的会话'),
			others.length ? h('button', { type: 'button', class: 'btn', onclick: endOthers }, '结束其他全部会话') : null),
		h('p', { class: 'muted' }, '以下是您的账号当前仍有效的登录。如有不认识的地址或终端，请立即结束该会话并修改密码。会话在 30 分钟无操作或登录 12 小时后自动结束。'),
		h('div', { class: 'panel panel-flush' },
			h('table', { class: 'table' },
				h('caption', { class: 'sr-only' }, '我的会话'),
				h('thead', {}, h('tr', {},
					['登录时间', '最近活动', '到期时间', '来源地址', '浏览器', '动态验证码', ''].map((t) =>
						h('th', { scope: 'col' }, t || h('span', { class: 'sr-only' }, '操作'))))),
				h('tbody', {}, rows))));
}
