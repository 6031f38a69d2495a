// make bench's portal part, against the bench's stack at TB_PORT (nginx
// serving build/web and the API). Two measurements, both driving Debian's
// chromium:
//  1. cold loads (a new browser context: empty cache, no service worker) of
//     the worklist screen, signed in with BENCH_TOKEN's session cookie, and
//     of the applicant page, median of BENCH_PORTAL_RUNS (5): bytes over the
//     wire (the sum of the DevTools protocol's Network.loadingFinished
//     encodedDataLength: compressed bodies plus response headers, every
//     request of the load until the network is idle), the bodies' size
//     unpacked (PerformanceResourceTiming decodedBodySize), requests, first
//     contentful paint, and the time from navigation start until the screen
//     is usable (READY below visible; performance.now() in the page);
//  2. Lighthouse (performance, accessibility, best practices; simulated
//     throttling) on the log-in page and the worklist (desktop preset) and
//     on the applicant page (mobile preset), median of BENCH_LH_RUNS (3) by
//     performance score; the audits that cost points are listed under any
//     score below the goal.
// Prints tables for tests/bench/bench.sh; asserts nothing, exits non-zero
// only when it cannot measure at all. Plain Node 18 syntax.

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';
import lighthouse from 'lighthouse';
import desktopConfig from 'lighthouse/core/config/desktop-config.js';
import * as chromeLauncher from 'chrome-launcher';

// What "usable" means, one line each: the element that appears once the
// screen shows its data (the worklist: its first row).
const READY_WORKLIST = process.env.BENCH_READY_WORKLIST || '#worklist tbody tr';
const READY_APPLICANT = process.env.BENCH_READY_APPLICANT || '#ap-number';

const GOAL_KB = 150;      // first load of the worklist screen, compressed, in total
const GOAL_SCORE = 95;    // each Lighthouse category
const BASE = `http://127.0.0.1:${process.env.TB_PORT}`;
const TOKEN = process.env.BENCH_TOKEN || '';
// a static page in the bench's web root (one heading and a line of Chinese
// text, no script, no stylesheet): what this machine and browser give any page
const BASELINE = process.env.BENCH_BASELINE || '';
const RUNS = Number(process.env.BENCH_PORTAL_RUNS || 5);
const LH_RUNS = Number(process.env.BENCH_LH_RUNS || 3);
const CHROMIUM = process.env.TB_CHROMIUM || '/usr/bin/chromium';
const ROOT_USER = typeof process.getuid === 'function' && process.getuid() === 0;
const READY_TIMEOUT = 15000;
const COOKIE = '__Host-tb_session';

const require = createRequire(import.meta.url);
const LH_VERSION = JSON.parse(readFileSync(require.resolve('lighthouse/package.json'), 'utf8')).version;

function median(xs) {
	const s = xs.filter((x) => x !== null).sort((a, b) => a - b);
	return s.length ? s[Math.floor((s.length - 1) / 2)] : null;
}

const pad = (s, n) => String(s).padEnd(n);
const lpad = (s, n) => String(s).padStart(n);

