/* Synthetic registry data for `tbctl seed-scale`: pure, deterministic
 * generators (no I/O, no global state) of unit codes, resident ID numbers,
 * Chinese names and random draws, so that the same seed gives the same
 * registry and the generators can be unit-tested on their own.
 *
 * Numbering that cannot clash with real or demo data:
 *  - unit codes: the cadastral zone (characters 7-9) is 900-999, which the
 *    demo data and the tests never use (they use zones 001-003); the rest
 *    of the code is a one-to-one function of the unit's index, so two
 *    indexes never share a code whatever their counties.
 *  - ID numbers: the birth date and sequence code (characters 7-17) are a
 *    one-to-one function (a fixed affine permutation) of the person's
 *    index, over birth dates 1940-01-01..2005-12-31 and the sequence codes
 *    other than 000 and those of the demo and test holders: two persons never share
 *    a number whatever their county prefixes, and no synthetic number is a
 *    demo one. */
#ifndef TB_SYNTH_H
#define TB_SYNTH_H
#include <stddef.h>
#include <stdint.h>

/* ---- random draws: splitmix64, seeded per (seed, stream, index) ---------- */
struct synth_rng {
	uint64_t s;
};
uint64_t synth_mix(uint64_t x);
/* A generator for one thing (stream says what kind, index which one). */
void synth_rng_init(struct synth_rng *r, uint64_t seed, uint64_t stream, uint64_t index);
uint64_t synth_next(struct synth_rng *r);
/* Uniform in [0, n), n > 0. */
uint32_t synth_below(struct synth_rng *r, uint32_t n);
/* 1 with probability per_mille / 1000. */
int synth_chance(struct synth_rng *r, unsigned per_mille);

/* ---- property units ------------------------------------------------------ */
#define SYNTH_UNITS_PER_PARCEL 512	/* 8 buildings of 16 floors, 4 per floor */
#define SYNTH_UNIT_MAX 5120000000000ULL	/* zones 900-999 hold this many */
struct synth_place {
	uint64_t parcel;	/* SYNTH_UNITS_PER_PARCEL consecutive units per parcel */
	int building;		/* 1-8 */
	int floor;		/* 1-16 */
	int room;		/* 1-4 */
};
void synth_place_of(uint64_t index, struct synth_place *p);
/* The 28-character code of unit index in county (6 digits) into out[29]:
 * zone 9xx, parcel feature GB (state-owned construction land) or JC
 * (collective homestead, rural), fixture F and building + floor/room.
 * -1 when index is out of range or county is not 6 characters. */
int synth_unit_code(char out[29], const char *county, uint64_t index, int rural);

/* ---- persons -------------------------------------------------------------- */
/* How many distinct persons the ID numbering has room for. */
uint64_t synth_person_max(void);
/* The 18-character resident ID number of person index with the county
 * prefix (6 digits) into out[19]; -1 when index >= synth_person_max(). */
int synth_id_number(char out[19], const char *county, uint64_t person);
/* 1 for a man (odd 17th digit), as the number says. */
int synth_id_male(const char *id);
/* The birth date of an ID number as YYYYMMDD. */
int synth_id_birth(const char *id);
/* A common Chinese name (surname + one or two characters), UTF-8, into out. */
void synth_name(struct synth_rng *r, int male, char *out, size_t outlen);

#endif
