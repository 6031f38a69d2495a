// The signed-in user as the API tells it (GET /api/v1/auth/me), and what
// the screens ask of it. The CSRF token comes from /auth/me (or the log-in
// answer) and lives only in memory. Also the idle watch: the server ends a
// session after idle_timeout_s without a request; the portal warns a
// minute before and returns cleanly to the log-in screen after.

import { get, post, setCsrf, on } from './api.js';

export let me = null;

// Roles whose permissions count only in a session opened with TOTP
// (needs_mfa in iam.role). Only to point the user at the enrolment screen;
// the API decides what counts.
const MFA_ROLES = ['jurisdiction_admin', 'system_admin', 'security_admin', 'auditor'];

export async function load() {
	try {
		me = await get('/api/v1/auth/me', { allow401: true });
	} catch (e) {
		if (e.status === 401) { me = null; setCsrf(null); stopIdle(); return null; }
		throw e;
	}
	if (me.csrf_token) setCsrf(me.csrf_token);
	startIdle();
	return me;
}

export function set(body) { me = body; if (body && body.csrf_token) setCsrf(body.csrf_token); }
export function forget() { me = null; setCsrf(null); stopIdle(); }

// Does the user hold `perm` in any scope (or over `division`, when given)?
// Only to decide what to show: the API decides what is allowed.
export function can(perm, division) {
	if (!me) return false;
	return me.permissions.some((p) => p.permission === perm &&
		(division === undefined || p.scope === '45' || division.startsWith(p.scope.replace(/0+$/, ''))));
}

// Holds a role that needs the second factor, in a session opened without it.
export function needsMfa() {
	return !!me && !me.mfa && me.roles.some((r) => MFA_ROLES.includes(r.role));
}
export function holdsMfaRole() {
	return !!me && me.roles.some((r) => MFA_ROLES.includes(r.role));
}

export async function logout() {
	try {
		await post('/api/v1/auth/logout', {}, { allow401: true, quiet: true });
	} catch (e) {
		if (e.status !== 401) throw e;
	}
	forget();
}

// ---- idle timeout ----------------------------------------------------
// The server writes a session's last_seen_at at most once a minute, so its
// idea of "idle since" can be up to a minute older than the last request
// the portal saw: the portal's deadline is therefore a minute early, and
// the warning a minute before that.
const WRITE_GRANULARITY_S = 60;
const WARN_BEFORE_S = 60;
const DEFAULT_IDLE_S = 1800;

const idle = { last: 0, timer: null, warned: false, handlers: null };

export function idleTimeoutS() {
	return (me && me.session && me.session.idle_timeout_s) || DEFAULT_IDLE_S;
}

// What the shell does when the warning is due and when time is up.
export function onIdle(handlers) { idle.handlers = handlers; }

function deadline() { return idle.last + (idleTimeoutS() - WRITE_GRANULARITY_S) * 1000; }

function schedule() {
	clearTimeout(idle.timer);
	if (!me) return;
	const now = Date.now();
	const warnAt = deadline() - WARN_BEFORE_S * 1000;
	if (now < warnAt) {
		if (idle.warned) { idle.warned = false; if (idle.handlers) idle.handlers.calm(); }
		idle.timer = setTimeout(schedule, Math.min(warnAt - now, 60000));
	} else if (now < deadline()) {
		if (!idle.warned) { idle.warned = true; if (idle.handlers) idle.handlers.warn(deadline()); }
		idle.timer = setTimeout(schedule, Math.min(deadline() - now, 1000));
	} else {
		idle.warned = false;
		clearTimeout(idle.timer);
		if (idle.handlers) idle.handlers.expire(); else forget();
	}
}

export function startIdle() {
	if (!idle.last) idle.last = Date.now();
	schedule();
}
function stopIdle() { clearTimeout(idle.timer); idle.timer = null; idle.last = 0; idle.warned = false; }

// Any answered API call is activity (the server saw a request), in this
// tab or another tab of the portal (they share the session cookie).
const tabs = typeof BroadcastChannel === 'function' ? new BroadcastChannel('tb-activity') : null;
function active(t) { if (me && t > idle.last) { idle.last = t; if (idle.warned) schedule(); } }
on('activity', (t) => { active(t); if (tabs) tabs.postMessage(t); });
if (tabs) tabs.onmessage = (ev) => active(Number(ev.data));

// "继续使用": a request, which the server counts as activity.
export async function keepAlive() { await load(); }
