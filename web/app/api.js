// The one way the portal talks to the API: same-origin fetch with the
// session cookie, the CSRF header on every unsafe method, problem+json
// turned into ApiError. Nothing is kept in localStorage/sessionStorage.

let csrfToken = null;
const listeners = { activity: [], unauthenticated: [] };

export function setCsrf(token) { csrfToken = token; }
export function on(event, fn) { listeners[event].push(fn); }
function emit(event, arg) { for (const fn of listeners[event]) fn(arg); }

export class ApiError extends Error {
	constructor(status, problem, headers) {
		super(problem.detail || problem.title || `HTTP ${status}`);
		this.status = status;
		this.problem = problem;
		this.code = problem.code || (status === 0 ? 'network_error' : 'http_' + status);
		this.headers = headers || null;
	}
}

// api('GET', '/api/v1/cases/1') → parsed JSON (or the Response for
// non-JSON bodies when opts.raw). body: a plain object (sent as JSON), a
// Blob/File or FormData (sent as is).
export async function api(method, path, body, opts = {}) {
	const headers = { Accept: 'application/json, application/problem+json' };
	if (method !== 'GET' && method !== 'HEAD' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
	let payload;
	if (body instanceof Blob || body instanceof FormData) {
		payload = body;
	} else if (body !== undefined) {
		headers['Content-Type'] = 'application/json';
		payload = JSON.stringify(body);
	}
	Object.assign(headers, opts.headers || {});
	let res;
	try {
		res = await fetch(path, { method, headers, body: payload, credentials: 'same-origin', cache: 'no-store' });
	} catch {
		throw new ApiError(0, { code: 'network_error' });
	}
	if (!opts.quiet) emit('activity', Date.now());
	const type = res.headers.get('Content-Type') || '';
	if (!res.ok) {
		let problem = {};
		// the body is always read: one left unread shows as an aborted request
		if (type.includes('json')) problem = await res.json().catch(() => ({}));
		else await res.text().catch(() => '');
		const err = new ApiError(res.status, problem, res.headers);
		if (res.status === 401 && err.code === 'unauthenticated' && !opts.allow401) emit('unauthenticated', err);
		throw err;
	}
	if (opts.raw) return res;
	if (res.status === 204) { await res.text().catch(() => ''); return null; }
	if (type.includes('json')) return res.json();
	return res;
}

export const get = (path, opts) => api('GET', path, undefined, opts);
export const post = (path, body, opts) => api('POST', path, body === undefined ? {} : body, opts);
export const patch = (path, body, opts) => api('PATCH', path, body, opts);
export const del = (path, opts) => api('DELETE', path, undefined, opts);

// Reference data that does not change while a page is open (business
// types, agencies): fetched once per page load, shared by every screen.
const cache = new Map();
export function cached(path) {
	if (!cache.has(path)) {
		const p = get(path);
		p.catch(() => cache.delete(path));
		cache.set(path, p);
	}
	return cache.get(path);
}
