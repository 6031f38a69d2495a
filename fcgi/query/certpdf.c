/* The certificate's pages (certpdf.h). Layout is done twice: once on a
 * scratch surface to count the pages (the footer says 第 n 页 共 N 页), then
 * for real on cairo's PDF surface, which embeds only the glyphs used. */
#include "certpdf.h"

#include <cairo-ft.h>
#include <cairo-pdf.h>
#include <cairo.h>
#include <fontconfig/fontconfig.h>
#include <qrencode.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PAGE_W 595.28 /* A4 in points */
#define PAGE_H 841.89
#define MARGIN_X 56.0
#define TOP 58.0
#define BOTTOM (PAGE_H - 92.0) /* the footer's warning and page number below */
#define BODY_W (PAGE_W - 2 * MARGIN_X)
#define LABEL_W 92.0

/* The faces live as long as the worker: found once through fontconfig.
 * WenQuanYi Zen Hei (TrueType) by default: its subsets cost about half of
 * Noto Sans CJK's CFF ones (60 units: 154 KB against 274 KB), which keeps a
 * long certificate under 300 KB; TB_CERT_FONT names another family, and
 * any face fontconfig offers for zh-cn is taken when it is missing. */
static cairo_font_face_t *face_regular, *face_bold;

static cairo_font_face_t *find_face(int bold)
{
	if (!FcInit())
		return NULL;
	char name[200];
	const char *family = getenv("TB_CERT_FONT");
	snprintf(name, sizeof(name), "%s:lang=zh-cn:weight=%s", family && *family ? family : "WenQuanYi Zen Hei",
		 bold ? "bold" : "regular");
	FcPattern *pat = FcNameParse((const FcChar8 *)name);
	if (pat == NULL)
		return NULL;
	FcConfigSubstitute(NULL, pat, FcMatchPattern);
	FcDefaultSubstitute(pat);
	FcResult res;
	FcPattern *m = FcFontMatch(NULL, pat, &res);
	FcPatternDestroy(pat);
	if (m == NULL)
		return NULL;
	/* a match that cannot show 中 is no CJK face: refuse rather than print boxes */
	FcCharSet *cs = NULL;
	if (FcPatternGetCharSet(m, FC_CHARSET, 0, &cs) != FcResultMatch || !FcCharSetHasChar(cs, 0x4E2D)) {
		FcPatternDestroy(m);
		return NULL;
	}
	cairo_font_face_t *f = cairo_ft_font_face_create_for_pattern(m);
	FcPatternDestroy(m);
	if (cairo_font_face_status(f) != CAIRO_STATUS_SUCCESS) {
		cairo_font_face_destroy(f);
		return NULL;
	}
	return f;
}

struct lay {
	cairo_t *cr;
	const struct certpdf_doc *d;
	double y;
	int page, pages; /* pages: the total (0 while counting) */
};

static void font(cairo_t *cr, int bold, double size)
{
	cairo_set_font_face(cr, bold ? face_bold : face_regular);
	cairo_set_font_size(cr, size);
}

static double width_of(cairo_t *cr, const char *s)
{
	cairo_text_extents_t e;
	cairo_text_extents(cr, s, &e);
	return e.x_advance;
}

static void text_at(cairo_t *cr, double x, double y, const char *s)
{
	cairo_move_to(cr, x, y);
	cairo_show_text(cr, s);
}

/* Length of the UTF-8 sequence starting at s (1 for a stray byte). */
static size_t u8len(const unsigned char *s)
{
	if (*s < 0x80)
		return 1;
	if ((*s & 0xE0) == 0xC0)
		return 2;
	if ((*s & 0xF0) == 0xE0)
		return 3;
	if ((*s & 0xF8) == 0xF0)
		return 4;
	return 1;
}

/* snprintf for text that is drawn: a cut never leaves half a UTF-8
 * sequence at the end (cairo refuses invalid UTF-8 and stops drawing). */
static void textf(char *buf, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void textf(char *buf, size_t cap, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, cap, fmt, ap);
	va_end(ap);
	if (n < 0) {
		buf[0] = 0;
		return;
	}
	if ((size_t)n < cap)
		return;
	size_t len = strlen(buf), i = len;
	while (i > 0 && ((unsigned char)buf[i - 1] & 0xC0) == 0x80)
		i--;
	if (i > 0 && (unsigned char)buf[i - 1] >= 0xC0 && len - (i - 1) < u8len((unsigned char *)buf + i - 1))
		buf[i - 1] = 0;
}

