// Steps the case screens' browser tests share: staff for a role, the
// keyboard walk through the wizard, actions on the case page.
import { fixture, login, sql, eq, assert } from './lib.mjs';

export const WINDOW = '451302';     // 来宾市兴宾区: the window
export const DECIDING = '450103';   // 南宁市青秀区: where the units lie

export const PDF = Buffer.from('%PDF-1.4\n% scanned document\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n');

export function staff(role, agency) {
	return fixture('users', { grants: [[role, agency]] })[0];
}

// Several people at once: staffs([role, agency], ...) → users in order.
export function staffs(...grants) {
	return fixture('users', { grants });
}

// A signed-in page of its own browser context.
export async function signedIn(t, user) {
	const page = await t.page();
	if (process.env.TB_DEV_LOGIN) {   // DEV-ONLY until the log-in screen is merged
		await page.request.post('/api/v1/auth/login', { data: { username: user.username, password: user.password } });
		await page.goto('/#/');
		await page.locator('#main').waitFor();
		return page;
	}
	await login(page, user);
	return page;
}

// Press Tab until the focused element matches `selector` (keyboard only).
export async function tabTo(page, selector, max = 40) {
	for (let i = 0; i < max; i++) {
		await page.keyboard.press('Tab');
		if (await page.evaluate((s) => document.activeElement && document.activeElement.matches(s), selector)) return;
	}
	throw new Error('Tab never reached ' + selector);
}

export async function focusedText(page) {
	return page.evaluate(() => document.activeElement ? document.activeElement.textContent.trim() : '');
}

// The step's heading holds the focus after each step change.
export async function expectStep(page, title) {
	await page.waitForFunction((t) => document.activeElement && document.activeElement.textContent === t, title);
}

export function state(id) {
	return sql(`SELECT state FROM cases.case WHERE id = ${id}`)[0][0];
}

// Do an action through its button and confirmation dialog; `fill(dialog)`
// fills the dialog's own fields.
export async function act(page, name, fill) {
	await page.getByRole('group', { name: '可办理的操作' }).getByRole('button', { name, exact: true }).click();
	const dlg = page.getByRole('dialog');
	await dlg.waitFor();
	if (fill) await fill(dlg);
	await dlg.getByRole('button', { name: '确认' + name }).click();
	await dlg.waitFor({ state: 'detached' });
}

export async function stateShown(page, text) {
	await page.locator('.case-title .state').filter({ hasText: new RegExp('^' + text + '$') }).waitFor();
}

export async function openCase(page, id) {
	if (page.url().endsWith(`/#/cases/${id}`)) await page.reload();   // the same hash would not render again
	else await page.goto(`/#/cases/${id}`);
	await page.locator('.case-title h1').waitFor();
}

// An object with its keys in order (jsonb keeps its own order).
export function sorted(o) {
	return Object.fromEntries(Object.keys(o).sort().map((k) => [k, o[k]]));
}

export { eq, assert, sql };
