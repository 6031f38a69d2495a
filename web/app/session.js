// The signed-in user as the API tells it (GET /api/v1/auth/me), and what
// the screens ask of it. The CSRF token comes from /auth/me (or the log-in
// answer) and lives only in memory.

import { get, setCsrf } from './api.js';

export let me = null;

export async function load() {
	try {
		me = await get('/api/v1/auth/me', { allow401: true });
	} catch (e) {
		if (e.status === 401) { me = null; setCsrf(null); return null; }
		throw e;
	}
	if (me.csrf_token) setCsrf(me.csrf_token);
	return me;
}

export function set(body) { me = body; if (body && body.csrf_token) setCsrf(body.csrf_token); }
export function forget() { me = null; setCsrf(null); }

// Does the user hold `perm` in any scope (or over `division`, when given)?
// Only to decide what to show: the API decides what is allowed.
export function can(perm, division) {
	if (!me) return false;
	return me.permissions.some((p) => p.permission === perm &&
		(division === undefined || p.scope === '45' || division.startsWith(p.scope.replace(/0+$/, ''))));
}
