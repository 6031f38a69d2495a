/* tbctl user create / reset-password (audit verify: audit.c). Passwords are
 * read from standard input (one line), never from the command line. */
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/crypto.h"
#include "../domain/password.h"
#include "tbctl.h"

static int read_password(char *buf, size_t n)
{
	if (fgets(buf, (int)n, stdin) == NULL)
		return -1;
	size_t l = strlen(buf);
	while (l && (buf[l - 1] == '\n' || buf[l - 1] == '\r'))
		buf[--l] = '\0';
	return 0;
}

/* The password from standard input, checked against the policy, hashed
 * into the arena; NULL after saying why. The clear text is wiped. */
static char *password_from_stdin(struct arena *a, const char *username)
{
	char pw[1100];
	if (read_password(pw, sizeof(pw)) != 0) {
		fprintf(stderr, "tbctl: no password on standard input\n");
		return NULL;
	}
	enum pw_problem pp = password_policy(username, pw, strlen(pw));
	char *hash = pp == PW_OK ? crypto_pw_hash(a, pw, strlen(pw), PW_ITERATIONS) : NULL;
	if (pp != PW_OK)
		fprintf(stderr, "tbctl: %s\n", password_problem_text(pp));
	OPENSSL_cleanse(pw, sizeof(pw));
	return hash;
}

