/* Fuzz target: the provider's trade bill (domain/statement.c), with and
 * without the date check; what it accepts must hold together (the summary
 * agrees with the rows, every kept field is NUL-terminated within its
 * room). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "domain/statement.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	size_t max = bill_max_rows(text, size);
	struct bill_row *rows = calloc(max, sizeof(*rows));
	if (rows == NULL)
		return 0;
	struct bill_summary s;
	struct bill_fault f;
	size_t n;
	for (int dated = 0; dated < 2; dated++) {
		if (bill_parse(text, size, dated ? "2026-11-27" : NULL, rows, max, &n, &s, &f) != 0) {
			if (f.err == BILL_OK || bill_err_code(f.err) == NULL)
				__builtin_trap();
			continue;
		}
		int64_t total = 0;
		for (size_t i = 0; i < n; i++) {
			if (memchr(rows[i].out_trade_no, 0, sizeof(rows[i].out_trade_no)) == NULL ||
			    memchr(rows[i].transaction_id, 0, sizeof(rows[i].transaction_id)) == NULL ||
			    rows[i].amount_fen < 0 || rows[i].out_trade_no[0] == 0)
				__builtin_trap();
			total += rows[i].amount_fen;
		}
		if (n > max || s.rows != (int64_t)n || s.amount_fen != total)
			__builtin_trap();
	}
	free(rows);
	return 0;
}
