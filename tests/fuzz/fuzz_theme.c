/*
 * fuzz_theme.c - libFuzzer target for the theme parser (theme_load_string).
 *
 * The input is a theme file. It is cut at its first NUL (the parser takes a C
 * string) and parsed over the default theme. Besides the sanitizers, the
 * target checks the contract: success sets no cause and yields colors in
 * -1..255 with known attributes; failure leaves the default theme and says
 * why, starting with the origin.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plasticity/theme.h"
#include "plasticity/util.h"

#define ORIGIN    "fuzz.theme"
#define ATTRS_ALL (THEME_BOLD | THEME_DIM | THEME_REVERSE | THEME_UNDERLINE)

static void check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_theme: %s\n", what);
		abort();
	}
}

static void check_success(const struct theme *t, const char *cause)
{
	check(cause == NULL, "cause set on success");
	check(strcmp(t->name, "fuzz") == 0, "name is not the origin's stem");
	for (int r = 0; r < ROLE_COUNT; r++) {
		const struct theme_color *c = &t->role[r];

		check(c->fg >= -1 && c->fg <= 255 && c->bg >= -1 && c->bg <= 255,
		      "color out of range");
		check((c->attrs & ~ATTRS_ALL) == 0, "unknown attribute bits");
	}
}

static void check_failure(const struct theme *t, const char *cause)
{
	struct theme def;

	theme_builtin(&def, "default");
	check(cause != NULL && strncmp(cause, ORIGIN ":", strlen(ORIGIN ":")) == 0,
	      "failure without a cause naming the origin");
	check(memcmp(t->role, def.role, sizeof(def.role)) == 0,
	      "failure did not leave the default theme");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = xmalloc(size + 1), *cause = NULL;
	struct theme t;

	memcpy(text, data, size);
	text[size] = '\0';
	if (theme_load_string(&t, text, ORIGIN, &cause) == PL_OK)
		check_success(&t, cause);
	else
		check_failure(&t, cause);
	free(cause);
	free(text);
	return 0;
}