/* The number of bytes of s that fit into w, at least one character. A
 * break at a space is preferred for Latin text; CJK breaks anywhere. */
static size_t fit(cairo_t *cr, const char *s, double w)
{
	char tmp[1024];
	size_t n = 0, last_space = 0;
	while (s[n]) {
		size_t k = u8len((const unsigned char *)s + n);
		for (size_t j = 1; j < k; j++)
			if (s[n + j] == 0)
				return n + j;
		if (n + k >= sizeof(tmp))
			break;
		memcpy(tmp, s, n + k);
		tmp[n + k] = 0;
		if (n > 0 && width_of(cr, tmp) > w)
			return last_space && (unsigned char)s[n] < 0x80 && s[n] != ' ' ? last_space : n;
		if (s[n] == ' ')
			last_space = n + 1;
		n += k;
	}
	return n;
}

static void finish_page(struct lay *L);
static void start_page(struct lay *L);

/* Room for h more points on this page, else the next page. */
static void need(struct lay *L, double h)
{
	if (L->y + h > BOTTOM) {
		finish_page(L);
		start_page(L);
	}
}

/* s wrapped into lines of width w at x, line height lh; returns the lines. */
static int para(struct lay *L, double x, double w, double lh, const char *s)
{
	int lines = 0;
	if (s == NULL || *s == 0)
		s = "—";
	while (*s) {
		size_t n = fit(L->cr, s, w);
		char line[1024];
		if (n >= sizeof(line))
			n = sizeof(line) - 1;
		memcpy(line, s, n);
		line[n] = 0;
		need(L, lh);
		text_at(L->cr, x, L->y + lh * 0.78, line);
		L->y += lh;
		lines++;
		s += n;
		while (*s == ' ')
			s++;
	}
	return lines;
}

static void row(struct lay *L, const char *label, const char *value);

/* A second, smaller line under a row's value (a certificate number). */
static void subrow(struct lay *L, const char *value)
{
	const double lh = 14;
	need(L, lh);
	font(L->cr, 0, 9);
	cairo_set_source_rgb(L->cr, 0.33, 0.33, 0.33);
	para(L, MARGIN_X + LABEL_W + 12, BODY_W - LABEL_W - 12, lh, value);
	cairo_set_source_rgb(L->cr, 0.08, 0.08, 0.08);
	L->y += 2;
}

/* A labelled row: grey label, value wrapped beside it. */
static void row(struct lay *L, const char *label, const char *value)
{
	const double lh = 17;
	need(L, lh);
	font(L->cr, 0, 10);
	cairo_set_source_rgb(L->cr, 0.38, 0.38, 0.38);
	text_at(L->cr, MARGIN_X, L->y + lh * 0.78, label);
	cairo_set_source_rgb(L->cr, 0.08, 0.08, 0.08);
	font(L->cr, 0, 10.5);
	para(L, MARGIN_X + LABEL_W, BODY_W - LABEL_W, lh, value);
}

static void heading(struct lay *L, const char *s)
{
	need(L, 44);
	L->y += 12;
	cairo_set_source_rgb(L->cr, 0.55, 0.09, 0.09);
	cairo_rectangle(L->cr, MARGIN_X, L->y + 3, 3, 15);
	cairo_fill(L->cr);
	cairo_set_source_rgb(L->cr, 0.08, 0.08, 0.08);
	font(L->cr, 1, 12.5);
	text_at(L->cr, MARGIN_X + 10, L->y + 15.5, s);
	L->y += 26;
}

/* The watermark: who asked, who issued, when — diagonal, light, over the
 * whole page so that no part of a page can be cut out without it. */
static void watermark(struct lay *L)
{
	const struct certpdf_doc *d = L->d;
	char s[1024];
	/* the issue time without its "（北京时间）": the mark stays short */
	const char *t = d->issued_at ? d->issued_at : "";
	const char *paren = strstr(t, "（");
	textf(s, sizeof(s), "%s · 经办 %s · %.*s", d->requester_name ? d->requester_name : "",
		 d->clerk ? d->clerk : "", (int)(paren ? (size_t)(paren - t) : strlen(t)), t);
	cairo_t *cr = L->cr;
	cairo_save(cr);
	font(cr, 0, 15);
	cairo_set_source_rgba(cr, 0.55, 0.1, 0.1, 0.13);
	for (int i = 0; i < 4; i++) {
		cairo_save(cr);
		cairo_translate(cr, PAGE_W / 2, 150 + i * 190.0);
		cairo_rotate(cr, -0.52);
		double w = width_of(cr, s);
		text_at(cr, -w / 2, 0, s);
		cairo_restore(cr);
	}
	cairo_restore(cr);
}

