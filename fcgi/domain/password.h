/* Password policy (等保 level 3): 12-128 characters, at least three of the
 * four classes (lower case, upper case, digits, others), and neither equal
 * to nor containing the username (case-insensitively). */
#ifndef TB_PASSWORD_H
#define TB_PASSWORD_H
#include <stddef.h>

enum pw_problem { PW_OK, PW_LENGTH, PW_CLASSES, PW_USERNAME, PW_ENCODING };

/* Usernames: 3-32 of [a-z0-9_.-], starting with a letter. */
int username_valid(const char *s);
enum pw_problem password_policy(const char *username, const char *pw, size_t len);
const char *password_problem_text(enum pw_problem p);

#endif
