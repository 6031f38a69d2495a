/* Without libFuzzer: run a target over its corpus, then over a fixed number
 * of deterministic mutations of it (byte flips, cuts, splices, repeats), so
 * `make test` exercises every fuzz target under ASan+UBSan with gcc alone. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

int main(int argc, char **argv)
{
	if (argc < 3)
		return 2;
	long iters = atol(argv[2]);
	unsigned char *seeds[256];
	size_t lens[256], n = 0;
	DIR *d = opendir(argv[1]);
	struct dirent *de;
	while (d && (de = readdir(d)) != NULL && n < 256) {
		if (de->d_name[0] == '.')
			continue;
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", argv[1], de->d_name);
		FILE *f = fopen(path, "rb");
		if (!f)
			continue;
		seeds[n] = malloc(1 << 16);
		lens[n] = fread(seeds[n], 1, 1 << 16, f);
		fclose(f);
		LLVMFuzzerTestOneInput(seeds[n], lens[n]);
		n++;
	}
	if (d)
		closedir(d);
	if (n == 0) {
		fprintf(stderr, "no corpus in %s\n", argv[1]);
		return 1;
	}
	unsigned char *buf = malloc(1 << 17);
	for (long i = 0; i < iters; i++) {
		size_t s = next() % n, len = lens[s];
		memcpy(buf, seeds[s], len);
		int muts = 1 + (int)(next() % 8);
		for (int m = 0; m < muts; m++) {
			switch (next() % 5) {
			case 0: if (len) buf[next() % len] ^= (unsigned char)(1u << (next() % 8)); break;
			case 1: if (len) buf[next() % len] = (unsigned char)next(); break;
			case 2: if (len) len = next() % len; break;
			case 3: { /* splice another seed's tail */
				size_t o = next() % n, at = len ? next() % len : 0, take = lens[o] ? next() % lens[o] : 0;
				if (at + take < (1 << 17)) { memcpy(buf + at, seeds[o], take); len = at + take; }
				break; }
			case 4: if (len && len * 2 < (1 << 17)) { memcpy(buf + len, buf, len); len *= 2; } break;
			}
		}
		unsigned char *exact = malloc(len ? len : 1); /* exact size: ASan sees overreads */
		memcpy(exact, buf, len);
		LLVMFuzzerTestOneInput(exact, len);
		free(exact);
	}
	printf("%s: %zu seeds, %ld mutations, no crash\n", argv[1], n, iters);
	free(buf);
	for (size_t i = 0; i < n; i++)
		free(seeds[i]);
	return 0;
}