static void start_page(struct lay *L)
{
	cairo_t *cr = L->cr;
	L->page++;
	L->y = TOP;
	/* running head on every page: the title and the serial */
	font(cr, 0, 8.5);
	cairo_set_source_rgb(cr, 0.45, 0.45, 0.45);
	text_at(cr, MARGIN_X, 38, "不动产登记资料查询结果证明");
	char s[160];
	textf(s, sizeof(s), "证明编号 %s", L->d->serial);
	text_at(cr, PAGE_W - MARGIN_X - width_of(cr, s), 38, s);
	cairo_set_line_width(cr, 0.6);
	cairo_move_to(cr, MARGIN_X, 44);
	cairo_line_to(cr, PAGE_W - MARGIN_X, 44);
	cairo_stroke(cr);
}

static void finish_page(struct lay *L)
{
	cairo_t *cr = L->cr;
	/* the warning and the page number at the foot of every page */
	cairo_set_source_rgb(cr, 0.45, 0.45, 0.45);
	cairo_set_line_width(cr, 0.6);
	cairo_move_to(cr, MARGIN_X, BOTTOM + 14);
	cairo_line_to(cr, PAGE_W - MARGIN_X, BOTTOM + 14);
	cairo_stroke(cr);
	font(cr, 0, 8);
	double save = L->y;
	L->y = BOTTOM + 18;
	/* drawn below BOTTOM: para's page break must not fire here */
	const char *warn = "本证明仅反映查询时点登记簿的记载，不代表此后的登记状况；涂改、复印无效。"
			   "真伪及查询时点后登记簿有无变化，请扫描二维码或访问验证地址核验。";
	while (*warn) {
		size_t n = fit(cr, warn, BODY_W);
		char line[512];
		if (n >= sizeof(line))
			n = sizeof(line) - 1;
		memcpy(line, warn, n);
		line[n] = 0;
		text_at(cr, MARGIN_X, L->y + 9, line);
		L->y += 12;
		warn += n;
	}
	char s[96];
	snprintf(s, sizeof(s), "第 %d 页 共 %d 页", L->page, L->pages ? L->pages : L->page);
	font(cr, 0, 9);
	text_at(cr, (PAGE_W - width_of(cr, s)) / 2, PAGE_H - 26, s);
	L->y = save;
	watermark(L);
	cairo_show_page(cr);
}

/* The QR code as filled modules (sharp at any zoom, a few hundred bytes). */
static int draw_qr(cairo_t *cr, const char *text, double x, double y, double size)
{
	QRcode *q = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	if (q == NULL)
		return -1;
	int n = q->width;
	double m = size / (n + 8); /* a quiet zone of 4 modules each side */
	cairo_set_source_rgb(cr, 1, 1, 1);
	cairo_rectangle(cr, x, y, size, size);
	cairo_fill(cr);
	cairo_set_source_rgb(cr, 0, 0, 0);
	for (int r = 0; r < n; r++)
		for (int c = 0; c < n; c++)
			if (q->data[r * n + c] & 1)
				cairo_rectangle(cr, x + (c + 4) * m, y + (r + 4) * m, m, m);
	cairo_fill(cr);
	QRcode_free(q);
	return 0;
}

static const char *str_of(const struct json *o, const char *k)
{
	const struct json *v = o ? json_get(o, k) : NULL;
	if (v == NULL)
		return NULL;
	if (v->type == JSON_STRING || v->type == JSON_NUMBER)
		return v->s;
	return NULL;
}

static const char *use_label(const char *u)
{
	static const char *const map[][2] = { { "residential", "住宅" },	{ "non_residential", "非住宅" },
					      { "parking", "车位" },		{ "storeroom", "储藏室" },
					      { "other", "其他" } };
	for (size_t i = 0; u && i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(u, map[i][0]) == 0)
			return map[i][1];
	return u;
}

static const char *kind_label(const char *k)
{
	static const char *const map[][2] = { { "holder", "权利人" },
					      { "heir_guardian", "继承人、受遗赠人或监护人" },
					      { "interested_party", "利害关系人" },
					      { "prospective_party", "拟交易当事人" },
					      { "lawyer", "律师" },
					      { "state_organ", "国家机关" } };
	for (size_t i = 0; k && i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(k, map[i][0]) == 0)
			return map[i][1];
	return k;
}

