/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_config_lex.c - lexical checks on the config text that libconfig 1.5
 * (Debian 12) does not make.
 *
 * - @include: meshgw reads one file, and a loader that a fuzzer or `--check`
 *   drives must not open others. Checked before libconfig sees the text.
 * - Integer literals: libconfig 1.5 converts them with atoi(), so
 *   `mtu = 4294968796;` silently becomes 1500. Checked after a successful
 *   parse (the text is then well formed), so syntax errors are reported first.
 *
 * The scanner follows libconfig's token rules closely enough to skip strings,
 * comments and names; it never reads past the terminating NUL.
 */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "ctl_config_parse.h"

struct lex {
	const char *p;
	int line;
};

static void
skip_line(struct lex *lx)
{
	while (*lx->p != '\0' && *lx->p != '\n')
		lx->p++;
}

static void
skip_block_comment(struct lex *lx)
{
	for (lx->p += 2; *lx->p != '\0'; lx->p++) {
		if (lx->p[0] == '*' && lx->p[1] == '/') {
			lx->p += 2;
			return;
		}
		lx->line += *lx->p == '\n';
	}
}

static void
skip_string(struct lex *lx)
{
	for (lx->p++; *lx->p != '\0'; lx->p++) {
		if (*lx->p == '"') {
			lx->p++;
			return;
		}
		if (lx->p[0] == '\\' && (lx->p[1] == '"' || lx->p[1] == '\\'))
			lx->p++;
		lx->line += *lx->p == '\n';
	}
}

static bool
is_name_start(char c)
{
	return isalpha((unsigned char)c) || c == '*';
}

static bool
is_name_char(char c)
{
	return isalnum((unsigned char)c) || c == '*' || c == '-' || c == '_';
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool
starts_number(const char *p)
{
	if (p[0] == '+' || p[0] == '-')
		p++;
	return is_digit(p[0]) || (p[0] == '.' && is_digit(p[1]));
}

/* Skips the fraction and exponent of a float whose integer digits are read. */
static void
skip_float(struct lex *lx)
{
	if (*lx->p == '.')
		for (lx->p++; is_digit(*lx->p); lx->p++)
			;
	if (*lx->p == 'e' || *lx->p == 'E') {
		const char *q = lx->p + 1;
		if (*q == '+' || *q == '-')
			q++;
		if (is_digit(*q))
			for (lx->p = q; is_digit(*lx->p); lx->p++)
				;
	}
}

static bool
is_float_tail(const char *p)
{
	if (*p == '.')
		return true;
	if (*p != 'e' && *p != 'E')
		return false;
	p += p[1] == '+' || p[1] == '-';
	return is_digit(p[1]);
}

/* Reads digits in base 10 or 16; *over set when the value passes 64 bits. */
static uint64_t
read_digits(struct lex *lx, unsigned int base, bool *over)
{
	uint64_t v = 0;

	*over = false;
	for (;; lx->p++) {
		char c = *lx->p;
		unsigned int d;
		if (is_digit(c))
			d = (unsigned int)(c - '0');
		else if (base == 16 && isxdigit((unsigned char)c))
			d = (unsigned int)(tolower((unsigned char)c) - 'a' + 10);
		else
			return v;
		if (v > (UINT64_MAX - d) / base)
			*over = true;
		else
			v = v * base + d;
	}
}

/* One numeric literal; -EINVAL when libconfig would store something else. */
static int
check_number(struct cfg_parse *ps, struct lex *lx)
{
	const char *start = lx->p;
	bool neg = *lx->p == '-', over;
	bool hex = lx->p[0] == '0' && (lx->p[1] == 'x' || lx->p[1] == 'X') &&
		   isxdigit((unsigned char)lx->p[2]);
	uint64_t lim32, lim64, v;

	if (hex) {
		lx->p += 2;
		v = read_digits(lx, 16, &over);
		lim32 = UINT32_MAX; /* hex is a bit pattern */
		lim64 = UINT64_MAX;
	} else {
		lx->p += *lx->p == '+' || *lx->p == '-';
		v = read_digits(lx, 10, &over);
		if (is_float_tail(lx->p)) {
			skip_float(lx);
			return 0;
		}
		lim32 = neg ? (uint64_t)INT32_MAX + 1 : INT32_MAX;
		lim64 = neg ? (uint64_t)INT64_MAX + 1 : INT64_MAX;
	}
	bool wide = *lx->p == 'L';
	int len = (int)(lx->p - start);
	if (wide) {
		lx->p += lx->p[1] == 'L' ? 2 : 1;
		if (over || v > lim64)
			return cfg_fail_at(ps, lx->line, "integer %.*s does not fit in 64 bits",
					   len > 40 ? 40 : len, start);
		return 0;
	}
	if (over || v > lim32)
		return cfg_fail_at(ps, lx->line,
				   "integer %.*s does not fit in 32 bits (write %.*sL for a "
				   "64-bit value)",
				   len > 40 ? 40 : len, start, len > 40 ? 40 : len, start);
	return 0;
}

/* Reads one token's worth of text; 0 or -EINVAL after cfg_fail_at(). */
static int
step(struct cfg_parse *ps, struct lex *lx, bool only_include)
{
	const char *p = lx->p;

	if (*p == '#' || (p[0] == '/' && p[1] == '/')) {
		skip_line(lx);
	} else if (p[0] == '/' && p[1] == '*') {
		skip_block_comment(lx);
	} else if (*p == '"') {
		skip_string(lx);
	} else if (strncmp(p, "@include", 8) == 0) {
		return cfg_fail_at(ps, lx->line,
				   "@include is not supported: the configuration is one file");
	} else if (is_name_start(*p)) {
		while (is_name_char(*lx->p))
			lx->p++;
	} else if (!only_include && starts_number(p)) {
		return check_number(ps, lx);
	} else {
		lx->line += *p == '\n';
		lx->p++;
	}
	return 0;
}

int
cfg_lex_check(struct cfg_parse *ps, const char *text, bool only_include)
{
	struct lex lx = {.p = text, .line = 1};

	while (*lx.p != '\0') {
		int rc = step(ps, &lx, only_include);
		if (rc < 0)
			return rc;
	}
	return 0;
}
