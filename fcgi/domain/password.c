#include "password.h"

#include <ctype.h>
#include <string.h>

static int contains_ci(const char *hay, size_t hn, const char *needle)
{
	size_t nn = strlen(needle);
	if (nn == 0 || nn > hn)
		return 0;
	for (size_t i = 0; i + nn <= hn; i++) {
		size_t k = 0;
		while (k < nn && tolower((unsigned char)hay[i + k]) == tolower((unsigned char)needle[k]))
			k++;
		if (k == nn)
			return 1;
	}
	return 0;
}

enum pw_problem password_policy(const char *username, const char *pw, size_t len)
{
	size_t chars = 0;
	int lower = 0, upper = 0, digit = 0, other = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)pw[i];
		if (c == 0)
			return PW_ENCODING;
		if ((c & 0xc0) != 0x80)
			chars++;
		if (c >= 'a' && c <= 'z')
			lower = 1;
		else if (c >= 'A' && c <= 'Z')
			upper = 1;
		else if (c >= '0' && c <= '9')
			digit = 1;
		else if ((c & 0xc0) != 0x80)
			other = 1; /* punctuation, spaces and non-ASCII letters */
	}
	if (chars < 12 || chars > 128)
		return PW_LENGTH;
	if (lower + upper + digit + other < 3)
		return PW_CLASSES;
	if (username && contains_ci(pw, len, username))
		return PW_USERNAME;
	return PW_OK;
}

const char *password_problem_text(enum pw_problem p)
{
	switch (p) {
	case PW_LENGTH: return "The password must have 12 to 128 characters.";
	case PW_CLASSES: return "The password must mix at least three of: lower case, upper case, digits, other characters.";
	case PW_USERNAME: return "The password must not contain the username.";
	case PW_ENCODING: return "The password contains a character that is not allowed.";
	default: return "The password is acceptable.";
	}
}

int username_valid(const char *s)
{
	size_t n = strlen(s);
	if (n < 3 || n > 32 || !(s[0] >= 'a' && s[0] <= 'z'))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || strchr("_.-", s[i])))
			return 0;
	return 1;
}
