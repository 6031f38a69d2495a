// Public check of a query-result certificate (查询结果证明), for phones:
// the QR code on the certificate leads here with the serial and the
// check code, as /v/?s=<serial>&c=<code> or /v/#<serial>.<code>. The page
// asks GET /api/v1/public/certificates/{serial}?code=… and says whether
// the document is genuine, when and by whom it was issued, its SHA-256,
// whether the register of its units has changed since, and the SM2
// signature. A form takes serial and code typed by hand. No session, no
// storage, no third-party anything.

import { h, replace } from '../app/dom.js';

const MESSAGES = {
	not_found: '未找到与该编号和核验码相符的查询结果证明。请核对证明上的编号和核验码。',
	certificate_not_found: '未找到与该编号和核验码相符的查询结果证明。请核对证明上的编号和核验码。',
	invalid_parameter: '编号或核验码格式不正确。',
	rate_limited: '核验过于频繁，请稍后再试。',
	network_error: '网络连接失败，请检查网络后重试。',
	outage: '核验服务暂时不可用，请稍后重试。',
	other: '暂时无法核验，请稍后重试。',
};

function fmtTime(iso) {
	if (!iso) return '';
	const d = new Date(iso);
	if (Number.isNaN(d.getTime())) return String(iso);
	// Beijing time whatever the phone's zone
	const t = new Date(d.getTime() + 8 * 3600 * 1000);
	const p = (n) => String(n).padStart(2, '0');
	return `${t.getUTCFullYear()}-${p(t.getUTCMonth() + 1)}-${p(t.getUTCDate())} ${p(t.getUTCHours())}:${p(t.getUTCMinutes())}:${p(t.getUTCSeconds())}`;
}

