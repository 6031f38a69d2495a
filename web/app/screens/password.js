// Change one's password: forced after a first log-in or a reset (the API
// answers 403 password_change_required everywhere else until it is done),
// or by choice. The policy is shown before typing; the server judges it
// (400 password_policy) and its answer is shown.

import { h, replace, field, toast } from '../ui.js';
import { post } from '../api.js';
import { messageFor } from '../errors.js';
import { navigate } from '../router.js';
import * as session from '../session.js';

export async function render(main) {
	const forced = session.me.user.must_change_password;
	const status = h('div', { class: 'form-status', role: 'alert', 'aria-live': 'assertive' });
	const cur = h('input', { type: 'password', autocomplete: 'current-password', required: true, maxlength: '1024' });
	const pw1 = h('input', { type: 'password', autocomplete: 'new-password', required: true, maxlength: '128' });
	const pw2 = h('input', { type: 'password', autocomplete: 'new-password', required: true, maxlength: '128' });
	const save = h('button', { type: 'submit', class: 'btn btn-primary' }, '修改密码');
	const form = h('form', { class: 'form-grid', novalidate: true },
		field(forced ? '当前密码（临时密码）' : '当前密码', cur),
		field('新密码', pw1),
		field('再次输入新密码', pw2),
		h('div', { class: 'actions' }, save,
			forced ? null : h('a', { class: 'btn', href: '#/' }, '取消')));

	replace(main,
		h('h1', {}, forced ? '请先修改密码' : '修改密码'),
		forced ? h('div', { class: 'banner banner-warn', role: 'status' },
			'这是首次登录或密码已被重置。为保护账号安全，请先设置只有您自己知道的新密码，然后才能办理业务。') : null,
		h('div', { class: 'two-col' },
			h('section', { class: 'panel', 'aria-labelledby': 'pw-form' },
				h('h2', { id: 'pw-form', class: 'panel-title' }, '设置新密码'), status, form),
			h('section', { class: 'panel panel-aside', 'aria-labelledby': 'pw-policy' },
				h('h2', { id: 'pw-policy', class: 'panel-title' }, '密码要求'),
				h('ul', { class: 'checklist' },
					h('li', {}, '长度 12–128 位'),
					h('li', {}, '至少包含大写字母、小写字母、数字、符号中的三类'),
					h('li', {}, '不能包含用户名'),
					h('li', {}, '修改后，您在其他终端上的登录会全部结束')))));

	form.addEventListener('submit', async (ev) => {
		ev.preventDefault();
		status.textContent = '';
		for (const i of [cur, pw1, pw2]) i.removeAttribute('aria-invalid');
		const bad = (input, code) => { status.textContent = messageFor({ code }); input.setAttribute('aria-invalid', 'true'); input.focus(); };
		if (!cur.value) return bad(cur, 'missing_field');
		if (!pw1.value) return bad(pw1, 'missing_field');
		if (pw1.value !== pw2.value) return bad(pw2, 'password_mismatch');
		save.disabled = true;
		try {
			await post('/api/v1/auth/password', { current_password: cur.value, new_password: pw1.value });
			await session.load();
			toast('密码已修改。其他终端上的登录已结束。', 'ok');
			navigate(session.needsMfa() ? '#/totp' : '#/');
		} catch (e) {
			if (e.code === 'invalid_credentials') bad(cur, 'wrong_password');
			else if (e.code === 'weak_password' || e.code === 'password_policy') {
				// the one refusal of the same code that is not the policy
				bad(pw1, /differ/.test(e.problem.detail || '') ? 'same_password' : e.code);
			}
			else status.textContent = messageFor(e);
		} finally {
			save.disabled = false;
		}
	});
	cur.focus();
}
