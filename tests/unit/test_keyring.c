/* Unit tests of the data keyring: key file parsing, AES-256-GCM sealing
 * bound to its purpose, key rotation, and the HMAC lookup index. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "core/keyring.h"

static struct arena A;

static const char K1[] = "0101010101010101010101010101010101010101010101010101010101010101";
static const char K2[] = "0202020202020202020202020202020202020202020202020202020202020202";
static const char KI[] = "0303030303030303030303030303030303030303030303030303030303030303";

static char path[64];

static int write_keys(const char *text, mode_t mode)
{
	snprintf(path, sizeof(path), "/tmp/tb-keyring-test.%d", (int)getpid());
	FILE *f = fopen(path, "w");
	if (f == NULL)
		return -1;
	fputs(text, f);
	fclose(f);
	return chmod(path, mode);
}

static int load(struct keyring *kr, const char *text, mode_t mode)
{
	char err[256];
	if (write_keys(text, mode) != 0)
		return -1;
	int rc = keyring_load(kr, path, err, sizeof(err));
	unlink(path);
	return rc;
}

static void test_key_file_is_parsed_and_checked(void)
{
	struct keyring kr;
	char text[512];
	snprintf(text, sizeof(text), "# keys\nenc 1 %s\nidx %s\n", K1, KI);
	CHECK(load(&kr, text, 0600) == 0 && kr.nenc == 1 && kr.enc[0].id == 1 && kr.has_idx);
	/* readable by others: refused */
	CHECK(load(&kr, text, 0644) != 0);
	/* no index key, a short key, a duplicate id, garbage */
	snprintf(text, sizeof(text), "enc 1 %s\n", K1);
	CHECK(load(&kr, text, 0600) != 0);
	snprintf(text, sizeof(text), "enc 1 0101\nidx %s\n", KI);
	CHECK(load(&kr, text, 0600) != 0);
	snprintf(text, sizeof(text), "enc 1 %s\nenc 1 %s\nidx %s\n", K1, K2, KI);
	CHECK(load(&kr, text, 0600) != 0);
	snprintf(text, sizeof(text), "enc 1 %s\nidx %s\nhello\n", K1, KI);
	CHECK(load(&kr, text, 0600) != 0);
}

static void test_sealed_values_open_only_for_their_purpose(void)
{
	struct keyring kr;
	char text[512];
	snprintf(text, sizeof(text), "enc 1 %s\nidx %s\n", K1, KI);
	CHECK(load(&kr, text, 0600) == 0);
	const char *secret = "11010519491231002X";
	char *s = keyring_seal(&kr, &A, secret, strlen(secret), "cases.party.id_number");
	CHECK(s != NULL && strncmp(s, "v1.1.", 5) == 0 && strstr(s, "002X") == NULL);
	/* two seals of one value differ (random IV) */
	char *s2 = keyring_seal(&kr, &A, secret, strlen(secret), "cases.party.id_number");
	CHECK(s2 != NULL && strcmp(s, s2) != 0);
	unsigned char *pt;
	size_t n;
	CHECK(keyring_open(&kr, &A, s, "cases.party.id_number", &pt, &n) == 0 && n == strlen(secret) &&
	      memcmp(pt, secret, n) == 0 && pt[n] == '\0');
	/* another purpose, a flipped byte, a truncated value: refused */
	CHECK(keyring_open(&kr, &A, s, "iam.user.totp_secret", &pt, &n) != 0);
	char *bad = strdup(s);
	bad[strlen(bad) - 3] = bad[strlen(bad) - 3] == 'A' ? 'B' : 'A';
	CHECK(keyring_open(&kr, &A, bad, "cases.party.id_number", &pt, &n) != 0);
	bad[20] = '\0';
	CHECK(keyring_open(&kr, &A, bad, "cases.party.id_number", &pt, &n) != 0);
	free(bad);
	CHECK(keyring_open(&kr, &A, "v1.9.AAAA", "x", &pt, &n) != 0);
	CHECK(keyring_open(&kr, &A, "plain text", "x", &pt, &n) != 0);
	keyring_wipe(&kr);
}

static void test_rotation_keeps_old_values_readable(void)
{
	struct keyring kr;
	char text[512];
	snprintf(text, sizeof(text), "enc 1 %s\nidx %s\n", K1, KI);
	CHECK(load(&kr, text, 0600) == 0);
	char *old = keyring_seal(&kr, &A, "JBSWY3DP", 8, "t");
	snprintf(text, sizeof(text), "enc 1 %s\nenc 2 %s\nidx %s\n", K1, K2, KI);
	CHECK(load(&kr, text, 0600) == 0);
	char *new = keyring_seal(&kr, &A, "JBSWY3DP", 8, "t");
	CHECK(keyring_sealed_id(old) == 1 && keyring_sealed_id(new) == 2);
	unsigned char *pt;
	size_t n;
	CHECK(keyring_open(&kr, &A, old, "t", &pt, &n) == 0 && n == 8);
	CHECK(keyring_open(&kr, &A, new, "t", &pt, &n) == 0 && n == 8);
	/* once key 1 is retired, its values no longer open */
	snprintf(text, sizeof(text), "enc 2 %s\nidx %s\n", K2, KI);
	CHECK(load(&kr, text, 0600) == 0);
	CHECK(keyring_open(&kr, &A, old, "t", &pt, &n) != 0);
	CHECK(keyring_sealed_id("v1.x.AAAA") == 0 && keyring_sealed_id("v2.1.AAAA") == 0);
}

static void test_index_is_keyed_and_separated_by_domain(void)
{
	struct keyring kr;
	char text[512], a[65], b[65], c[65];
	snprintf(text, sizeof(text), "enc 1 %s\nidx %s\n", K1, KI);
	CHECK(load(&kr, text, 0600) == 0);
	CHECK(keyring_index(&kr, "id", "11010519491231002X", 18, a) == 0 && strlen(a) == 64);
	CHECK(keyring_index(&kr, "id", "11010519491231002X", 18, b) == 0 && strcmp(a, b) == 0);
	CHECK(keyring_index(&kr, "last6", "11010519491231002X", 18, c) == 0 && strcmp(a, c) != 0);
	snprintf(text, sizeof(text), "enc 1 %s\nidx %s\n", K1, K2);
	CHECK(load(&kr, text, 0600) == 0);
	CHECK(keyring_index(&kr, "id", "11010519491231002X", 18, c) == 0 && strcmp(a, c) != 0);
}

int main(void)
{
	arena_init(&A, 0);
	TEST(test_key_file_is_parsed_and_checked);
	TEST(test_sealed_values_open_only_for_their_purpose);
	TEST(test_rotation_keeps_old_values_readable);
	TEST(test_index_is_keyed_and_separated_by_domain);
	arena_free(&A);
	return check_done();
}
