// The header's menu and user box, from the user's permissions.

import { h } from './ui.js';

export function navFor(me) {
	const links = [['#/', '工作台']];
	if (me.permissions.some((p) => p.permission === 'case.create')) links.push(['#/cases/new', '受理登记']);
	links.push(['#/sessions', '我的会话']);
	const topnav = h('ul', {}, links.map(([href, text]) => h('li', {}, h('a', { href }, text))));
	const who = h('span', {}, `${me.user.display_name || me.user.username} · ${me.agency.name}`);
	return { topnav, who };
}
