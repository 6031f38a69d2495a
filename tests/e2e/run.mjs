// make test's browser stage: runs every exported `test_*` function of
// tests/e2e/test_*.mjs (or of the modules named on the command line)
// against the stack at TB_PORT, each with its own browser contexts, and
// ends with `RESULT passed failed` for tests/run.sh.

import { readdirSync, rmSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { T, OUT } from './lib.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const files = readdirSync(here).filter((f) => /^test_.*\.mjs$/.test(f))
	.filter((f) => !only.length || only.some((o) => f.startsWith(o))).sort();
const TIMEOUT = 90000;   // a test may ask for more: test_x.timeout = ms

rmSync(path.join(OUT, 'screens'), { recursive: true, force: true });
mkdirSync(OUT, { recursive: true });

const browser = await chromium.launch({
	executablePath: process.env.TB_CHROMIUM || '/usr/bin/chromium',
	headless: true,
	args: process.getuid && process.getuid() === 0 ? ['--no-sandbox'] : [],
});

let passed = 0, failed = 0;
for (const f of files) {
	const mod = await import(pathToFileURL(path.join(here, f)).href);
	for (const [name, fn] of Object.entries(mod)) {
		if (!name.startsWith('test_') || typeof fn !== 'function') continue;
		const t = new T(browser, name);
		const started = Date.now();
		let error = null;
		let timer;
		try {
			await Promise.race([
				fn(t),
				new Promise((_, rej) => { timer = setTimeout(() => rej(new Error(`timed out after ${(fn.timeout || TIMEOUT) / 1000} s`)), fn.timeout || TIMEOUT); }),
			]);
		} catch (e) {
			error = e;
		}
		clearTimeout(timer);   // a pending timer would keep node alive after the last test
		const seen = error || t.problems.length ? await t.postmortem().catch((e) => [`postmortem: ${e.message}`]) : [];
		await t.close();
		const secs = ((Date.now() - started) / 1000).toFixed(1);
		if (!error && t.problems.length === 0) {
			passed++;
			console.log(`ok   ${f.replace(/\.mjs$/, '')}.${name} (${secs} s)`);
		} else {
			failed++;
			console.log(`FAIL ${f.replace(/\.mjs$/, '')}.${name} (${secs} s)`);
			if (error) console.log('  ' + (error.stack || String(error)).split('\n').slice(0, 8).join('\n  '));
			for (const p of t.problems) console.log('  ' + p);
			for (const l of seen) console.log('  | ' + l);
		}
	}
}
await browser.close();
console.log(`screens: ${path.join(OUT, 'screens')}`);
console.log(`RESULT ${passed} ${failed}`);
