// Shared harness of the browser tests: Debian's chromium driven by
// playwright-core; every page guarded (a console error, an uncaught
// exception, a CSP violation, a failed request or an unexpected HTTP error
// fails the test); screenshots of each screen with an axe-core check.

import { execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const here = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = process.env.TB_ROOT || path.resolve(here, '../..');
export const BASE = `http://127.0.0.1:${process.env.TB_PORT}`;
export const OUT = process.env.TB_E2E_OUT || path.join(ROOT, 'build/e2e');
export const SCREENS = path.join(OUT, 'screens');
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

// fixture('user', {agency, grants}) → JSON from tests/e2e/fixture.py
export function fixture(verb, args = {}) {
	const out = execFileSync('python3', [path.join(here, 'fixture.py'), verb, JSON.stringify(args)],
		{ env: process.env, encoding: 'utf8' });
	return JSON.parse(out);
}

export function sql(query) { return fixture('sql', { query }); }

// RFC 6238 code for a base32 secret (at `when`, ms).
export function totp(b32, when = Date.now()) {
	const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
	let bits = '';
	for (const c of b32.replace(/=+$/, '')) bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
	const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
	const msg = Buffer.alloc(8);
	msg.writeBigUInt64BE(BigInt(Math.floor(when / 30000)));
	const mac = createHmac('sha1', key).update(msg).digest();
	const o = mac[19] & 15;
	const n = ((mac[o] & 0x7f) << 24) | (mac[o + 1] << 16) | (mac[o + 2] << 8) | mac[o + 3];
	return String(n % 1000000).padStart(6, '0');
}

export class Failure extends Error {}

export function assert(cond, msg) { if (!cond) throw new Failure(msg); }
export function eq(actual, expected, msg) {
	const a = JSON.stringify(actual), e = JSON.stringify(expected);
	if (a !== e) throw new Failure(`${msg || 'values differ'}: expected ${e}, got ${a}`);
}

// One test's view of the browser. Problems seen on any of its pages are
// collected and fail the test at its end.
export class T {
	constructor(browser, name) {
		this.browser = browser;
		this.name = name;
		this.problems = [];
		this.contexts = [];
		this.allowed = [];   // [status, RegExp of URL] the test expects
		this.shots = 0;
		this.trail = [];     // the last console lines and API calls, shown when the test fails
		this.started = Date.now();
	}

	note(line) {
		this.trail.push(`+${((Date.now() - this.started) / 1000).toFixed(2)} s ${line}`);
		if (this.trail.length > 40) this.trail.shift();
	}

	// After a failure: what each open page shows (address, focus, alerts,
	// a screenshot FAIL-…png) and the trail, for a run nobody watched.
	async postmortem() {
		const out = [];
		let n = 0;
		for (const ctx of this.contexts) {
			for (const page of ctx.pages()) {
				n++;
				try {
					mkdirSync(SCREENS, { recursive: true });
					await page.screenshot({ path: path.join(SCREENS, `FAIL-${this.name.replace(/^test_/, '')}-${n}.png`), fullPage: true, timeout: 5000 });
					const seen = await page.evaluate(() => {
						const a = document.activeElement;
						const alerts = Array.from(document.querySelectorAll('[role=alert], .banner, .hint.bad'))
							.map((e) => e.textContent.trim()).filter(Boolean).slice(0, 8);
						return { focus: a ? `${a.tagName.toLowerCase()}#${a.id}` : '', alerts };
					});
					out.push(`page ${n} ${page.url()} focus ${seen.focus} alerts ${JSON.stringify(seen.alerts)}`);
				} catch (e) {
					out.push(`page ${n} ${page.url()}: ${e.message.split('\n')[0]}`);
				}
			}
		}
		return out.concat(this.trail);
	}

	// Expect an HTTP error answer (e.g. allow(409, /actions/)).
	allow(status, urlPattern) { this.allowed.push([status, urlPattern]); }

	async context(opts = {}) {
		const ctx = await this.browser.newContext({
			baseURL: BASE, locale: 'zh-CN', timezoneId: 'Asia/Shanghai',
			viewport: { width: 1366, height: 768 }, ...opts,
		});
		this.contexts.push(ctx);
		await ctx.addInitScript(() => {
			document.addEventListener('securitypolicyviolation', (e) => {
				console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`);
			});
		});
		ctx.on('page', (p) => this.guard(p));
		return ctx;
	}

	async page(opts = {}) {
		const ctx = await this.context(opts);
		return ctx.newPage();
	}

	guard(page) {
		page.on('console', (m) => this.note(`console.${m.type()} ${m.text().slice(0, 200)}`));
		page.on('request', (r) => { if (r.url().includes('/api/')) this.note(`→ ${r.method()} ${new URL(r.url()).pathname}`); });
		page.on('response', (r) => { if (r.url().includes('/api/')) this.note(`← ${r.status()} ${r.request().method()} ${new URL(r.url()).pathname}`); });
		page.on('console', (m) => {
			if (m.type() !== 'error') return;
			// Chromium logs every HTTP error answer as "Failed to load
			// resource"; those are judged by status below.
			if (/^Failed to load resource: the server responded with a status of/.test(m.text())) return;
			this.problems.push(`console error on ${page.url()}: ${m.text()}`);
		});
		page.on('pageerror', (e) => this.problems.push(`uncaught exception on ${page.url()}: ${e.message}`));
		page.on('requestfailed', (r) => {
			const f = r.failure();
			// a navigation away aborts what the old page still loaded
			if (f && /ERR_ABORTED/.test(f.errorText) && r.resourceType() !== 'fetch' && r.resourceType() !== 'xhr') return;
			this.problems.push(`request failed: ${r.method()} ${r.url()} ${f ? f.errorText : ''}`);
		});
		page.on('response', (r) => {
			const s = r.status();
			if (s < 400) return;
			const url = r.url();
			// not signed in yet: the portal asks who it is and gets 401
			if (s === 401 && /\/api\/v1\/auth\/me$/.test(url)) return;
			if (this.allowed.some(([st, re]) => st === s && re.test(url))) return;
			this.problems.push(`unexpected HTTP ${s}: ${r.request().method()} ${url}`);
		});
	}

	// Screenshot (full page) to build/e2e/screens and an axe-core check: no
	// serious or critical violation. axe runs through the DevTools
	// protocol, so the page's CSP is not loosened for it.
	async shot(page, name, { axe = true } = {}) {
		mkdirSync(SCREENS, { recursive: true });
		const file = path.join(SCREENS, `${this.name.replace(/^test_/, '')}-${String(++this.shots).padStart(2, '0')}-${name}.png`);
		await page.screenshot({ path: file, fullPage: true });
		if (!axe) return file;
		await page.evaluate(AXE);
		const res = await page.evaluate(async () => {
			// The watermark is decoration (aria-hidden), a fixed layer over
			// everything: with it axe cannot tell any text's background and
			// files every contrast check as "incomplete". Contrast is judged
			// without it (its 9 % grey changes no verdict).
			const wm = document.querySelector('.watermark');
			if (wm) wm.hidden = true;
			let r;
			try {
				r = await window.axe.run(document, { resultTypes: ['violations'] });
			} finally {
				if (wm) wm.hidden = false;
			}
			return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
				.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
		});
		if (res.length) this.problems.push(`axe on ${name}: ${res.join('; ')}`);
		return file;
	}

	async close() {
		for (const c of this.contexts) await c.close().catch(() => {});
	}
}

// Log in through the form (and the TOTP step when a secret is given).
export async function login(page, user, { secret = null, expectHome = true } = {}) {
	await page.goto('/#/login');
	await page.getByLabel('用户名').fill(user.username);
	await page.getByLabel('密码', { exact: true }).fill(user.password);
	await page.getByRole('button', { name: '登录' }).click();
	if (secret) {
		const otp = page.getByLabel('动态验证码');
		await otp.waitFor();
		await otp.fill(totp(secret));
		await page.getByRole('button', { name: '验证' }).click();
	}
	if (expectHome) await page.waitForURL(/#\/$/);
}
