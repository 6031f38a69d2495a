// The frame of every staff page: the header with the user and agency,
// the legal warning, the watermark (name, agency, time) on screen and in
// print, and the content area a screen renders into.

import { h, replace } from './ui.js';
import * as session from './session.js';

export const WARNING = '本系统含个人信息，仅限授权人员使用，所有操作均被记录';

let watermarkTimer = null;

function watermarkImage(lines) {
	const c = document.createElement('canvas');
	const ratio = 1;
	c.width = 340 * ratio; c.height = 200 * ratio;
	const g = c.getContext('2d');
	g.scale(ratio, ratio);
	g.translate(170, 100);
	g.rotate(-Math.PI / 9);
	g.font = '14px "Noto Sans CJK SC", "Microsoft YaHei", sans-serif';
	g.fillStyle = 'rgba(60, 60, 60, 0.09)';
	g.textAlign = 'center';
	lines.forEach((t, i) => g.fillText(t, 0, (i - (lines.length - 1) / 2) * 20));
	return c.toDataURL('image/png');
}

function stamp() {
	const d = new Date();
	const p = (n) => String(n).padStart(2, '0');
	return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
}

export function watermark(layer) {
	const me = session.me;
	if (!me) { layer.style.backgroundImage = ''; return; }
	const draw = () => {
		const lines = [`${me.user.display_name || me.user.username}（${me.user.username}）`, me.agency.name, stamp()];
		layer.style.backgroundImage = `url("${watermarkImage(lines)}")`;
		layer.dataset.text = lines.join(' ');
	};
	draw();
	clearInterval(watermarkTimer);
	watermarkTimer = setInterval(draw, 60000);
}

// Build (once) and return the content element of the staff frame.
export function frame(nav) {
	let root = document.getElementById('app');
	let main = document.getElementById('main');
	if (!main || root.dataset.frame !== 'staff') {
		const wm = h('div', { class: 'watermark', id: 'watermark', 'aria-hidden': 'true' });
		main = h('main', { id: 'main', class: 'content', tabindex: '-1' });
		replace(root,
			h('a', { class: 'skip', href: '#main' }, '跳到主要内容'),
			h('header', { class: 'topbar' },
				h('div', { class: 'brand' }, '广西不动产登记全区通办平台'),
				h('nav', { class: 'topnav', 'aria-label': '主菜单', id: 'topnav' }),
				h('div', { class: 'who', id: 'who' })),
			h('div', { class: 'warning', role: 'note' }, WARNING),
			main,
			wm);
		root.dataset.frame = 'staff';
		watermark(wm);
	}
	if (nav) replace(document.getElementById('topnav'), nav.topnav);
	if (nav) replace(document.getElementById('who'), nav.who);
	return main;
}

// A page without the staff frame (log-in, the applicant pages).
export function bare() {
	const root = document.getElementById('app');
	root.dataset.frame = 'bare';
	clearInterval(watermarkTimer);
	const main = h('main', { id: 'main', class: 'content narrow', tabindex: '-1' });
	replace(root, main);
	return main;
}