/* fen as yuan with thousands separators: 123456789 -> 1,234,567.89 */
static void yuan(const char *fen, char *out, size_t cap)
{
	long long v = fen ? strtoll(fen, NULL, 10) : 0;
	if (v < 0)
		v = 0;
	char digits[32];
	snprintf(digits, sizeof(digits), "%lld", v / 100);
	size_t n = strlen(digits), o = 0;
	for (size_t i = 0; i < n && o + 2 < cap; i++) {
		if (i > 0 && (n - i) % 3 == 0)
			out[o++] = ',';
		out[o++] = digits[i];
	}
	snprintf(out + o, cap - o, ".%02lld 元", v % 100);
}

static void facts(struct lay *L, const struct json *f)
{
	static const char *const keys[][2] = { { "exists", "是否存在登记" },	  { "co_owned", "是否共有" },
					       { "mortgaged", "是否已抵押" },	  { "pre_noticed", "是否有预告登记" },
					       { "objected", "是否有异议登记" }, { "seized", "是否被查封" } };
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const struct json *v = f ? json_get(f, keys[i][0]) : NULL;
		row(L, keys[i][1], v && v->type == JSON_BOOL ? (v->b ? "是" : "否") : "—");
	}
}

static void list_rows(struct lay *L, const char *label, const struct json *arr, int kind)
{
	char line[2048], sub[1024];
	int any = 0;
	for (const struct json *e = arr && arr->type == JSON_ARRAY ? arr->child : NULL; e; e = e->next) {
		if (e->type != JSON_OBJECT)
			continue;
		sub[0] = 0;
		switch (kind) {
		case 0: { /* holders */
			const char *share = str_of(e, "share"), *cert = str_of(e, "certificate_no");
			const char *idm = str_of(e, "id_number_masked");
			textf(line, sizeof(line), "%s%s%s%s　份额 %s", str_of(e, "name") ?: "", idm ? "（" : "",
				 idm ? idm : "", idm ? "）" : "", share ? share : "—");
			textf(sub, sizeof(sub), "不动产权证书号 %s", cert ? cert : "—");
			break;
		}
		case 1: { /* mortgages */
			char amt[64];
			yuan(str_of(e, "amount_fen"), amt, sizeof(amt));
			const char *rank = str_of(e, "rank"), *from = str_of(e, "term_from"), *to = str_of(e, "term_to");
			const char *cert = str_of(e, "certificate_no");
			textf(line, sizeof(line), "第 %s 顺位　%s　债权数额 %s", rank ? rank : "—",
				 str_of(e, "mortgagee") ?: "", amt);
			textf(sub, sizeof(sub), "期限 %s 至 %s　登记证明号 %s", from ? from : "—", to ? to : "—",
				 cert ? cert : "—");
			break;
		}
		case 2: { /* pre-notices */
			const char *cert = str_of(e, "certificate_no");
			textf(line, sizeof(line), "%s", str_of(e, "holder_name") ?: "");
			textf(sub, sizeof(sub), "登记证明号 %s", cert ? cert : "—");
			break;
		}
		case 3: { /* seizures */
			const struct json *w = json_get(e, "waiting");
			textf(line, sizeof(line), "%s%s", str_of(e, "authority") ?: "",
				 w && w->type == JSON_BOOL && w->b ? "（轮候查封）" : "");
			break;
		}
		default: /* objections */
			textf(line, sizeof(line), "%s", str_of(e, "holder_name") ?: "");
		}
		row(L, any ? "" : label, line);
		if (sub[0])
			subrow(L, sub);
		any = 1;
	}
	if (!any)
		row(L, label, "无");
}

