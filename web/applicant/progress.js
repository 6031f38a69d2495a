// Applicant's progress page, /p/#<case number> (the fragment never reaches
// a server or a log): the case number and the last six characters of a
// party's ID number → the state in plain words, the promised date, the
// steps so far (no staff names: the API gives none), and what is missing
// when the deciding agency asked for more documents; when the fee is due,
// the amount and the payment QR code (inside WeChat also a pay link),
// watched until the provider's notification marks it paid. No staff
// session, no storage.

const NUMBER = /^TB-\d{6}-\d{4}-\d{6}$/;
const LAST6 = /^[0-9A-Za-z]{6}$/;

// state → [headline, what happens next], in words an applicant reads
const STATES = {
	draft: ['窗口正在录入', '受理窗口正在录入您的申请。'],
	submitted: ['已提交，等待受理', '申请已提交给不动产所在地的登记机构，等待受理。'],
	accepted: ['审核中', '登记机构已受理，正在审核。'],
	supplement_requested: ['需要补充材料', '请按下列清单准备材料，到原受理窗口补交。补交后继续审核。'],
	rejected: ['不予登记', '您的申请未通过审核。具体原因请咨询原受理窗口。'],
	approved: ['审核通过', '审核已通过，正在办理登簿。'],
	registered: ['已登簿', '已记载于不动产登记簿，正在核定登记费。'],
	fees_set: ['请缴纳登记费', '登记费已核定。请用微信扫描下方二维码缴费，也可到受理窗口缴费。'],
	paid: ['已缴费，正在制证', '已收到登记费，正在缮制证书或证明。'],
	issued: ['证书已制作完成', '证书或证明已制作完成，等待领取或邮寄。'],
	delivered: ['已送达', '证书或证明已交付。'],
	closed: ['已办结', '本次登记已全部办结。'],
	withdrawn: ['已撤回', '申请已撤回。'],
};
const STEPS = {
	create: '窗口录入申请', submit: '申请已提交', accept: '登记机构受理', request_supplement: '要求补充材料',
	resubmit: '补充材料已提交', approve: '审核通过', reject: '不予登记', register: '登簿',
	set_fees: '核定登记费', record_payment: '已缴费', issue: '缮制证书', deliver: '证书送达',
	close: '办结', withdraw: '撤回申请', due_recomputed: '办理时限调整（节假日安排变化）',
};
const MESSAGES = {
	progress_not_found: '案件编号或证件号码后六位不正确，请核对受理回执后重试。',
	progress_locked: '该案件编号查询错误次数过多，已暂停查询。',
	rate_limited: '查询过于频繁，请稍后再试。',
	payment_unavailable: '在线缴费暂不可用，请到受理窗口缴费。',
	network_error: '网络连接失败，请检查网络后重试。',
	outage: '查询服务暂时不可用，请稍后重试。',
	other: '暂时无法查询，请稍后重试。',
};

function h(tag, attrs, ...children) {
	const el = document.createElement(tag);
	for (const [k, v] of Object.entries(attrs || {})) {
		if (v === false || v === null || v === undefined) continue;
		if (k === 'class') el.className = v;
		else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
		else if (v === true) el.setAttribute(k, '');
		else el.setAttribute(k, String(v));
	}
	for (const c of children.flat()) {
		if (c === null || c === undefined || c === false) continue;
		el.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
	}
	return el;
}
function replace(el, ...children) { el.textContent = ''; for (const c of children.flat()) if (c) el.appendChild(c); }

const p2 = (n) => String(n).padStart(2, '0');
function fmtDate(iso) {
	const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(iso || '');
	return m ? `${Number(m[1])}年${Number(m[2])}月${Number(m[3])}日` : '';
}
function fmtTime(iso) {
	const d = new Date(iso);
	if (Number.isNaN(d.getTime())) return '';
	return `${d.getFullYear()}-${p2(d.getMonth() + 1)}-${p2(d.getDate())} ${p2(d.getHours())}:${p2(d.getMinutes())}`;
}

