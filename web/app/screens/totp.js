// TOTP enrolment: the API makes the secret and its QR code (PNG data:
// URL); the user scans it (or types the secret), then confirms with a
// code. An administrator account's first enrolment needs the one-time
// enrolment code handed over out of band.

import { h, replace, field, toast } from '../ui.js';
import { post } from '../api.js';
import { messageFor } from '../errors.js';
import * as session from '../session.js';

function grouped(secret) { return secret.replace(/(.{4})(?=.)/g, '$1 '); }

export async function render(main) {
	const me = session.me;
	const enabled = me.user.totp_enabled;
	const status = h('div', { class: 'form-status', role: 'alert', 'aria-live': 'assertive' });
	const needCode = !enabled && session.holdsMfaRole();
	const code = h('input', { autocomplete: 'off', maxlength: '19', autocapitalize: 'characters', spellcheck: 'false', placeholder: 'XXXX-XXXX-XXXX-XXXX' });
	const codeField = field('绑定码', code, '由管理员线下发放，72 小时内有效，只能使用一次。');
	codeField.hidden = !needCode;
	const start = h('button', { type: 'submit', class: 'btn btn-primary' }, enabled ? '重新生成绑定二维码' : '生成绑定二维码');
	const startForm = h('form', { class: 'form-grid', novalidate: true }, codeField, h('div', { class: 'actions' }, start));
	const stepBox = h('div', {});

	const intro = enabled
		? h('div', { class: 'banner banner-ok', role: 'status' }, '您的账号已启用动态验证码。如更换了手机，可重新绑定（须在使用动态验证码登录的会话中操作）。')
		: session.needsMfa()
			? h('div', { class: 'banner banner-warn', role: 'status' }, '您的角色须使用动态验证码登录。绑定后请退出并重新登录，管理权限才会生效。')
			: h('p', {}, '绑定后，每次登录除密码外还需输入验证器应用上的 6 位动态验证码。');

	replace(main,
		h('h1', {}, '动态验证码'),
		intro,
		h('section', { class: 'panel', 'aria-labelledby': 'totp-step1' },
			h('h2', { id: 'totp-step1', class: 'panel-title' }, '第一步：生成绑定二维码'),
			h('p', { class: 'muted' }, '请在手机上准备好验证器应用（支持 TOTP 标准的应用均可）。'),
			status, startForm),
		stepBox);

	startForm.addEventListener('submit', async (ev) => {
		ev.preventDefault();
		status.textContent = '';
		code.removeAttribute('aria-invalid');
		const body = {};
		if (!codeField.hidden) {
			const c = code.value.trim().toUpperCase();
			if (!c) { status.textContent = messageFor({ code: 'enrolment_code_required' }); code.setAttribute('aria-invalid', 'true'); code.focus(); return; }
			body.enrolment_code = c;
		}
		start.disabled = true;
		try {
			const e = await post('/api/v1/auth/totp/enroll', body);
			showSecret(e);
		} catch (e) {
			status.textContent = messageFor(e);
			if (e.code === 'enrolment_code_required' || e.code === 'invalid_enrolment_code') {
				codeField.hidden = false; code.setAttribute('aria-invalid', 'true'); code.focus();
			}
		} finally {
			start.disabled = false;
		}
	});

	function showSecret(e) {
		const otp = h('input', { inputmode: 'numeric', autocomplete: 'one-time-code', maxlength: '6', pattern: '[0-9]{6}', required: true });
		const st = h('div', { class: 'form-status', role: 'alert', 'aria-live': 'assertive' });
		const ok = h('button', { type: 'submit', class: 'btn btn-primary' }, '确认绑定');
		const form = h('form', { class: 'form-grid', novalidate: true }, field('动态验证码', otp, '输入验证器应用上显示的 6 位数字。'), h('div', { class: 'actions' }, ok));
		replace(stepBox,
			h('section', { class: 'panel', 'aria-labelledby': 'totp-step2' },
				h('h2', { id: 'totp-step2', class: 'panel-title' }, '第二步：扫描二维码并确认'),
				h('div', { class: 'totp-grid' },
					h('figure', { class: 'qr' },
						h('img', { src: e.qr_png, alt: '动态验证码绑定二维码', width: '200', height: '200' }),
						h('figcaption', {}, '用验证器应用扫描')),
					h('div', {},
						h('p', {}, '无法扫描时，在验证器中选择“手动输入密钥”，输入：'),
						h('p', { class: 'secret mono', id: 'totp-secret', 'aria-label': '密钥' }, grouped(e.secret)),
						h('p', { class: 'muted' }, '类型：基于时间（TOTP），6 位，30 秒。密钥只显示这一次，请勿截图或转发。'),
						st, form))));
		otp.focus();
		form.addEventListener('submit', async (ev) => {
			ev.preventDefault();
			st.textContent = '';
			if (!/^[0-9]{6}$/.test(otp.value.trim())) { st.textContent = '请输入 6 位数字的动态验证码。'; otp.focus(); return; }
			ok.disabled = true;
			try {
				await post('/api/v1/auth/totp/confirm', { otp: otp.value.trim() });
				await session.load();
				toast('动态验证码已绑定。', 'ok');
				replace(stepBox, h('div', { class: 'banner banner-ok', role: 'status' }, '动态验证码已绑定。以后登录时，请在密码之后输入验证器上的动态验证码。'),
					h('div', { class: 'actions' }, h('a', { class: 'btn btn-primary', href: '#/' }, '返回工作台')));
				start.textContent = '重新生成绑定二维码';
				codeField.hidden = true;
			} catch (err) {
				st.textContent = messageFor(err);
				otp.select();
				otp.focus();
			} finally {
				ok.disabled = false;
			}
		});
	}
	if (!needCode) start.focus(); else code.focus();
}
