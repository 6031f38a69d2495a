// The frame of every staff page: the header with the menu, the user and
// agency and the log-out button, the legal warning, the watermark (name,
// agency, time) on screen and in print, the content area a screen renders
// into, and the idle-timeout warning.

import { h, replace } from './ui.js';
import * as session from './session.js';

export const WARNING = '本系统含个人信息，仅限授权人员使用，所有操作均被记录';
export const PRODUCT = '广西不动产登记全区通办平台';

let watermarkTimer = null;

function watermarkImage(lines) {
	const c = document.createElement('canvas');
	const ratio = Math.min(2, window.devicePixelRatio || 1);
	c.width = 360 * ratio; c.height = 220 * ratio;
	const g = c.getContext('2d');
	g.scale(ratio, ratio);
	g.translate(180, 110);
	g.rotate(-Math.PI / 9);
	g.font = '14px "Noto Sans CJK SC", "Microsoft YaHei", sans-serif';
	g.fillStyle = 'rgba(40, 50, 60, 0.10)';
	g.textAlign = 'center';
	lines.forEach((t, i) => g.fillText(t, 0, (i - (lines.length - 1) / 2) * 20));
	return c.toDataURL('image/png');
}

function stamp() {
	const d = new Date();
	const p = (n) => String(n).padStart(2, '0');
	return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
}

// The tiled watermark, redrawn every minute (the time on it moves) and
// right before printing (a printout carries the time it was made).
export function watermark(layer) {
	const me = session.me;
	clearInterval(watermarkTimer);
	if (!me) { layer.style.backgroundImage = ''; return; }
	const draw = () => {
		const lines = [`${me.user.display_name || me.user.username}（${me.user.username}）`, me.agency.name, stamp()];
		layer.style.backgroundImage = `url("${watermarkImage(lines)}")`;
		layer.dataset.text = lines.join(' ');
	};
	draw();
	watermarkTimer = setInterval(draw, 60000);
}
window.addEventListener('beforeprint', () => {
	const wm = document.getElementById('watermark');
	if (wm && session.me) watermark(wm);
});

// Build (once) and return the content element of the staff frame.
// nav: {topnav, who} from nav.js.
export function frame(nav) {
	const root = document.getElementById('app');
	let main = document.getElementById('main');
	if (!main || root.dataset.frame !== 'staff') {
		const wm = h('div', { class: 'watermark', id: 'watermark', 'aria-hidden': 'true' });
		main = h('main', { id: 'main', class: 'content', tabindex: '-1' });
		replace(root,
			h('a', { class: 'skip', href: '#main', onclick: (e) => { e.preventDefault(); main.focus(); } }, '跳到主要内容'),
			h('header', { class: 'topbar' },
				h('a', { class: 'brand', href: '#/' },
					h('span', { class: 'brand-mark', 'aria-hidden': 'true' }, '通'),
					h('span', {}, PRODUCT)),
				h('nav', { class: 'topnav', 'aria-label': '主菜单', id: 'topnav' }),
				h('div', { class: 'who', id: 'who' })),
			h('div', { class: 'warning', role: 'note' },
				h('span', { class: 'warning-mark', 'aria-hidden': 'true' }, '!'), h('span', { class: 'warning-text' }, WARNING)),
			main,
			h('footer', { class: 'footer' }, '广西壮族自治区不动产登记 · 全区通办'),
			wm);
		root.dataset.frame = 'staff';
		watermark(wm);
	}
	if (nav) replace(document.getElementById('topnav'), nav.topnav);
	if (nav) replace(document.getElementById('who'), nav.who);
	return main;
}

// A page without the staff frame (log-in).
export function bare() {
	const root = document.getElementById('app');
	root.dataset.frame = 'bare';
	clearInterval(watermarkTimer);
	closeIdleDialog();
	const main = h('main', { id: 'main', class: 'content narrow', tabindex: '-1' });
	replace(root, main);
	return main;
}

// ---- the idle warning -------------------------------------------------
let idleDlg = null;
let countdown = null;

function closeIdleDialog() {
	clearInterval(countdown);
	if (idleDlg) { const d = idleDlg; idleDlg = null; if (d.open) d.close(); d.remove(); }
}

// warn(deadline ms): a modal the user answers with "继续使用" (a request
// to /auth/me, which the server counts as activity) or "退出登录".
export function idleWarning(deadline, { onContinue, onLogout }) {
	closeIdleDialog();
	const secs = h('strong', { id: 'idle-secs' });
	const tick = () => { secs.textContent = String(Math.max(0, Math.ceil((deadline - Date.now()) / 1000))); };
	tick();
	countdown = setInterval(tick, 1000);
	const status = h('div', { class: 'form-status', role: 'alert' });
	const keep = h('button', { type: 'button', class: 'btn btn-primary', onclick: async () => {
		keep.disabled = true;
		try { await onContinue(); } catch (e) { status.textContent = e.message; keep.disabled = false; }
	} }, '继续使用');
	const leave = h('button', { type: 'button', class: 'btn', onclick: () => onLogout() }, '退出登录');
	idleDlg = h('dialog', { class: 'dialog', 'aria-labelledby': 'idle-title', 'aria-describedby': 'idle-text' },
		h('h2', { id: 'idle-title' }, '即将因长时间未操作退出'),
		h('p', { id: 'idle-text' }, '为保护个人信息，长时间未操作将自动退出登录。系统将在 ', secs, ' 秒后退出；如需继续办理，请点击“继续使用”。'),
		status,
		h('div', { class: 'dialog-actions' }, leave, keep));
	// Esc would hide the warning without telling the server anything
	idleDlg.addEventListener('cancel', (e) => e.preventDefault());
	document.body.appendChild(idleDlg);
	idleDlg.showModal();
	keep.focus();
}

export function idleCalm() { closeIdleDialog(); }