async function ask(number, last6, what = 'progress') {
	let res;
	try {
		res = await fetch('/api/v1/public/' + what, {
			method: 'POST', credentials: 'omit', cache: 'no-store',
			headers: { 'Content-Type': 'application/json', Accept: 'application/json, application/problem+json' },
			body: JSON.stringify({ number, id_last6: last6 }),
		});
	} catch {
		return { error: 'network_error' };
	}
	if (res.ok) return { [what]: await res.json() };
	const problem = await res.json().catch(() => ({}));
	if (res.status === 502 || res.status === 503 || res.status === 504) return { error: 'outage' };
	const wait = Number(res.headers.get('Retry-After'));
	return { error: problem.code || 'other', wait: Number.isFinite(wait) && wait > 0 ? wait : null };
}

function errorText(r) {
	let text = MESSAGES[r.error] || MESSAGES.other;
	if (r.error === 'progress_locked' && r.wait) text += `请约 ${Math.ceil(r.wait / 60)} 分钟后再试。`;
	else if (r.error === 'progress_locked') text += '请一小时后再试。';
	return text;
}

function result(p) {
	const [head, next] = STATES[p.state] || [p.state, ''];
	const ended = ['closed', 'delivered', 'withdrawn', 'rejected'].includes(p.state);
	const missing = Array.isArray(p.missing) ? p.missing : [];
	const steps = p.timeline.slice().reverse();
	return h('section', { class: 'ap-card ap-result', 'aria-labelledby': 'ap-state' },
		h('p', { class: 'ap-number' }, p.business_type_name, h('span', { class: 'ap-sep', 'aria-hidden': 'true' }, ' · '), p.number),
		h('h2', { id: 'ap-state', class: `ap-state ap-state-${p.state}` }, head),
		h('p', { class: 'ap-next' }, next),
		p.state === 'supplement_requested' ? h('div', { class: 'ap-missing', role: 'region', 'aria-labelledby': 'ap-missing-title' },
			h('h3', { id: 'ap-missing-title' }, '需要补充的材料'),
			missing.length ? h('ol', {}, missing.map((m) => h('li', {}, m)))
				: h('p', {}, '请联系原受理窗口了解需要补充的材料。')) : null,
		p.due_date && !ended ? h('dl', { class: 'ap-facts' },
			h('dt', {}, '承诺办结日期'), h('dd', {}, fmtDate(p.due_date))) : null,
		h('h3', { class: 'ap-steps-title' }, '办理过程'),
		h('ol', { class: 'ap-steps' }, steps.map((s, i) => h('li', { class: i === 0 ? 'current' : null },
			h('span', { class: 'ap-step-name' }, STEPS[s.action] || s.action),
			h('time', { datetime: s.at }, fmtTime(s.at))))),
		h('p', { class: 'ap-note' }, '以上信息仅供参考，以登记机构的书面通知为准。如有疑问，请咨询受理窗口。'));
}

// Money: integer fen → "80.00" (no floating point).
function yuan(fen) {
	const n = BigInt(fen);
	return (n / 100n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',') + '.' + (n % 100n).toString().padStart(2, '0');
}

const IN_WECHAT = /MicroMessenger/i.test(navigator.userAgent);
const PAY_POLL_MS = 3000;
let payRound = 0;   // a new query (or another case) ends the previous watch

