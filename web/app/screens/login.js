// Log-in: user name and password, then the one-time code for accounts
// with TOTP (401 otp_required). A lock (429 login_locked) says how long
// to wait. After log-in: `next`, or the home screen; a forced password
// change or a missing second factor is asked for first.

import { h, replace, field, retryAfter, waitText } from '../ui.js';
import { post, setCsrf } from '../api.js';
import { messageFor } from '../errors.js';
import { navigate, query } from '../router.js';
import * as session from '../session.js';
import { WARNING, PRODUCT } from '../shell.js';

function safeNext(next) {
	// only a route of this portal, never another origin
	return next && /^#\/[A-Za-z0-9/_?=&%.-]*$/.test(next) && !next.startsWith('#/login') ? next : '#/';
}

export async function render(main) {
	document.title = '登录 · ' + PRODUCT;
	const q = query();
	const next = safeNext(q.get('next'));
	const notice = q.get('expired') ? ['warn', messageFor({ code: 'session_expired' })]
		: q.get('ended') ? ['warn', messageFor({ code: 'session_ended' })]
			: q.get('bye') ? ['info', '您已安全退出登录。'] : null;

	const status = h('div', { class: 'form-status', role: 'alert', 'aria-live': 'assertive' });
	const user = h('input', { name: 'username', autocomplete: 'username', required: true, maxlength: '64', autocapitalize: 'none', spellcheck: 'false' });
	const pass = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true, maxlength: '1024' });
	const otp = h('input', { name: 'otp', inputmode: 'numeric', autocomplete: 'one-time-code', pattern: '[0-9]{6}', maxlength: '6', required: true });
	const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block' }, '登录');
	const verify = h('button', { type: 'submit', class: 'btn btn-primary btn-block' }, '验证');
	const back = h('button', { type: 'button', class: 'btn btn-link', onclick: () => showStep1() }, '返回，换一个账号');

	const step1 = h('form', { class: 'login-form', novalidate: true },
		field('用户名', user), field('密码', pass), submit);
	const step2 = h('form', { class: 'login-form', novalidate: true },
		h('p', { class: 'step-note' }, '此账号已启用动态验证码。请打开验证器应用，输入当前显示的 6 位数字。'),
		field('动态验证码', otp, '验证码每 30 秒更新一次，每个验证码只能使用一次。'), verify, back);

	const card = h('section', { class: 'login-card', 'aria-labelledby': 'login-title' },
		h('div', { class: 'login-head' },
			h('span', { class: 'brand-mark big', 'aria-hidden': 'true' }, '通'),
			h('div', {},
				h('p', { class: 'login-product' }, PRODUCT),
				h('h1', { id: 'login-title' }, '工作人员登录'))),
		notice ? h('div', { class: `banner banner-${notice[0]}`, role: 'status' }, notice[1]) : null,
		status, step1, step2);
	replace(main, card, h('p', { class: 'login-warning' }, WARNING));
	step2.hidden = true;

	function showStep1() {
		step2.hidden = true; step1.hidden = false; otp.value = ''; status.textContent = '';
		pass.value = ''; pass.focus();
	}

	function fail(e, input) {
		let text = messageFor(e);
		if (e.code === 'login_locked') {
			const s = retryAfter(e);
			if (s !== null) text = `登录失败次数过多，此账号在本终端已临时锁定，请${waitText(s)}后再试。`;
		}
		status.textContent = text;
		if (input) { input.setAttribute('aria-invalid', 'true'); input.focus(); input.select(); }
	}

	async function attempt(withOtp) {
		status.textContent = '';
		for (const i of [user, pass, otp]) i.removeAttribute('aria-invalid');
		const body = { username: user.value.trim(), password: pass.value };
		if (withOtp) body.otp = otp.value.trim();
		const btn = withOtp ? verify : submit;
		btn.disabled = true;
		try {
			const res = await post('/api/v1/auth/login', body, { allow401: true });
			setCsrf(res.csrf_token);
			await session.load();
			if (!session.me) throw Object.assign(new Error('no session'), { code: 'session_ended', status: 401 });
			if (session.me.user.must_change_password) navigate('#/password');
			else if (session.needsMfa()) navigate('#/totp');
			else navigate(next);
		} catch (e) {
			if (e.code === 'otp_required') {
				step1.hidden = true; step2.hidden = false; otp.focus();
			} else if (withOtp && (e.code === 'invalid_credentials' || e.code === 'invalid_otp')) {
				fail({ code: 'invalid_otp' }, otp);
			} else {
				fail(e, e.code === 'invalid_credentials' ? pass : null);
			}
		} finally {
			btn.disabled = false;
		}
	}

	step1.addEventListener('submit', (ev) => {
		ev.preventDefault();
		if (!user.value.trim()) { status.textContent = '请输入用户名。'; user.focus(); return; }
		if (!pass.value) { status.textContent = '请输入密码。'; pass.focus(); return; }
		attempt(false);
	});
	step2.addEventListener('submit', (ev) => {
		ev.preventDefault();
		if (!/^[0-9]{6}$/.test(otp.value.trim())) { status.textContent = '请输入 6 位数字的动态验证码。'; otp.focus(); return; }
		attempt(true);
	});
	user.focus();
}