static int body(struct lay *L)
{
	const struct certpdf_doc *d = L->d;
	cairo_t *cr = L->cr;
	start_page(L);
	/* title */
	font(cr, 1, 20);
	cairo_set_source_rgb(cr, 0.08, 0.08, 0.08);
	const char *title = "不动产登记资料查询结果证明";
	text_at(cr, (PAGE_W - width_of(cr, title)) / 2, L->y + 26, title);
	L->y += 48;

	/* the QR code beside the request's particulars */
	const double qr = 104, qx = PAGE_W - MARGIN_X - qr, qy = L->y;
	if (draw_qr(cr, d->verify_url, qx, qy, qr) != 0)
		return -1;
	font(cr, 0, 8);
	cairo_set_source_rgb(cr, 0.35, 0.35, 0.35);
	const char *cap = "扫码核验真伪";
	text_at(cr, qx + (qr - width_of(cr, cap)) / 2, qy + qr + 10, cap);

	struct {
		const char *k, *v;
	} info[] = {
		{ "证明编号", d->serial },
		{ "出具机构", d->agency },
		{ "查询申请人", NULL },
		{ "申请人类别", kind_label(d->requester_kind) },
		{ "依据文书", d->reference },
		{ "查询目的", d->purpose },
		{ "查询条件", d->conditions },
		{ "查询时点", d->as_at },
		{ "出具时间", d->issued_at },
		{ "经办人", d->clerk },
	};
	char who[1024];
	textf(who, sizeof(who), "%s%s%s%s", d->requester_name ? d->requester_name : "",
		 d->requester_id_masked ? "（证件号码 " : "", d->requester_id_masked ? d->requester_id_masked : "",
		 d->requester_id_masked ? "）" : "");
	info[2].v = who;
	for (size_t i = 0; i < sizeof(info) / sizeof(info[0]); i++) {
		if (info[i].v == NULL || (i == 4 && *info[i].v == 0))
			continue;
		const double lh = 18;
		font(cr, 0, 10);
		cairo_set_source_rgb(cr, 0.38, 0.38, 0.38);
		text_at(cr, MARGIN_X, L->y + lh * 0.78, info[i].k);
		cairo_set_source_rgb(cr, 0.08, 0.08, 0.08);
		font(cr, 0, 10.5);
		/* beside the QR code the column is narrower */
		double w = (L->y < qy + qr + 16 ? qx - 12 : PAGE_W - MARGIN_X) - MARGIN_X - LABEL_W;
		para(L, MARGIN_X + LABEL_W, w, lh, info[i].v);
	}
	if (L->y < qy + qr + 16)
		L->y = qy + qr + 16;

	const struct json *res = d->result;
	const char *vis = str_of(res, "visibility");
	const struct json *units = res ? json_get(res, "units") : NULL;
	if (units == NULL || units->type != JSON_ARRAY)
		return -1;
	heading(L, "查询结果");
	if (units->count == 0) {
		need(L, 60);
		font(cr, 1, 15);
		cairo_set_source_rgb(cr, 0.55, 0.09, 0.09);
		text_at(cr, MARGIN_X + 10, L->y + 20, "未查询到登记记录");
		L->y += 32;
		font(cr, 0, 10.5);
		cairo_set_source_rgb(cr, 0.08, 0.08, 0.08);
		para(L, MARGIN_X + 10, BODY_W - 10, 17,
		     "在上述查询条件和查询时点下，不动产登记簿中未查询到符合条件的登记记录。");
	}
	int i = 0;
	for (const struct json *u = units->child; u; u = u->next) {
		if (u->type != JSON_OBJECT)
			return -1;
		i++;
		/* a unit's band and its first rows stay together */
		need(L, 110);
		L->y += 6;
		cairo_set_source_rgb(cr, 0.95, 0.93, 0.90);
		cairo_rectangle(cr, MARGIN_X, L->y, BODY_W, 22);
		cairo_fill(cr);
		cairo_set_source_rgb(cr, 0.08, 0.08, 0.08);
		font(cr, 1, 10.5);
		char band[200];
		textf(band, sizeof(band), "第 %d 项　不动产单元号 %s", i, str_of(u, "code") ?: "—");
		text_at(cr, MARGIN_X + 8, L->y + 15, band);
		L->y += 28;
		const struct json *county = json_get(u, "county");
		row(L, "坐落", str_of(u, "location"));
		row(L, "所在区县", county ? str_of(county, "name") : NULL);
		row(L, "用途", use_label(str_of(u, "use")));
		char area[64];
		const char *a = str_of(u, "area_m2");
		textf(area, sizeof(area), "%s 平方米", a ? a : "—");
		row(L, "面积", a ? area : NULL);
		if (vis && strcmp(vis, "facts") == 0) {
			facts(L, json_get(u, "facts"));
		} else {
			list_rows(L, "权利人", json_get(u, "holders"), 0);
			list_rows(L, "抵押权", json_get(u, "mortgages"), 1);
			list_rows(L, "预告登记", json_get(u, "pre_notices"), 2);
			list_rows(L, "查封登记", json_get(u, "seizures"), 3);
			list_rows(L, "异议登记", json_get(u, "objections"), 4);
		}
		L->y += 4;
	}

	const struct json *qb = res ? json_get(res, "queried_by") : NULL;
	if (qb && qb->type == JSON_ARRAY && qb->count > 0) {
		heading(L, "近十二个月内他人查询记录");
		for (const struct json *e = qb->child; e; e = e->next) {
			const struct json *ag = json_get(e, "agency");
			char line[2048];
			textf(line, sizeof(line), "%s　%s　查询目的：%s", ag ? str_of(ag, "name") ?: "" : "",
				 kind_label(str_of(e, "requester_kind")) ?: "", str_of(e, "purpose") ?: "—");
			row(L, str_of(e, "date") ?: "", line);
		}
	}

	/* how to check it: a compact closing note, kept together */
	need(L, 62);
	L->y += 12;
	cairo_set_source_rgb(cr, 0.75, 0.75, 0.75);
	cairo_set_line_width(cr, 0.5);
	cairo_move_to(cr, MARGIN_X, L->y);
	cairo_line_to(cr, PAGE_W - MARGIN_X, L->y);
	cairo_stroke(cr);
	L->y += 4;
	font(cr, 0, 9);
	cairo_set_source_rgb(cr, 0.25, 0.25, 0.25);
	para(L, MARGIN_X, BODY_W, 14,
	     "本证明经出具机构数字签名（PDF 签名），另附 SM2 国密签名。扫描首页二维码或访问下列地址，"
	     "可核验证明真伪、文件摘要、出具时间及查询时点后上述不动产登记簿有无变化：");
	font(cr, 0, 8);
	para(L, MARGIN_X, BODY_W, 12, d->verify_url);
	finish_page(L);
	return 0;
}