static const char *opt(int argc, char **argv, const char *name)
{
	for (int i = 1; i + 1 < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return argv[i + 1];
	return NULL;
}

/* A one-time TOTP enrolment code for an administrator account (see the
 * admin service, session.c): "XXXX-XXXX-XXXX-XXXX" into code, the SHA-256
 * of its 16 characters as hex into hash_hex. 0 or -1. */
static int enrol_code(struct arena *a, char code[20], char hash_hex[65])
{
	unsigned char raw[10], h[32];
	if (crypto_random(raw, sizeof(raw)) != 0)
		return -1;
	char *b = crypto_b32_encode(a, raw, sizeof(raw));
	OPENSSL_cleanse(raw, sizeof(raw));
	if (b == NULL || strlen(b) < 16)
		return -1;
	crypto_sha256(b, 16, h);
	crypto_hex(h, 32, hash_hex);
	int n = snprintf(code, 20, "%.4s-%.4s-%.4s-%.4s", b, b + 4, b + 8, b + 12);
	return n == 19 ? 0 : -1;
}

static const struct stmt q_enrol = {
	"user_enrol",
	"UPDATE iam.user u SET enrol_code_hash = decode($2, 'hex'),"
	" enrol_code_expires = now() + interval '72 hours', totp_pending = NULL, totp_pending_legacy = NULL,"
	" totp_secret = CASE WHEN a.admin THEN NULL ELSE totp_secret END,"
	" totp_secret_legacy = CASE WHEN a.admin THEN NULL ELSE totp_secret_legacy END"
	" FROM (SELECT EXISTS (SELECT 1 FROM iam.grant g JOIN iam.role r ON r.code = g.role_code"
	"   WHERE g.user_id = $1 AND r.kind = 'admin') AS admin) a WHERE u.id = $1 RETURNING a.admin::int",
	2,
};

static const struct stmt q_audit = {
	"user_audit",
	"INSERT INTO audit.event (at, actor_name, action, object_type, object_id, outcome, client_addr, details)"
	" VALUES (now(), 'tbctl', $1, 'user', $2, 'success', 'local', $3::jsonb)",
	3,
};

static const struct stmt q_create = {
	"user_create",
	"INSERT INTO iam.user (username, display_name, agency_code, password_hash, must_change_password)"
	" VALUES ($1, $2, $3, $4, false) RETURNING id",
	4,
};

static const struct stmt q_grant = {
	"user_grant",
	"INSERT INTO iam.grant (user_id, role_code, scope_code)"
	" SELECT $1, $2, coalesce((SELECT division_code FROM iam.agency WHERE code = $3), $3)",
	3,
};

static const struct stmt q_reset = {
	"user_reset",
	"UPDATE iam.user SET password_hash = $2, must_change_password = true, status = 'active',"
	" password_changed_at = now(), version = version + 1 WHERE username = $1 RETURNING id",
	2,
};

static const struct stmt q_revoke = {
	"user_revoke_sessions",
	"UPDATE iam.session SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL",
	1,
};

static const struct stmt q_unthrottle = {
	"user_unthrottle",
	"DELETE FROM iam.login_throttle WHERE user_id = $1",
	1,
};

int cmd_user(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: tbctl user create --username U --name N --agency CODE --role ROLE [--scope CODE]\n"
				"       tbctl user reset-password U\n(the password is read from standard input)\n");
		return 2;
	}
	if (strcmp(argv[1], "create") == 0) {
		const char *u = opt(argc, argv, "--username"), *n = opt(argc, argv, "--name");
		const char *a = opt(argc, argv, "--agency"), *role = opt(argc, argv, "--role");
		const char *scope = opt(argc, argv, "--scope");
		if (!u || !n || !a || !role) {
			fprintf(stderr, "tbctl: user create needs --username, --name, --agency and --role\n");
			return 2;
		}
		struct arena ar;
		arena_init(&ar, 0);
		char *hash = password_from_stdin(&ar, u);
		struct db d = { 0 };
		int connected = hash && tbctl_connect(&d) == 0;
		int rc = 1;
		PGresult *res = NULL;
		if (!connected)
			goto out;
		const char *pu[] = { u, n, a, hash };
		if (tbctl_do(&d, &db_stmt_begin, NULL) != 0 || (res = tbctl_run(&d, &q_create, pu)) == NULL)
			goto out;
		const char *id = PQgetvalue(res, 0, 0);
		const char *pg[] = { id, role, scope ? scope : a };
		char details[200];
		snprintf(details, sizeof(details), "{\"via\": \"tbctl\", \"role\": \"%.32s\"}", role);
		const char *pa[] = { "user.create", id, details };
		if (tbctl_do(&d, &q_grant, pg) != 0 || tbctl_do(&d, &q_audit, pa) != 0)
			goto out;
		char code[20], code_hash[65];
		const char *pe[] = { id, code_hash };
		PGresult *er = NULL;
		if (enrol_code(&ar, code, code_hash) != 0 || (er = tbctl_run(&d, &q_enrol, pe)) == NULL ||
		    tbctl_do(&d, &db_stmt_commit, NULL) != 0) {
			if (er)
				PQclear(er);
			goto out;
		}
		printf("created user %s (id %s) with role %s\n", u, id, role);
		if (atoi(PQgetvalue(er, 0, 0)))
			printf("TOTP enrolment code (hand it over out of band; once, 72 hours): %s\n", code);
		PQclear(er);
		OPENSSL_cleanse(code, sizeof(code));
		rc = 0;
	out:
		if (res)
			PQclear(res);
		db_close(&d);
		arena_free(&ar);
		return rc;
	}
	if (strcmp(argv[1], "reset-password") == 0 && argc >= 3) {
		struct arena ar;
		arena_init(&ar, 0);
		char *hash = password_from_stdin(&ar, argv[2]);
		struct db d = { 0 };
		int connected = hash && tbctl_connect(&d) == 0;
		int rc = 1;
		PGresult *res = NULL;
		if (!connected)
			goto out2;
		const char *pu[] = { argv[2], hash };
		if (tbctl_do(&d, &db_stmt_begin, NULL) != 0 || (res = tbctl_run(&d, &q_reset, pu)) == NULL)
			goto out2;
		if (PQntuples(res) != 1) {
			fprintf(stderr, "tbctl: no user %s\n", argv[2]);
			goto out2;
		}
		const char *pid[] = { PQgetvalue(res, 0, 0) };
		const char *pa[] = { "user.password.reset", pid[0], "{\"via\": \"tbctl\"}" };
		if (tbctl_do(&d, &q_revoke, pid) != 0 || tbctl_do(&d, &q_unthrottle, pid) != 0 ||
		    tbctl_do(&d, &q_audit, pa) != 0)
			goto out2;
		char code[20], code_hash[65];
		const char *pe[] = { pid[0], code_hash };
		PGresult *er = NULL;
		if (enrol_code(&ar, code, code_hash) != 0 || (er = tbctl_run(&d, &q_enrol, pe)) == NULL ||
		    tbctl_do(&d, &db_stmt_commit, NULL) != 0) {
			if (er)
				PQclear(er);
			goto out2;
		}
		printf("password of %s reset; it must be changed at the next log-in\n", argv[2]);
		if (atoi(PQgetvalue(er, 0, 0)))
			printf("its second factor was cleared; TOTP enrolment code (once, 72 hours): %s\n", code);
		PQclear(er);
		OPENSSL_cleanse(code, sizeof(code));
		rc = 0;
	out2:
		if (res)
			PQclear(res);
		db_close(&d);
		arena_free(&ar);
		return rc;
	}
	fprintf(stderr, "tbctl: unknown user command\n");
	return 2;
}