// The payment section: the amount and the QR code (an image of the SVG the
// API made: no markup of the answer enters the page), inside WeChat a
// pay link too; asked again every 3 s until paid. `paid()` then.
function payment(number, last6, paid) {
	const round = ++payRound;
	const box = h('section', { class: 'ap-pay', 'aria-labelledby': 'ap-pay-title', id: 'ap-pay' });
	const head = h('h2', { id: 'ap-pay-title', class: 'ap-pay-title' }, '缴纳登记费');
	const live = h('div', { class: 'ap-pay-body', 'aria-live': 'polite' }, h('p', { class: 'ap-muted' }, '正在获取缴费二维码…'));
	replace(box, head, live);
	let shownUrl = null;
	const draw = (p) => {
		if (p.state === 'paid') {
			head.textContent = '登记费';
			replace(live, h('div', { class: 'ap-paid', id: 'ap-paid' },
				h('strong', {}, '已缴费'),
				h('span', {}, p.amount_fen !== undefined ? `已收到登记费 ${yuan(p.amount_fen)} 元，谢谢！` : '已收到登记费，谢谢！')));
			return;
		}
		if (p.state === 'not_due') {
			replace(live, h('p', {}, '本次登记无需缴费。'));
			return;
		}
		if (p.pay_url === shownUrl) return;   // the same order: keep the picture
		shownUrl = p.pay_url || null;
		const qr = p.qr_svg ? h('img', {
			class: 'ap-qr', id: 'ap-qr', width: '240', height: '240', alt: `缴费二维码，金额 ${yuan(p.amount_fen)} 元`,
			src: 'data:image/svg+xml;charset=utf-8,' + encodeURIComponent(p.qr_svg),
		}) : null;
		const until = p.expires_at ? fmtTime(p.expires_at).slice(11) : '';
		replace(live,
			h('p', { class: 'ap-amount' }, h('span', {}, '应缴金额'), h('strong', { id: 'ap-amount' }, yuan(p.amount_fen), h('small', {}, ' 元'))),
			IN_WECHAT && p.pay_url ? h('a', { class: 'ap-btn ap-paylink', id: 'ap-paylink', href: p.pay_url }, '微信支付') : null,
			qr ? h('figure', { class: 'ap-qr-box' }, qr,
				h('figcaption', {}, IN_WECHAT ? '或长按二维码，选择“识别图中二维码”支付' : '请用微信“扫一扫”扫描二维码支付',
					IN_WECHAT ? null : h('span', { class: 'ap-muted ap-block' }, '在本机查看时，可截屏后在“扫一扫”中从相册选取。'))) : null,
			until ? h('p', { class: 'ap-muted ap-center' }, `二维码 ${until} 前有效，过期后本页自动更新。`) : null,
			h('p', { class: 'ap-waiting' }, h('span', { class: 'ap-dot', 'aria-hidden': 'true' }), '支付完成后，本页自动显示“已缴费”。'),
			h('p', { class: 'ap-muted' }, '也可携带受理回执到受理窗口，以现金或刷卡缴费。'));
	};
	const look = async () => {
		if (round !== payRound) return;
		const r = await ask(number, last6, 'payment');
		if (round !== payRound || !box.isConnected) return;
		if (r.payment) {
			draw(r.payment);
			if (r.payment.state === 'paid') { paid(); return; }
			if (r.payment.state === 'not_due') return;
		} else if (!shownUrl) {
			replace(live, h('p', { class: 'ap-status-inline' }, MESSAGES[r.error] ? errorText(r) : '暂时无法获取缴费二维码，请稍后刷新或到受理窗口缴费。'));
			if (r.error === 'progress_not_found' || r.error === 'progress_locked') return;
		}
		setTimeout(look, PAY_POLL_MS);
	};
	look();
	return box;
}

