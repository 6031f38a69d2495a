/* tbctl registry import FILE.csv: a county's existing records into the
 * region-wide base. Columns: unit_code,location,use,area_m2,certificate_no,
 * holder_name,holder_id_type,holder_id_number,share — several rows per unit
 * for co-owners. Every row is checked; one bad row rejects the whole file,
 * and every rejected row is reported with its reason. ID numbers are stored
 * sealed (keyring.h, "reg.entry.holder_id_number") with their masked form
 * and lookup index, as the intake service stores parties': without the
 * data keys nothing is imported. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "../core/buf.h"
#include "../core/keyring.h"
#include "../domain/register.h"
#include "tbctl.h"

#define NCOLS 9
#define MAX_ROWS 200000

struct row {
	char *f[NCOLS];
	int line;
};

/* One CSV record (RFC 4180) from p; fields are malloc'd. Returns the number
 * of fields, -1 on a malformed record, 0 at the end. */
static int csv_record(const char **pp, const char *end, char **fields, int max)
{
	const char *p = *pp;
	if (p >= end)
		return 0;
	int n = 0;
	for (;;) {
		struct buf b = { 0 };
		if (p < end && *p == '"') {
			p++;
			for (;;) {
				if (p >= end) {
					buf_free(&b);
					return -1;
				}
				if (*p == '"') {
					if (p + 1 < end && p[1] == '"') {
						if (buf_append(&b, "\"", 1) != 0)
							return -1;
						p += 2;
						continue;
					}
					p++;
					break;
				}
				if (buf_append(&b, p, 1) != 0)
					return -1;
				p++;
			}
		} else {
			while (p < end && *p != ',' && *p != '\n' && *p != '\r') {
				if (*p == '"') {
					buf_free(&b);
					return -1;
				}
				if (buf_append(&b, p, 1) != 0)
					return -1;
				p++;
			}
		}
		if (n == max || buf_append(&b, "", 1) != 0) {
			buf_free(&b);
			return -1;
		}
		fields[n++] = (char *)b.p;
		if (p < end && *p == ',') {
			p++;
			continue;
		}
		if (p < end && *p == '\r')
			p++;
		if (p < end && *p == '\n')
			p++;
		else if (p < end)
			return -1;
		*pp = p;
		return n;
	}
}

static int valid_use(const char *s)
{
	static const char *uses[] = { "residential", "non_residential", "parking", "storeroom", "other" };
	for (size_t i = 0; i < sizeof(uses) / sizeof(uses[0]); i++)
		if (strcmp(s, uses[i]) == 0)
			return 1;
	return 0;
}

static int valid_area(const char *s)
{
	char *e;
	double v = strtod(s, &e);
	return *s && *e == '\0' && v > 0 && v < 1e7;
}

static int valid_share(const char *s)
{
	if (*s == '\0' || strcmp(s, "共同共有") == 0 || strcmp(s, "单独所有") == 0)
		return 1;
	int a, b;
	char c;
	return (sscanf(s, "%d/%d%c", &a, &b, &c) == 2 && a > 0 && b >= a) ||
	       (sscanf(s, "%d%%%c", &a, &c) == 1 && a > 0 && a <= 100);
}

static const struct stmt q_unit = {
	"registry_unit",
	"INSERT INTO reg.unit (code, county_code, location, use, area_m2)"
	" SELECT $1, $2, $3, $4, $5::numeric WHERE EXISTS"
	" (SELECT 1 FROM ref.division WHERE code = $2 AND level = 'county')"
	" ON CONFLICT (code) DO NOTHING RETURNING 1",
	5,
};

static const struct stmt q_entry = {
	"registry_entry",
	"INSERT INTO reg.entry (unit_code, kind, holder_name, holder_id_type, holder_id_number,"
	" share, certificate_no, valid_from, details, holder_id_number_masked, holder_id_number_index)"
	" VALUES ($1, 'ownership', $2, $3, $4, nullif($5, ''), $6, now(), '{\"source\": \"import\"}',"
	" $7, $8)",
	8,
};

static const struct stmt q_audit = {
	"registry_audit",
	"INSERT INTO audit.event (at, actor_name, action, object_type, outcome, client_addr, details)"
	" VALUES (now(), 'tbctl', 'registry.import', 'registry', 'success', 'local', $1::jsonb)",
	1,
};