// serial and code from ?s=…&c=… or #<serial>.<code> (the code has no dot;
// the serial may), or from the API's own path /api/v1/public/certificates/{serial}?code=…
export function parseLocation(loc) {
	const q = new URLSearchParams(loc.search);
	if (q.get('s') && q.get('c')) return { serial: q.get('s').trim(), code: q.get('c').trim() };
	const frag = decodeURIComponent((loc.hash || '').replace(/^#/, ''));
	const dot = frag.lastIndexOf('.');
	if (dot > 0 && dot < frag.length - 1) return { serial: frag.slice(0, dot).trim(), code: frag.slice(dot + 1).trim() };
	const m = /\/certificates\/([^/?#]+)$/.exec(loc.pathname);
	if (m && q.get('code')) return { serial: decodeURIComponent(m[1]), code: q.get('code') };
	return null;
}

async function check(serial, code) {
	let res;
	try {
		res = await fetch(`/api/v1/public/certificates/${encodeURIComponent(serial)}?code=${encodeURIComponent(code)}`,
			{ headers: { Accept: 'application/json, application/problem+json' }, credentials: 'omit', cache: 'no-store', referrerPolicy: 'no-referrer' });
	} catch {
		return { error: 'network_error' };
	}
	let body = {};
	try { body = await res.json(); } catch { body = {}; }
	if (res.ok) return { body };
	if (res.status === 404 || res.status === 400 || res.status === 403) return { invalid: true, code: body.code || 'not_found' };
	if (res.status === 429) return { error: 'rate_limited' };
	if (res.status >= 502) return { error: 'outage' };
	return { error: 'other' };
}

function row(k, v, cls) {
	return h('div', { class: 'vf-row' + (cls ? ' ' + cls : '') }, h('dt', {}, k), h('dd', {}, v));
}

function resultView(serial, r) {
	const genuine = r.body ? r.body.genuine !== false && r.body.valid !== false : false;
	if (!r.body) {
		const msg = r.invalid ? (MESSAGES[r.code] || MESSAGES.not_found) : MESSAGES[r.error] || MESSAGES.other;
		return h('section', { class: 'ap-card vf-card vf-bad', 'aria-labelledby': 'vf-verdict' },
			h('p', { class: 'vf-mark', 'aria-hidden': 'true' }, '✕'),
			h('h1', { class: 'vf-verdict', id: 'vf-verdict', tabindex: '-1' }, r.invalid ? '无法验证' : '暂时无法核验'),
			h('p', { class: 'vf-serial' }, '证明编号：', h('span', { class: 'mono' }, serial)),
			h('p', {}, msg),
			r.invalid ? h('p', { class: 'ap-note' }, '无法验证的证明可能系伪造或被篡改，请勿采信，并可向出具机构核实。') : null);
	}
	const b = r.body;
	const agency = b.agency ? b.agency.name : (b.issuing_agency && b.issuing_agency.name) || b.agency_name || '';
	const sm2 = b.sm2 || (b.signatures && b.signatures.sm2) || null;
	const changed = b.changed_since === true;
	const items = [
		row('证明编号', h('span', { class: 'mono' }, b.serial || serial)),
		row('出具时间', fmtTime(b.issued_at)),
		agency ? row('出具机构', agency) : null,
		row('登记簿状况', changed ? '登记簿自出具后已变更' : '出具后登记簿未变更', changed ? 'vf-changed' : null),
		b.sha256 ? row('文件摘要 SHA-256', h('span', { class: 'mono vf-hash' }, b.sha256)) : null,
	];
	return h('section', { class: 'ap-card vf-card ' + (genuine ? 'vf-good' : 'vf-bad'), 'aria-labelledby': 'vf-verdict' },
		h('p', { class: 'vf-mark', 'aria-hidden': 'true' }, genuine ? '✓' : '✕'),
		h('h1', { class: 'vf-verdict', id: 'vf-verdict', tabindex: '-1' }, genuine ? '真实有效' : '无法验证'),
		h('p', { class: 'vf-lead' }, genuine
			? '该查询结果证明由广西不动产登记全区通办平台出具，文件摘要和电子签名与平台存档一致。'
			: '该证明与平台存档不符，请勿采信。'),
		changed ? h('p', { class: 'vf-warn', role: 'note' }, '注意：登记簿自出具后已变更。证明反映的是出具时的登记状况，如需了解现状请重新查询。') : null,
		h('dl', { class: 'vf-facts' }, items),
		sm2 ? h('details', { class: 'vf-sig' },
			h('summary', {}, '国密 SM2 签名信息'),
			h('dl', { class: 'vf-facts' },
				row('算法', sm2.algorithm || 'SM2 with SM3'),
				row('用户标识', h('span', { class: 'mono' }, sm2.user_id || sm2.id || '1234567812345678')),
				sm2.public_key ? row('公钥', h('span', { class: 'mono vf-hash vf-pem' }, sm2.public_key)) : null,
				sm2.signature ? row('签名值', h('span', { class: 'mono vf-hash' }, sm2.signature)) : null,
				sm2.verified !== undefined ? row('平台验签', sm2.verified ? '通过' : '未通过') : null),
			h('p', { class: 'ap-note' }, '签名覆盖证明 PDF 文件全文，可使用 openssl pkeyutl 以 SM2 公钥核验。')) : null,
		h('p', { class: 'ap-note' }, '请核对证明上的编号、出具时间与本页一致。本页不显示证明中的个人信息。'));
}

function form(status, initial) {
	const s = h('input', { id: 'vf-s', name: 's', type: 'text', autocomplete: 'off', spellcheck: 'false', value: initial.serial || '', required: true });
	const c = h('input', { id: 'vf-c', name: 'c', type: 'text', autocomplete: 'off', spellcheck: 'false', value: initial.code || '', required: true });
	const f = h('form', { class: 'ap-card', novalidate: true, 'aria-label': '手动核验' },
		h('h2', { class: 'vf-h2' }, '手动核验'),
		status,
		h('div', { class: 'ap-field' }, h('label', { for: 'vf-s' }, '证明编号'), s),
		h('div', { class: 'ap-field' }, h('label', { for: 'vf-c' }, '核验码'), c,
			h('p', { class: 'ap-hint' }, '见证明二维码下方。')),
		h('button', { type: 'submit', class: 'ap-btn' }, '核验'));
	f.addEventListener('submit', (ev) => {
		ev.preventDefault();
		if (!s.value.trim() || !c.value.trim()) { replace(status, document.createTextNode('请填写证明编号和核验码。')); return; }
		history.replaceState(null, '', `${location.pathname}?s=${encodeURIComponent(s.value.trim())}&c=${encodeURIComponent(c.value.trim())}`);
		run();
	});
	return f;
}

async function run() {
	const app = document.getElementById('app');
	const main = h('main', { class: 'ap-main', id: 'main', tabindex: '-1' });
	replace(app,
		h('header', { class: 'ap-top' }, h('span', { class: 'brand-mark', 'aria-hidden': 'true' }, '通'), h('span', {}, '广西不动产登记全区通办')),
		main,
		h('footer', { class: 'ap-foot' }, h('p', {}, '查询结果证明核验'), h('p', {}, '广西壮族自治区不动产登记')));
	const at = parseLocation(location);
	const status = h('div', { class: 'ap-status', role: 'alert' });
	if (!at) {
		replace(main, h('h1', {}, '查询结果证明核验'),
			h('p', { class: 'ap-lead' }, '请用手机扫描证明上的二维码，或输入证明编号和核验码。'), form(status, {}));
		return;
	}
	replace(main, h('p', { class: 'ap-lead', role: 'status' }, '正在核验…'));
	const r = await check(at.serial, at.code);
	replace(main, resultView(at.serial, r), r.body ? null : form(status, at));
	const v = document.getElementById('vf-verdict');
	if (v) v.focus();
}

window.addEventListener('hashchange', run);
run();
