/* Unit tests of the audit anchors: fixed-width records at known offsets,
 * appended in order only; checkpoints signed with Ed25519 that verify, and
 * that stop verifying when any byte of them changes. */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "core/audit_anchor.h"

static char dir[] = "/tmp/tb-anchor-test.XXXXXX";

static struct anchor_rec rec(int64_t pos, int64_t seq, unsigned char fill)
{
	struct anchor_rec r = { pos, seq, { 0 } };
	memset(r.hash, fill, 32);
	return r;
}

static void test_anchor_records_append_in_order_and_read_back_by_position(void)
{
	char err[256];
	struct anchors a;
	CHECK(anchor_open(&a, dir, 1, err, sizeof(err)) == 0 && a.count == 0);
	struct anchor_rec batch[3] = { rec(1, 10, 0xab), rec(2, 12, 0x01), rec(3, 11, 0xff) };
	CHECK(anchor_append(&a, batch, 3, err, sizeof(err)) == 0 && a.count == 3);
	struct anchor_rec gap = rec(5, 13, 0);
	CHECK(anchor_append(&a, &gap, 1, err, sizeof(err)) == -1 && a.count == 3);
	anchor_close(&a);
	struct anchors r;
	CHECK(anchor_open(&r, dir, 0, err, sizeof(err)) == 0 && r.count == 3);
	struct anchor_rec got;
	CHECK(anchor_get(&r, 2, &got) == 1 && got.pos == 2 && got.seq == 12 && got.hash[31] == 0x01);
	CHECK(anchor_get(&r, 3, &got) == 1 && got.seq == 11 && got.hash[0] == 0xff);
	CHECK(anchor_get(&r, 4, &got) == 0 && anchor_get(&r, 0, &got) == 0);
	anchor_close(&r);
	/* a torn record makes the log unreadable rather than misaligned */
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, ANCHOR_LOG);
	FILE *f = fopen(path, "a");
	fputs("0000", f);
	fclose(f);
	CHECK(anchor_open(&r, dir, 0, err, sizeof(err)) == -1);
	unlink(path);
}

static void test_checkpoints_verify_and_any_change_breaks_them(void)
{
	char err[256], path[512];
	EVP_PKEY *key = NULL;
	EVP_PKEY_CTX *kc = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);
	CHECK(kc && EVP_PKEY_keygen_init(kc) == 1 && EVP_PKEY_keygen(kc, &key) == 1);
	EVP_PKEY_CTX_free(kc);
	struct anchor_rec head = rec(42, 4242, 0x5a);
	CHECK(anchor_checkpoint(dir, key, 1795000000, &head, err, sizeof(err)) == 0);
	snprintf(path, sizeof(path), "%s/%s", dir, CHECKPOINT_LOG);
	FILE *f = fopen(path, "r");
	char line[512] = "";
	CHECK(f && fgets(line, sizeof(line), f));
	if (f)
		fclose(f);
	line[strcspn(line, "\n")] = '\0';
	int64_t t;
	struct anchor_rec got;
	CHECK(anchor_checkpoint_check(key, line, &t, &got) == 1);
	CHECK(t == 1795000000 && got.pos == 42 && got.seq == 4242 && got.hash[7] == 0x5a);
	char *hash = strstr(line, "5a5a");
	CHECK(hash != NULL);
	if (hash) {
		hash[0] = '6';
		CHECK(anchor_checkpoint_check(key, line, &t, &got) == 0);
		hash[0] = '5';
	}
	char *sp = strrchr(line, ' ');
	char orig = sp[1];
	sp[1] = orig == 'A' ? 'B' : 'A';
	CHECK(anchor_checkpoint_check(key, line, &t, &got) == 0);
	CHECK(anchor_checkpoint_check(key, "tongban-audit-checkpoint v1 1 2 3", &t, &got) == -1);
	/* another key's signature does not verify */
	EVP_PKEY *other = NULL;
	kc = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);
	CHECK(kc && EVP_PKEY_keygen_init(kc) == 1 && EVP_PKEY_keygen(kc, &other) == 1);
	EVP_PKEY_CTX_free(kc);
	sp[1] = orig;
	CHECK(anchor_checkpoint_check(key, line, &t, &got) == 1);
	CHECK(anchor_checkpoint_check(other, line, &t, &got) == 0);
	EVP_PKEY_free(other);
	EVP_PKEY_free(key);
	unlink(path);
}

int main(void)
{
	if (mkdtemp(dir) == NULL)
		return 1;
	TEST(test_anchor_records_append_in_order_and_read_back_by_position);
	TEST(test_checkpoints_verify_and_any_change_breaks_them);
	rmdir(dir);
	return check_done();
}