static cairo_status_t collect(void *closure, const unsigned char *data, unsigned int len)
{
	return buf_append(closure, data, len) == 0 ? CAIRO_STATUS_SUCCESS : CAIRO_STATUS_WRITE_ERROR;
}

int certpdf_render(const struct certpdf_doc *d, struct buf *out, const char **err)
{
	*err = NULL;
	if (face_regular == NULL)
		face_regular = find_face(0);
	if (face_bold == NULL)
		face_bold = find_face(1);
	if (face_regular == NULL || face_bold == NULL) {
		*err = "no font with Chinese characters installed (fonts-noto-cjk)";
		return -1;
	}
	if (d->result == NULL || d->result->type != JSON_OBJECT || d->verify_url == NULL || d->serial == NULL) {
		*err = "malformed query result";
		return -1;
	}
	/* pass 1: count the pages on a scratch surface */
	cairo_surface_t *scratch = cairo_image_surface_create(CAIRO_FORMAT_A8, 1, 1);
	cairo_t *cr = cairo_create(scratch);
	struct lay L = { .cr = cr, .d = d };
	int rc = body(&L);
	/* a drawing error (e.g. text cut inside a UTF-8 sequence) stops cairo
	 * drawing silently: never hand out a certificate with parts missing */
	if (rc == 0 && cairo_status(cr) != CAIRO_STATUS_SUCCESS)
		rc = -1;
	cairo_destroy(cr);
	cairo_surface_destroy(scratch);
	if (rc != 0) {
		*err = "malformed query result";
		return -1;
	}
	int pages = L.page;

	out->len = 0;
	cairo_surface_t *s = cairo_pdf_surface_create_for_stream(collect, out, PAGE_W, PAGE_H);
	cairo_pdf_surface_restrict_to_version(s, CAIRO_PDF_VERSION_1_5);
	cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_TITLE, "不动产登记资料查询结果证明");
	cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_CREATOR, "Tongban");
	/* the dates come from the issue time, not the clock: the same certificate renders to the same bytes */
	cr = cairo_create(s);
	L = (struct lay){ .cr = cr, .d = d, .pages = pages };
	rc = body(&L);
	if (rc == 0 && cairo_status(cr) != CAIRO_STATUS_SUCCESS)
		rc = -1;
	cairo_destroy(cr);
	cairo_surface_finish(s);
	cairo_status_t st = cairo_surface_status(s);
	cairo_surface_destroy(s);
	if (rc != 0 || st != CAIRO_STATUS_SUCCESS) {
		*err = st != CAIRO_STATUS_SUCCESS ? cairo_status_to_string(st) : "malformed query result";
		return -1;
	}
	return 0;
}