function page(app) {
	const fromHash = decodeURIComponent(location.hash.replace(/^#/, '')).trim().toUpperCase();
	const number = h('input', {
		id: 'ap-number', name: 'number', autocomplete: 'off', autocapitalize: 'characters', spellcheck: 'false',
		maxlength: '22', placeholder: 'TB-450103-2026-000001', 'aria-describedby': 'ap-number-hint',
	});
	number.value = NUMBER.test(fromHash) ? fromHash : '';
	const last6 = h('input', {
		id: 'ap-last6', name: 'id_last6', autocomplete: 'off', autocapitalize: 'characters', spellcheck: 'false',
		maxlength: '6', 'aria-describedby': 'ap-last6-hint',
	});
	const status = h('div', { class: 'ap-status', role: 'alert', 'aria-live': 'assertive' });
	const btn = h('button', { type: 'submit', class: 'ap-btn' }, '查询');
	const out = h('div', { id: 'ap-out', 'aria-live': 'polite' });
	const form = h('form', { class: 'ap-card ap-form', novalidate: true },
		h('div', { class: 'ap-field' },
			h('label', { for: 'ap-number' }, '案件编号'), number,
			h('p', { class: 'ap-hint', id: 'ap-number-hint' }, '见受理回执，如 TB-450103-2026-000001')),
		h('div', { class: 'ap-field' },
			h('label', { for: 'ap-last6' }, '申请人证件号码后六位'), last6,
			h('p', { class: 'ap-hint', id: 'ap-last6-hint' }, '任一申请人的身份证件号码最后六位，末位 X 不区分大小写')),
		status, btn);

	replace(app,
		h('header', { class: 'ap-top' },
			h('span', { class: 'brand-mark', 'aria-hidden': 'true' }, '通'),
			h('span', {}, '广西不动产登记 · 全区通办')),
		h('main', { id: 'main', class: 'ap-main' },
			h('h1', {}, '办理进度查询'),
			h('p', { class: 'ap-lead' }, '输入受理回执上的案件编号和申请人证件号码后六位，查询登记办理进度。'),
			form, out),
		h('footer', { class: 'ap-foot' },
			h('p', {}, '查询不收集、不保存您的个人信息。连续输错 5 次，该案件编号将暂停查询 1 小时。'),
			h('p', {}, '广西壮族自治区不动产登记')));

	// the progress, and while the fee is due the payment under it; once
	// paid, the progress is asked again (its state and steps move on)
	const show = (p, n, l) => {
		payRound++;
		const card = result(p);
		replace(out, card);
		if (p.state !== 'fees_set') return;
		// the fee right under the state, before the steps (no scrolling)
		const box = payment(n, l, async () => {
			const again = await ask(n, l);
			if (!again.progress || !box.isConnected) return;
			const fresh = result(again.progress);
			fresh.querySelector('.ap-next').after(box);
			card.replaceWith(fresh);
		});
		card.querySelector('.ap-next').after(box);
	};

	form.addEventListener('submit', async (ev) => {
		ev.preventDefault();
		status.textContent = '';
		number.removeAttribute('aria-invalid'); last6.removeAttribute('aria-invalid');
		const n = number.value.trim().toUpperCase().replace(/\s/g, '');
		const l = last6.value.trim().toUpperCase();
		if (!NUMBER.test(n)) { status.textContent = '请输入正确的案件编号，格式如 TB-450103-2026-000001。'; number.setAttribute('aria-invalid', 'true'); number.focus(); return; }
		if (!LAST6.test(l)) { status.textContent = '请输入证件号码的最后六位（数字或字母）。'; last6.setAttribute('aria-invalid', 'true'); last6.focus(); return; }
		btn.disabled = true;
		btn.textContent = '正在查询…';
		replace(out);
		const r = await ask(n, l);
		btn.disabled = false;
		btn.textContent = '查询';
		if (r.progress) {
			show(r.progress, n, l);
			out.querySelector('h2').setAttribute('tabindex', '-1');
			out.querySelector('h2').focus();
		} else {
			status.textContent = errorText(r);
			if (r.error !== 'progress_not_found') return;
			last6.select();
			last6.focus();
		}
	});
	(number.value ? last6 : number).focus();
	// another case's link opened in the same tab: a fresh form for it
	window.addEventListener('hashchange', () => { payRound++; page(app); }, { once: true });
}

page(document.getElementById('app'));