// One cold load of `path`; `ready` is the selector that makes it usable.
async function coldLoad(browser, path, ready, { signedIn, viewport }) {
	const ctx = await browser.newContext({ viewport, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
	try {
		if (signedIn) {
			await ctx.addCookies([{ name: COOKIE, value: TOKEN, domain: '127.0.0.1', path: '/',
				secure: true, httpOnly: true, sameSite: 'Strict' }]);
		}
		// The moment the ready element is first in the page and has a box,
		// taken in the page itself (no round trip to this process).
		await ctx.addInitScript((sel) => {
			const seen = () => {
				if (window.__tbReadyAt !== undefined) return;
				const el = document.querySelector(sel);
				if (!el) return;
				const r = el.getBoundingClientRect();
				if (r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== 'hidden') {
					window.__tbReadyAt = null;
					// the frame that draws it: after the next animation frame
					requestAnimationFrame(() => setTimeout(() => { window.__tbReadyAt = performance.now(); }, 0));
				}
			};
			new MutationObserver(seen).observe(document, { childList: true, subtree: true, attributes: true });
		}, ready);
		const page = await ctx.newPage();
		const cdp = await ctx.newCDPSession(page);
		let bytes = 0, requests = 0;
		const urls = new Map(), sizes = [];
		cdp.on('Network.requestWillBeSent', (e) => { requests++; urls.set(e.requestId, e.request.url); });
		cdp.on('Network.loadingFinished', (e) => {
			bytes += e.encodedDataLength;
			sizes.push([urls.get(e.requestId) || '?', e.encodedDataLength]);
		});
		await cdp.send('Network.enable');
		await page.goto(BASE + path, { waitUntil: 'commit' });
		let usable = null;
		try {
			await page.locator(ready).first().waitFor({ state: 'visible', timeout: READY_TIMEOUT });
			await page.waitForFunction(() => typeof window.__tbReadyAt === 'number', null, { timeout: READY_TIMEOUT });
			usable = await page.evaluate(() => window.__tbReadyAt);
		} catch (e) {
			if (!/Timeout/.test(e.message)) throw e;
		}
		// everything the load fetches, the favicon included
		await page.waitForLoadState('networkidle');
		const landed = page.url() === BASE + path ? null : page.url();
		const { fcp, decoded } = await page.evaluate(() => {
			const p = performance.getEntriesByName('first-contentful-paint')[0];
			const all = [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')];
			return { fcp: p ? p.startTime : null, decoded: all.reduce((n, e) => n + e.decodedBodySize, 0) };
		});
		// nothing is usable before anything is painted (text waits for its font)
		if (usable !== null && fcp !== null) usable = Math.max(usable, fcp);
		return { bytes, decoded, requests, fcp, usable, landed, sizes };
	} finally {
		await ctx.close();
	}
}

async function loads() {
	const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true,
		args: ROOT_USER ? ['--no-sandbox'] : [] });
	const pages = [
		{ name: 'worklist /#/', path: '/#/', ready: READY_WORKLIST, signedIn: true,
			viewport: { width: 1366, height: 768 }, goal: true },
		{ name: 'applicant /p/', path: '/p/', ready: READY_APPLICANT, signedIn: false,
			viewport: { width: 375, height: 667 } },
	];
	if (BASELINE) {
		pages.unshift({ name: 'baseline', path: BASELINE, ready: 'h1', signedIn: false,
			viewport: { width: 1366, height: 768 } });
	}
	const out = [];
	try {
		// one load not counted: the browser's first renderer pays for
		// starting up (fonts, caches), which a user's running browser has done
		await coldLoad(browser, '/#/login', 'body', { signedIn: false, viewport: { width: 1366, height: 768 } });
		for (const p of pages) {
			const runs = [];
			for (let i = 0; i < RUNS; i++) runs.push(await coldLoad(browser, p.path, p.ready, p));
			const m = (k) => median(runs.map((r) => r[k]));
			out.push({ ...p, bytes: m('bytes'), decoded: m('decoded'), requests: m('requests'), fcp: m('fcp'),
				usable: m('usable'), sizes: runs[runs.length - 1].sizes, landed: runs.map((r) => r.landed).find(Boolean), reached: runs.filter((r) => r.usable !== null).length, runs: runs.length });
		}
	} finally {
		await browser.close();
	}
	return out;
}

// The audits that cost a category points: scored (weight > 0) below full
// marks; for performance also the opportunities Lighthouse estimates save time.
function losses(lhr, catId) {
	const cat = lhr.categories[catId];
	const lines = [];
	for (const ref of cat.auditRefs) {
		const a = lhr.audits[ref.id];
		if (!a || a.score === null || a.scoreDisplayMode === 'notApplicable' || a.scoreDisplayMode === 'informative'
			|| a.scoreDisplayMode === 'manual') continue;
		const saving = a.details && a.details.overallSavingsMs;
		if ((ref.weight > 0 && a.score < 1) || (catId === 'performance' && ref.weight === 0 && saving > 0 && a.score < 1)) {
			const where = a.details && Array.isArray(a.details.items) && a.details.items.length
				? ' — ' + a.details.items.slice(0, 3).map(itemLabel).filter(Boolean).join('; ') : '';
			lines.push(`${a.id}${a.displayValue ? ' (' + a.displayValue + ')' : ''}: ${a.title}${where}`);
		}
	}
	return lines;
}

function itemLabel(it) {
	if (it.node && (it.node.selector || it.node.snippet)) return it.node.selector || it.node.snippet;
	if (it.url) return it.url.replace(BASE, '');
	if (it.description) return String(it.description).slice(0, 120);
	if (it.source && it.source.url) return it.source.url.replace(BASE, '');
	return '';
}

async function lighthouseAll() {
	// started on the log-in page: the browser, its fonts and the OS's page
	// cache warm, as a user's running browser is (each run still clears the
	// origin's cache and storage)
	const chrome = await chromeLauncher.launch({ chromePath: CHROMIUM, logLevel: 'silent', startingUrl: BASE + '/#/login',
		chromeFlags: ['--headless=new', '--disable-gpu', ...(ROOT_USER ? ['--no-sandbox'] : [])] });
	const cats = ['performance', 'accessibility', 'best-practices'];
	const pages = [
		{ name: 'log-in /#/login', path: '/#/login', preset: 'desktop' },
		{ name: 'worklist /#/', path: '/#/', preset: 'desktop', headers: { Cookie: `${COOKIE}=${TOKEN}` } },
		{ name: 'applicant /p/', path: '/p/', preset: 'mobile' },
	];
	if (BASELINE) {
		pages.unshift({ name: 'baseline', path: BASELINE, preset: 'desktop', baseline: true },
			{ name: 'baseline', path: BASELINE, preset: 'mobile', baseline: true });
	}
	const out = [];
	const bench = [];
	try {
		for (const p of pages) {
			const runs = [];
			for (let i = 0; i < LH_RUNS; i++) {
				// no full-page screenshot: nothing here reads it, and it costs a second and more per run
				const flags = { port: chrome.port, output: 'json', logLevel: 'error', onlyCategories: cats, disableFullPageScreenshot: true,
					extraHeaders: p.headers };
				const res = await lighthouse(BASE + p.path, flags, p.preset === 'desktop' ? desktopConfig : undefined);
				runs.push(res.lhr);
				bench.push(Math.round(res.lhr.environment.benchmarkIndex));
			}
			runs.sort((a, b) => a.categories.performance.score - b.categories.performance.score);
			const lhr = runs[Math.floor((runs.length - 1) / 2)];
			const scores = {};
			for (const c of cats) scores[c] = Math.round(lhr.categories[c].score * 100);
			const misses = cats.filter((c) => scores[c] < GOAL_SCORE).map((c) => [c, losses(lhr, c)]);
			const mt = lhr.audits['mainthread-work-breakdown'];
			if (scores.performance < GOAL_SCORE && mt && mt.details) {
				// where the main thread went (observed time × the preset's CPU multiplier)
				misses.find(([c]) => c === 'performance')[1].push('main thread: ' + mt.details.items.slice(0, 4)
					.map((it) => `${it.groupLabel} ${Math.round(it.duration)} ms`).join(', '));
				const lt = lhr.audits['long-tasks'];
				if (lt && lt.details && lt.details.items.length) {
					misses.find(([c]) => c === 'performance')[1].push('long tasks (as simulated): ' + lt.details.items.slice(0, 4)
						.map((it) => `${String(it.url).replace(BASE, '').replace(/^\/assets\/[0-9a-f]+\//, '')} ${Math.round(it.duration)} ms`).join(', '));
				}
			}
			const warnings = [...(lhr.runWarnings || [])];
			// a refused session would score the log-in page under the worklist's name
			if (lhr.finalDisplayedUrl !== BASE + p.path) warnings.push(`ended at ${lhr.finalDisplayedUrl}, not ${BASE + p.path}`);
			out.push({ ...p, scores, misses, warnings,
				lcp: lhr.audits['largest-contentful-paint'].displayValue,
				tbt: lhr.audits['total-blocking-time'].displayValue });
		}
	} finally {
		await chrome.kill();
	}
	return { pages: out, cats, bench };
}

function chromiumVersion() {
	try {
		return execFileSync(CHROMIUM, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim().replace(/^Chromium /, '').split(' ')[0];
	} catch (e) {
		return '?';
	}
}

const kb = (b) => (b / 1024).toFixed(1);
const ms = (v) => (v === null ? '—' : Math.round(v));

const started = Date.now();
const load = loadavg()[0].toFixed(1);
const l = await loads();
console.log(`portal: cold loads (new context, empty cache) on chromium ${chromiumVersion()}, Node ${process.version}, median of ${RUNS}; load average ${load}`);
console.log('bytes = DevTools Network.loadingFinished encodedDataLength summed over the load (compressed bodies + headers)');
console.log(`${pad('page', 16)} ${lpad('requests', 8)} ${lpad('wire KB', 8)} ${lpad('body KB', 8)} ${lpad('FCP ms', 7)} ${lpad('usable ms', 9)}  goal`);
for (const p of l) {
	const goal = p.goal ? `< ${GOAL_KB} KB: ${p.bytes / 1024 < GOAL_KB ? 'met' : 'MISSED'}` : (p.path === BASELINE ? '(static page, no script)' : '');
	console.log(`${pad(p.name, 16)} ${lpad(p.requests, 8)} ${lpad(kb(p.bytes), 8)} ${lpad(kb(p.decoded), 8)} ${lpad(ms(p.fcp), 7)} ${lpad(ms(p.usable), 9)}  ${goal}`);
}
for (const p of l) {
	if (p.goal) {
		// where the bytes go: the largest transfers, asset paths without their hash
		const top = p.sizes.slice().sort((a, b) => b[1] - a[1]).slice(0, 6)
			.map(([u, n]) => `${u.replace(BASE, '').replace(/^\/assets\/[0-9a-f]+\//, '')} ${kb(n)}`);
		console.log(`  ${p.name} largest (KB on the wire): ${top.join(', ')}`);
	}
	if (p.landed) console.log(`  ${p.name}: ended at ${p.landed}, not ${BASE + p.path}`);
	if (p.reached < p.runs) console.log(`  ${p.name}: usable (${p.ready}) not seen within ${READY_TIMEOUT / 1000} s in ${p.runs - p.reached} of ${p.runs} loads`);
}

if (LH_RUNS > 0) {
	const lh = await lighthouseAll();
	console.log();
	console.log(`Lighthouse ${LH_VERSION} (simulated throttling; benchmark index ${Math.min(...lh.bench)}–${Math.max(...lh.bench)}), median of ${LH_RUNS} by performance; goal >= ${GOAL_SCORE} each`);
	console.log(`${pad('page', 16)} ${pad('preset', 8)} ${lpad('perf', 5)} ${lpad('a11y', 5)} ${lpad('best-pr', 7)} ${lpad('LCP', 7)} ${lpad('TBT', 7)}  goal`);
	for (const p of lh.pages) {
		const s = p.scores;
		const missed = lh.cats.filter((c) => s[c] < GOAL_SCORE);
		const base = lh.pages.find((b) => b.baseline && b.preset === p.preset);
		const goal = p.baseline ? '(static page, no script)'
			: (missed.length ? 'MISSED: ' + missed.join(', ') : 'met') + (base ? `; perf ${s.performance - base.scores.performance >= 0 ? '+' : ''}${s.performance - base.scores.performance} vs baseline` : '');
		console.log(`${pad(p.name, 16)} ${pad(p.preset, 8)} ${lpad(s.performance, 5)} ${lpad(s.accessibility, 5)} ${lpad(s['best-practices'], 7)} ${lpad(p.lcp, 7)} ${lpad(p.tbt, 7)}  ${goal}`);
	}
	for (const p of lh.pages) {
		if (p.baseline) continue;
		for (const [c, lines] of p.misses) {
			console.log(`  ${p.name} ${c} ${p.scores[c]}:`);
			for (const line of lines) console.log(`    ${line}`);
		}
		for (const w of p.warnings) console.log(`  ${p.name} warning: ${w}`);
	}
}
console.log(`(portal measurement: ${Math.round((Date.now() - started) / 1000)} s)`);
