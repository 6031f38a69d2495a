// The portal's pages load under the strict CSP with no error, and say who
// they are for.
import { assert, eq } from './lib.mjs';

export async function test_the_staff_portal_opens_at_the_log_in_screen(t) {
	const page = await t.page();
	const res = await page.goto('/');
	eq(res.status(), 200, 'the portal page');
	const csp = res.headers()['content-security-policy'];
	assert(/script-src 'self'/.test(csp) && /frame-ancestors 'none'/.test(csp), 'strict CSP: ' + csp);
	await page.waitForURL(/#\/login/);
	await page.locator('h1', { hasText: '工作人员登录' }).waitFor();
	eq(await page.title(), '登录 · 广西不动产登记全区通办平台', 'the title');
	await t.shot(page, 'login');
}
