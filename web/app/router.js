// Hash routes (#/cases/12): the server serves one page, the fragment never
// reaches it. A route is [RegExp, async (params, ctx) => Node].

const routes = [];
let onChange = null;

export function route(pattern, render, opts = {}) { routes.push({ pattern, render, opts }); }
export function navigate(hash) { if (location.hash === hash) onChange(); else location.hash = hash; }
// The route's query (#/login?next=…) for the screen to read.
export function query() { return new URLSearchParams(location.hash.split('?')[1] || ''); }
export function current() { return location.hash || '#/'; }

export function match(hash) {
	const path = hash.replace(/^#/, '').split('?')[0] || '/';
	for (const r of routes) {
		const m = r.pattern.exec(path);
		if (m) return { ...r, params: m.slice(1).map(decodeURIComponent) };
	}
	return null;
}

export function start(handler) {
	onChange = () => handler(current());
	window.addEventListener('hashchange', onChange);
	onChange();
}