int cmd_registry(int argc, char **argv)
{
	if (argc < 3 || strcmp(argv[1], "import") != 0) {
		fprintf(stderr, "usage: tbctl registry import FILE.csv\n");
		return 2;
	}
	FILE *fp = fopen(argv[2], "rb");
	if (fp == NULL) {
		fprintf(stderr, "tbctl: cannot read %s\n", argv[2]);
		return 2;
	}
	struct buf data = { 0 };
	char chunk[65536];
	size_t got;
	while ((got = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		if (buf_append(&data, chunk, got) != 0)
			break;
	fclose(fp);
	const char *p = (const char *)data.p, *end = p + data.len;
	if (data.len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3; /* a BOM from spreadsheet programs */
	char *f[NCOLS + 1];
	int n = csv_record(&p, end, f, NCOLS + 1), bad = 0, nrows = 0;
	static const char *header[NCOLS] = { "unit_code", "location", "use", "area_m2", "certificate_no",
					     "holder_name", "holder_id_type", "holder_id_number", "share" };
	int header_ok = n == NCOLS;
	for (int i = 0; header_ok && i < NCOLS; i++)
		header_ok = strcmp(f[i], header[i]) == 0;
	for (int i = 0; i < (n > 0 ? n : 0); i++)
		free(f[i]);
	if (!header_ok) {
		fprintf(stderr, "tbctl: line 1: the header must be %s,%s,%s,%s,%s,%s,%s,%s,%s\n", header[0], header[1],
			header[2], header[3], header[4], header[5], header[6], header[7], header[8]);
		buf_free(&data);
		return 1;
	}
	struct row *rows = calloc(MAX_ROWS, sizeof(*rows));
	if (rows == NULL)
		return 1;
	int line = 1;
	while ((n = csv_record(&p, end, f, NCOLS + 1)) != 0) {
		line++;
		if (n == 1 && f[0][0] == '\0') {
			free(f[0]);
			continue; /* blank line */
		}
		const char *why = NULL;
		char canon[200];
		if (n != NCOLS)
			why = n < 0 ? "malformed CSV" : "expected 9 columns";
		else if (unit_code_check(f[0]) != UNIT_OK)
			why = unit_problem_text(unit_code_check(f[0]));
		else if (f[1][0] == '\0' || strlen(f[1]) > 600)
			why = "location is empty or too long";
		else if (!valid_use(f[2]))
			why = "use must be residential, non_residential, parking, storeroom or other";
		else if (!valid_area(f[3]))
			why = "area_m2 must be a positive number";
		else if (f[5][0] == '\0' || strlen(f[5]) > 300)
			why = "holder_name is empty or too long";
		else if (id_type_parse(f[6]) == ID_INVALID_TYPE)
			why = "holder_id_type is not a known ID type";
		else if ((id_number_normalize(id_type_parse(f[6]), f[7]), !id_number_valid(id_type_parse(f[6]), f[7])))
			why = "holder_id_number is not valid for its type (check digit)";
		else if (!valid_share(f[8]))
			why = "share must be like 1/2, 50%, 共同共有 or empty";
		else {
			int y;
			char area[64];
			enum cert_kind k;
			long s;
			if (cert_number_parse(f[4], &y, area, sizeof(area), &k, &s) != 0 || k != CERT_RIGHT ||
			    cert_number_format(canon, sizeof(canon), y, area, k, s) != 0)
				why = "certificate_no is not a 不动产权 certificate number";
		}
		if (why == NULL && nrows == MAX_ROWS)
			why = "too many rows in one file";
		if (why) {
			printf("line %d: rejected: %s\n", line, why);
			bad++;
			for (int i = 0; i < (n > 0 ? n : 0); i++)
				free(f[i]);
			if (n < 0)
				break;
			continue;
		}
		free(f[4]);
		f[4] = strdup(canon);
		memcpy(rows[nrows].f, f, sizeof(rows[nrows].f));
		rows[nrows++].line = line;
	}
	/* rows of one unit must agree on the unit's attributes */
	for (int i = 0; i < nrows; i++)
		for (int j = 0; j < i; j++)
			if (strcmp(rows[i].f[0], rows[j].f[0]) == 0 &&
			    (strcmp(rows[i].f[1], rows[j].f[1]) || strcmp(rows[i].f[2], rows[j].f[2]) ||
			     strcmp(rows[i].f[3], rows[j].f[3]))) {
				printf("line %d: rejected: the unit's location, use or area differ from line %d\n",
				       rows[i].line, rows[j].line);
				bad++;
				break;
			}
	int rc = 1;
	struct db d = { 0 };
	if (bad) {
		printf("%d row(s) rejected: nothing imported\n", bad);
		goto out;
	}
	struct keyring kr;
	struct arena a;
	arena_init(&a, 0);
	if (tbctl_keys(&kr) != 0) {
		arena_free(&a);
		goto out;
	}
	if (tbctl_connect(&d) != 0) {
		keyring_wipe(&kr);
		arena_free(&a);
		goto out;
	}
	const char *state;
	PGresult *r = NULL;
	int bad_tx = tbctl_do(&d, &db_stmt_begin, NULL) != 0;
	bad += bad_tx;
	int units = 0;
	for (int i = 0; i < nrows && !bad; i++) {
		char county[7];
		unit_code_county(rows[i].f[0], county);
		const char *pu[] = { rows[i].f[0], county, rows[i].f[1], rows[i].f[2], rows[i].f[3] };
		int first = 1;
		for (int j = 0; j < i; j++)
			first &= strcmp(rows[i].f[0], rows[j].f[0]) != 0;
		if (first) {
			r = pg_exec(&d, &q_unit, pu, NULL, NULL, &state);
			if (r == NULL || PQntuples(r) != 1) {
				printf("line %d: rejected: %s\n", rows[i].line,
				       r == NULL ? db_last_error(&d)
						 : "the unit is already in the registry, or its county does not exist");
				bad++;
			}
			PQclear(r);
			units++;
		}
		char *id = rows[i].f[7], masked[40], index[65], typed[96];
		for (char *q = id; *q; q++)
			if (*q >= 'a' && *q <= 'z')
				*q = (char)(*q - 'a' + 'A');
		arena_reset(&a);
		char *sealed = keyring_seal(&kr, &a, id, strlen(id), "reg.entry.holder_id_number");
		int tl = snprintf(typed, sizeof(typed), "%s:%s", rows[i].f[6], id);
		if (sealed == NULL || tl < 0 || (size_t)tl >= sizeof(typed) ||
		    keyring_index(&kr, "id_number", typed, (size_t)tl, index) != 0) {
			printf("line %d: rejected: the ID number could not be sealed\n", rows[i].line);
			bad++;
			break;
		}
		OPENSSL_cleanse(typed, sizeof(typed));
		id_mask(id, masked, sizeof(masked));
		const char *pe[] = { rows[i].f[0], rows[i].f[5], rows[i].f[6], sealed, rows[i].f[8], rows[i].f[4],
				     masked, index };
		r = pg_exec(&d, &q_entry, pe, NULL, NULL, &state);
		if (r == NULL) {
			printf("line %d: rejected: %s", rows[i].line, db_last_error(&d));
			bad++;
		}
		PQclear(r);
	}
	if (!bad) {
		char details[200];
		snprintf(details, sizeof(details), "{\"file\": \"import\", \"units\": %d, \"rows\": %d}", units, nrows);
		const char *pa[] = { details };
		bad += tbctl_do(&d, &q_audit, pa) != 0;
	}
	keyring_wipe(&kr);
	arena_free(&a);
	if (!bad_tx && tbctl_do(&d, bad ? &db_stmt_rollback : &db_stmt_commit, NULL) != 0)
		bad++;
	if (bad) {
		printf("%d row(s) rejected: nothing imported\n", bad);
		goto out;
	}
	printf("imported %d unit(s), %d holder row(s)\n", units, nrows);
	rc = 0;
out:
	db_close(&d);
	for (int i = 0; i < nrows; i++)
		for (int k = 0; k < NCOLS; k++) {
			if (rows[i].f[k])
				OPENSSL_cleanse(rows[i].f[k], strlen(rows[i].f[k]));
			free(rows[i].f[k]);
		}
	free(rows);
	buf_free(&data);
	return rc;
}
