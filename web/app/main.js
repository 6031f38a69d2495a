// Entry of the staff portal: routes → screens. A screen module exports
// `render(main, params)`; `auth: false` routes run without a session.

import { route, start, match, navigate } from './router.js';
import * as session from './session.js';
import { on } from './api.js';
import { h, replace, toast } from './ui.js';
import { frame, bare, idleWarning, idleCalm } from './shell.js';
import { messageFor, isOutage } from './errors.js';
import { navFor, onLogout } from './nav.js';
import * as login from './screens/login.js';
import * as home from './screens/home.js';
import * as sessions from './screens/sessions.js';
import * as password from './screens/password.js';
import * as totp from './screens/totp.js';
import * as caseNew from './screens/case_new.js';
import * as caseDetail from './screens/case_detail.js';
import * as receipt from './screens/receipt.js';
import * as voucher from './screens/voucher.js';
import * as reconciliation from './screens/reconciliation.js';
import * as registrySearch from './screens/registry_search.js';
import * as queryNew from './screens/query_new.js';
import * as queryDetail from './screens/query_detail.js';
import * as queries from './screens/queries.js';
import * as approvals from './screens/approvals.js';
import * as whitelist from './screens/whitelist.js';
import * as queryPermissions from './screens/query_permissions.js';
import * as adminHome from './screens/admin_home.js';
import * as adminCalendar from './screens/admin_calendar.js';
import * as adminPolicies from './screens/admin_policies.js';
import * as policies from './screens/policies.js';
import * as adminUsers from './screens/admin_users.js';
import * as adminUser from './screens/admin_user.js';
import * as adminRequests from './screens/admin_requests.js';
import * as adminLocks from './screens/admin_locks.js';
import * as adminAgencies from './screens/admin_agencies.js';
import * as adminAudit from './screens/admin_audit.js';
import * as adminWorkflow from './screens/admin_workflow.js';
import * as adminStats from './screens/admin_stats.js';

route(/^\/login$/, login.render, { auth: false });
route(/^\/$/, home.render);
route(/^\/sessions$/, sessions.render);
route(/^\/password$/, password.render, { passwordChange: true });
route(/^\/totp$/, totp.render, { passwordChange: true });
route(/^\/cases\/new$/, caseNew.render);
route(/^\/cases\/(\d+)$/, caseDetail.render);
route(/^\/cases\/(\d+)\/receipt$/, receipt.render, { print: true });
route(/^\/cases\/(\d+)\/voucher$/, voucher.render, { print: true });
route(/^\/reconciliation$/, reconciliation.render);
route(/^\/registry$/, registrySearch.render);
route(/^\/queries\/new$/, queryNew.render);
route(/^\/queries\/(\d+)$/, queryDetail.render, { print: true });
route(/^\/queries$/, queries.render);
route(/^\/query-approvals$/, approvals.render);
route(/^\/whitelist$/, whitelist.render);
route(/^\/query-permissions$/, queryPermissions.render);
route(/^\/admin$/, adminHome.render);
route(/^\/admin\/calendar$/, adminCalendar.render);
route(/^\/admin\/users$/, adminUsers.render);
route(/^\/admin\/users\/(\d+)$/, adminUser.render);
route(/^\/admin\/requests$/, adminRequests.render);
route(/^\/admin\/locks$/, adminLocks.render);
route(/^\/admin\/agencies$/, adminAgencies.render);
route(/^\/admin\/audit$/, adminAudit.render);
route(/^\/admin\/workflow$/, adminWorkflow.render);
route(/^\/admin\/stats$/, adminStats.render);
route(/^\/admin\/policies$/, adminPolicies.renderList);
route(/^\/admin\/policies\/new$/, adminPolicies.renderEdit);
route(/^\/admin\/policies\/(\d+)$/, adminPolicies.renderEdit);
route(/^\/admin\/policies\/(\d+)\/versions$/, adminPolicies.renderVersions);
route(/^\/policies$/, policies.renderList);
route(/^\/policies\/(\d+)$/, policies.renderDoc);

let loaded = false;

async function show(hash) {
	const r = match(hash);
	if (!r) { navigate('#/'); return; }
	try {
		if (!loaded) { await session.load(); loaded = true; }
		if (r.opts.auth === false) {
			document.body.classList.remove('print-page');
			await r.render(bare(), r.params);
		} else if (!session.me) {
			navigate('#/login?next=' + encodeURIComponent(hash));
		} else if (session.me.user.must_change_password && !r.opts.passwordChange) {
			navigate('#/password');
		} else {
			// each navigation draws into a container of its own: a screen
			// still loading when the user moved on (a slow worklist, say)
			// finishes into its detached container, never over the screen
			// that replaced it (the wizard lost its typed ID number so)
			const main = h('div', { class: 'screen' });
			replace(frame(navFor(session.me, hash)), main);
			document.body.classList.toggle('print-page', !!r.opts.print);
			document.title = '广西不动产登记全区通办平台';
			await r.render(main, r.params);
		}
	} catch (e) {
		showError(e, () => show(hash));
	}
}

// An error no screen handled: a clear message by its code; an outage
// says so and offers to try again.
export function showError(e, retry) {
	const main = document.getElementById('main') || bare();
	if (!(e && e.code)) console.error(e);
	const outage = isOutage(e);
	replace(main, h('section', { class: 'panel error-panel', role: 'alert' },
		h('h1', {}, outage ? '服务暂时不可用' : '无法完成操作'),
		h('p', {}, messageFor(e)),
		outage ? h('p', { class: 'muted' }, '这不是您的操作问题。网络或服务恢复后，点击“重试”即可继续。') : null,
		e && e.problem && e.problem.request_id ? h('p', { class: 'muted' }, '请求编号：' + e.problem.request_id) : null,
		retry ? h('div', { class: 'actions' },
			h('button', { class: 'btn btn-primary', onclick: () => { loaded = false; retry(); } }, '重试')) : null));
}

async function logout() {
	try {
		await session.logout();
	} catch (e) {
		toast(messageFor(e), 'error');
		return;
	}
	navigate('#/login?bye=1');
}
onLogout(logout);

session.onIdle({
	warn: (deadline) => idleWarning(deadline, {
		onContinue: async () => {
			await session.keepAlive();
			idleCalm();
			if (!session.me) navigate('#/login?expired=1');
		},
		onLogout: logout,
	}),
	calm: idleCalm,
	// the server ends the session on its own; the log-out makes sure of it
	// (its 401, when the server already has, is expected and quiet)
	expire: async () => {
		idleCalm();
		try { await session.logout(); } catch { /* the session is gone either way */ }
		navigate('#/login?expired=1');
	},
});

// A request refused as unauthenticated (session ended elsewhere, revoked,
// timed out on the server): back to log-in, with a message there.
on('unauthenticated', () => {
	session.forget();
	if (!location.hash.startsWith('#/login')) navigate('#/login?ended=1&next=' + encodeURIComponent(location.hash));
});

start(show);
