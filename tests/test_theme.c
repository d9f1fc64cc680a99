/*
 * test_theme.c - theme files: the built-ins, the shipped themes, the exact
 * messages (with line numbers) for bad input, color fallback to 8 and 16
 * colors, and theme_find's search order in a temporary XDG_CONFIG_HOME.
 *
 * Shipped themes are read from $SRCDIR/themes (SRCDIR defaults to ".").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plasticity/theme.h"
#include "plasticity/util.h"
#include "tap.h"

#ifndef PL_DATADIR
#define PL_DATADIR "/usr/local/share/plasticity"
#endif

static const char *const shipped[] = {"default", "light", "high-contrast", "mono"};

static int color_same(const struct theme_color *a, const struct theme_color *b)
{
	return a->fg == b->fg && a->bg == b->bg && a->attrs == b->attrs;
}

/* Role by role, so a failure says which role. */
static int theme_same(const struct theme *a, const struct theme *b)
{
	int same = 1;

	for (int r = 0; r < ROLE_COUNT; r++) {
		if (!color_same(&a->role[r], &b->role[r])) {
			diag("%s: %d on %d (%u) vs %d on %d (%u)", theme_role_name(r),
			     a->role[r].fg, a->role[r].bg, a->role[r].attrs,
			     b->role[r].fg, b->role[r].bg, b->role[r].attrs);
			same = 0;
		}
	}
	return same;
}

/* Load text and compare the status and message (NULL: expect success). */
static int load_says(const char *text, const char *want)
{
	struct theme t, def;
	char *cause = NULL;
	enum pl_status st = theme_load_string(&t, text, "t.theme", &cause);
	int good;

	theme_builtin(&def, "default");
	if (want == NULL)
		good = st == PL_OK && cause == NULL;
	else
		good = st == PL_ERR_CONFIG && cause != NULL && strcmp(cause, want) == 0 &&
		       theme_same(&t, &def);
	if (!good)
		diag("status %d, cause '%s'", st, cause ? cause : "(none)");
	free(cause);
	return good;
}

/* One role of the theme loaded from text, or fg = 999 on error. */
static struct theme_color role_of(const char *text, enum theme_role r)
{
	struct theme t;
	char *cause = NULL;

	if (theme_load_string(&t, text, "t.theme", &cause) != PL_OK) {
		diag("%s", cause);
		free(cause);
		return (struct theme_color){.fg = 999};
	}
	return t.role[r];
}

static int role_is(const char *text, enum theme_role r, short fg, short bg,
                   unsigned attrs)
{
	struct theme_color want = {.fg = fg, .bg = bg, .attrs = attrs};
	struct theme_color got = role_of(text, r);

	return color_same(&got, &want);
}

static void test_builtins(void)
{
	struct theme d, m;
	int bg_default = 1, mono_plain = 1;

	ok(strcmp(theme_role_name(ROLE_TEXT), "text") == 0 &&
	           strcmp(theme_role_name(ROLE_EARLIER), "earlier") == 0 &&
	           strcmp(theme_role_name(ROLE_METHOD6), "method6") == 0 &&
	           theme_role_name(ROLE_COUNT) == NULL,
	   "role names");
	ok(theme_builtin(&d, "default") && strcmp(d.name, "default") == 0,
	   "built-in default");
	ok(theme_builtin(&m, "mono") && strcmp(m.name, "mono") == 0, "built-in mono");
	ok(!theme_builtin(&d, "light") && !theme_builtin(&d, "") &&
	           !theme_builtin(&d, NULL),
	   "light, empty and NULL are not built-ins");
	for (int r = 0; r < ROLE_COUNT; r++) {
		if (r != ROLE_SELECT && r != ROLE_STATUS && d.role[r].bg != -1)
			bg_default = 0;
		if (m.role[r].fg != -1 || m.role[r].bg != -1)
			mono_plain = 0;
	}
	ok(bg_default && (d.role[ROLE_SELECT].attrs & THEME_REVERSE) &&
	           (d.role[ROLE_STATUS].bg >= 0 ||
	            (d.role[ROLE_STATUS].attrs & THEME_REVERSE)),
	   "default: terminal background except select (reverse) and status");
	ok(mono_plain && m.role[ROLE_TITLE].attrs == THEME_BOLD &&
	           m.role[ROLE_SELECT].attrs == THEME_REVERSE &&
	           m.role[ROLE_ERROR].attrs == (THEME_BOLD | THEME_UNDERLINE) &&
	           m.role[ROLE_BAD].attrs == THEME_UNDERLINE &&
	           m.role[ROLE_METHOD1].attrs == 0,
	   "mono: no colors, attributes only");
}

/* Squared-gamma luminance, close enough to tell dark from light. */
static double luminance(short c)
{
	int rgb[3];
	double l[3];

	if (c < 16) {
		static const int ansi[16] = {0x000000, 0xcd0000, 0x00cd00, 0xcdcd00,
		                             0x0000ee, 0xcd00cd, 0x00cdcd, 0xe5e5e5,
		                             0x7f7f7f, 0xff0000, 0x00ff00, 0xffff00,
		                             0x5c5cff, 0xff00ff, 0x00ffff, 0xffffff};
		rgb[0] = ansi[c] >> 16, rgb[1] = ansi[c] >> 8 & 255,
		rgb[2] = ansi[c] & 255;
	} else if (c < 232) {
		static const int level[6] = {0, 95, 135, 175, 215, 255};
		rgb[0] = level[(c - 16) / 36], rgb[1] = level[(c - 16) / 6 % 6];
		rgb[2] = level[(c - 16) % 6];
	} else {
		rgb[0] = rgb[1] = rgb[2] = 8 + 10 * (c - 232);
	}
	for (int i = 0; i < 3; i++)
		l[i] = (rgb[i] / 255.0) * (rgb[i] / 255.0);
	return 0.2126 * l[0] + 0.7152 * l[1] + 0.0722 * l[2];
}

static void test_shipped(const char *srcdir)
{
	struct theme t[4], d, m;
	int dark = 1;

	theme_builtin(&d, "default");
	theme_builtin(&m, "mono");
	for (int i = 0; i < 4; i++) {
		char *path = xasprintf("%s/themes/%s.theme", srcdir, shipped[i]);
		char *cause = NULL;
		enum pl_status st = theme_load(&t[i], path, &cause);

		ok(st == PL_OK && strcmp(t[i].name, shipped[i]) == 0, "%s loads", path);
		if (cause != NULL)
			diag("%s", cause);
		free(cause);
		free(path);
	}
	ok(theme_same(&t[0], &d), "default.theme is the built-in default");
	ok(theme_same(&t[3], &m), "mono.theme is the built-in mono");

	for (int r = 0; r < ROLE_COUNT; r++) {
		const struct theme_color *c = &t[1].role[r];

		/* Contrast against white of at least 3:1. */
		if (c->bg == -1 && c->fg >= 0 && 1.05 / (luminance(c->fg) + 0.05) < 3.0) {
			diag("light: %s fg %d too pale", theme_role_name(r), c->fg);
			dark = 0;
		}
	}
	ok(dark, "light.theme: every foreground readable on white");
	ok((t[2].role[ROLE_SELECT].attrs & THEME_REVERSE) &&
	           (t[2].role[ROLE_TITLE].attrs & THEME_BOLD),
	   "high-contrast.theme: select reverse, title bold");
}

static void test_parse(void)
{
	struct theme t, d;
	char *cause = NULL;

	ok(role_is("title = red on blue bold dim reverse underline\n", ROLE_TITLE, 1, 4,
	           THEME_BOLD | THEME_DIM | THEME_REVERSE | THEME_UNDERLINE),
	   "fg on bg and all four attributes");
	ok(role_is("good = 0 on 255\n", ROLE_GOOD, 0, 255, 0) &&
	           role_is("good = 007\n", ROLE_GOOD, 7, -1, 0),
	   "numbers 0, 255 and 007");
	ok(role_is("bad = bright-black\n", ROLE_BAD, 8, -1, 0) &&
	           role_is("bad = bright-white on bright-blue\n", ROLE_BAD, 15, 12, 0) &&
	           role_is("bad = default on default\n", ROLE_BAD, -1, -1, 0),
	   "bright-NAME and default");
	ok(role_is("\n  # comment\n\t method3=green  bold# tail\r\n\n", ROLE_METHOD3, 2,
	           -1, THEME_BOLD),
	   "whitespace, '=' without spaces, comments, CRLF");
	ok(role_is("Status = Yellow On Black BOLD", ROLE_STATUS, 3, 0, THEME_BOLD),
	   "names are case-insensitive; no final newline");
	ok(role_is("", ROLE_TEXT, -1, -1, 0), "empty text is the default theme");

	theme_builtin(&d, "default");
	ok(theme_load_string(&t, "title = red\n", "x/y/mine.theme", &cause) == PL_OK &&
	           t.role[ROLE_TITLE].fg == 1 &&
	           color_same(&t.role[ROLE_DIM], &d.role[ROLE_DIM]) &&
	           strcmp(t.name, "mine") == 0,
	   "unset roles keep the default's; name is the stem");
	free(cause);
}

static void test_errors(void)
{
	char *big = xmalloc(70000), *longline = xmalloc(1100);

	ok(load_says("text = red\nfoo = red\n", "t.theme:2: unknown role 'foo'"),
	   "unknown role");
	ok(load_says("text = purple\n", "t.theme:1: unknown color 'purple'"),
	   "unknown color");
	ok(load_says("text = red on bright-purple\n",
	             "t.theme:1: unknown color 'bright-purple'"),
	   "unknown background color");
	ok(load_says("# c\n\ntext = 300\n", "t.theme:3: color 300 out of range 0..255") &&
	           load_says("text = 99999999999999999999\n",
	                     "t.theme:1: color 99999999999999999999 out of range 0..255"),
	   "color out of range");
	ok(load_says("text = -1\n", "t.theme:1: unknown color '-1'"), "negative number");
	ok(load_says("text red\n", "t.theme:1: expected 'role = color ...'") &&
	           load_says("text =\n", "t.theme:1: expected 'role = color ...'") &&
	           load_says(" = red\n", "t.theme:1: expected 'role = color ...'") &&
	           load_says("text good = red\n",
	                     "t.theme:1: expected 'role = color ...'") &&
	           load_says("text = red = blue\n",
	                     "t.theme:1: expected 'role = color ...'"),
	   "missing or extra parts");
	ok(load_says("text = red blink\n", "t.theme:1: unknown attribute 'blink'"),
	   "unknown attribute");
	ok(load_says("text = red on\n", "t.theme:1: expected a color after 'on'") &&
	           load_says("text = red on blue on black\n",
	                     "t.theme:1: 'on' given twice"),
	   "'on' without a color, twice");
	ok(load_says("text = red\ntitle = bold\n", "t.theme:2: unknown color 'bold'"),
	   "attribute where the color goes");
	ok(load_says("text = red\nTEXT = blue\n", "t.theme:2: role 'TEXT' set twice"),
	   "duplicate role");
	ok(load_says("text = red\x1b[31m\n", "t.theme:1: control character 0x1b"),
	   "control characters");

	memset(longline, 'x', 1025);
	longline[1025] = '\0';
	memcpy(longline, "# ", 2);
	ok(load_says(longline, "t.theme:1: line longer than 1024 bytes"),
	   "line too long");
	longline[1024] = '\0';
	ok(load_says(longline, NULL), "a line of 1024 bytes is fine");

	memset(big, '\n', 65537);
	big[65537] = '\0';
	ok(load_says(big, "t.theme: larger than 65536 bytes, not a theme"),
	   "file too large");
	big[65536] = '\0';
	ok(load_says(big, NULL), "65536 bytes are fine");
	free(big);
	free(longline);
}

static void test_files(void)
{
	struct theme t;
	char *cause = NULL;
	enum pl_status st = theme_load(&t, "/nonexistent/x.theme", &cause);

	ok(st == PL_ERR_NOINPUT && cause != NULL &&
	           strcmp(cause, "/nonexistent/x.theme: cannot open: No such file or "
	                         "directory") == 0,
	   "missing file");
	free(cause);
	cause = NULL;
	st = theme_load(&t, "/", &cause);
	ok(st == PL_ERR_NOINPUT && cause != NULL &&
	           strcmp(cause, "/: cannot open: Is a directory") == 0,
	   "directory");
	free(cause);
}

static void test_fallback(void)
{
	struct theme d;
	int distinct = 1;

	ok(theme_color_fallback(196, 8) == 1 && theme_color_fallback(196, 16) == 9,
	   "196 -> red (1) / bright red (9)");
	ok(theme_color_fallback(21, 8) == 4 && theme_color_fallback(21, 16) == 4,
	   "21 -> blue (4)");
	ok(theme_color_fallback(231, 8) == 7 && theme_color_fallback(231, 16) == 15,
	   "231 -> white (7) / bright white (15)");
	ok(theme_color_fallback(232, 8) == 0 && theme_color_fallback(255, 16) == 7 &&
	           theme_color_fallback(46, 8) == 2,
	   "grays and cube by nearest color");
	ok(theme_color_fallback(9, 8) == 1 && theme_color_fallback(15, 8) == 7 &&
	           theme_color_fallback(9, 16) == 9 && theme_color_fallback(3, 8) == 3,
	   "basic colors: direct, bright -> normal with 8");
	ok(theme_color_fallback(-1, 8) == -1 && theme_color_fallback(200, 256) == 200 &&
	           theme_color_fallback(200, 2) == -1,
	   "default stays; 256 colors unchanged; fewer than 8 -> default");
	theme_builtin(&d, "default");
	for (int i = ROLE_METHOD1; i <= ROLE_METHOD6; i++)
		for (int j = i + 1; j <= ROLE_METHOD6; j++)
			if (theme_color_fallback(d.role[i].fg, 8) ==
			    theme_color_fallback(d.role[j].fg, 8))
				distinct = 0;
	ok(distinct, "default methods stay distinct in 8 colors");
}

/* Random token soup and random bytes: no crash, and every message is clean. */
static void test_fuzz(void)
{
	static const char *const tok[] = {"text",    "=",    "red",   "on",      "bold",
	                                  "#",       "300",  "\n",    " ",       "purple",
	                                  "method7", "\t",   "x",     "bright-", "7",
	                                  "\r",      "\x01", "title", "dim"};
	unsigned long long rng = 42;
	char buf[512];
	int clean = 1;

	for (int iter = 0; iter < 20000; iter++) {
		size_t n = 0;
		char *cause = NULL;
		struct theme t;
		enum pl_status st;

		while (n < 400) {
			rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
			if (rng >> 63 && iter % 2)
				buf[n++] = (char)(rng >> 40 | 1);
			else
				n += (size_t)snprintf(
				        buf + n, sizeof(buf) - n, "%s",
				        tok[(rng >> 33) % (sizeof(tok) / sizeof(*tok))]);
			if ((rng >> 20) % 16 == 0)
				break;
		}
		buf[n] = '\0';
		st = theme_load_string(&t, buf, "f.theme", &cause);
		if (st == PL_OK
		            ? cause != NULL
		            : st != PL_ERR_CONFIG || strncmp(cause, "f.theme:", 8) != 0)
			clean = 0;
		for (const char *p = cause; p != NULL && *p != '\0'; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				clean = 0;
		free(cause);
	}
	ok(clean, "20000 random inputs: status and message well-formed");
}

/* Temporary files for theme_find, removed in reverse order at the end. */
static char *made[32];
static int nmade;

static void make(const char *root, const char *rel, const char *text)
{
	char *path = xasprintf("%s/%s", root, rel);

	if (text == NULL) {
		mkdir(path, 0700);
	} else {
		FILE *f = fopen(path, "w");

		if (f != NULL) {
			fputs(text, f);
			fclose(f);
		}
	}
	made[nmade++] = path;
}

/* theme_find's status and message (want NULL: any message). */
static int find_says(const char *name, enum pl_status want_st, const char *want,
                     struct theme *t)
{
	char *cause = NULL;
	enum pl_status st = theme_find(t, name, &cause);
	int good = st == want_st && (st != PL_OK || cause == NULL) &&
	           (want == NULL || (cause != NULL && strcmp(cause, want) == 0));

	if (!good)
		diag("status %d, cause '%s'", st, cause ? cause : "(none)");
	free(cause);
	return good;
}

static void test_find(void)
{
	char tmpl[] = "/tmp/test_theme.XXXXXX", *root = mkdtemp(tmpl),
	     *cwd = getcwd(NULL, 0);
	char *xdg, *want, *big = xmalloc(70001);
	struct theme t;
	char name[65], *cause = NULL;

	if (root == NULL || cwd == NULL) {
		ok(0, "temporary directory");
		free(cwd);
		free(big);
		return;
	}
	xdg = xasprintf("%s/xdg", root);
	make(root, "xdg", NULL);
	make(root, "xdg/plasticity", NULL);
	make(root, "xdg/plasticity/themes", NULL);
	make(root, "xdg/plasticity/themes/light.theme", "title = 196\n");
	make(root, "xdg/plasticity/themes/default.theme", "text = red\n");
	make(root, "xdg/plasticity/themes/bad.theme", "text = purple\n");
	make(root, "home", NULL);
	make(root, "home/.config", NULL);
	make(root, "home/.config/plasticity", NULL);
	make(root, "home/.config/plasticity/themes", NULL);
	make(root, "home/.config/plasticity/themes/homeonly.theme", "good = 5\n");
	make(root, "themes", NULL);
	make(root, "themes/local.theme", "bad = 6\n");
	memset(big, '\n', 70000);
	big[70000] = '\0';
	make(root, "big.theme", big);
	if (chdir(root) != 0)
		diag("cannot chdir to %s", root);
	setenv("XDG_CONFIG_HOME", xdg, 1);
	setenv("HOME", "/nonexistent", 1);

	want = xasprintf("%s/big.theme", root);
	ok(theme_load(&t, want, &cause) == PL_ERR_CONFIG && cause != NULL &&
	           strncmp(cause, want, strlen(want)) == 0 &&
	           strcmp(cause + strlen(want),
	                  ": larger than 65536 bytes, not a theme") == 0,
	   "file larger than 64 KiB");
	free(cause);
	free(want);

	ok(find_says("light", PL_OK, NULL, &t) && t.role[ROLE_TITLE].fg == 196 &&
	           strcmp(t.name, "light") == 0,
	   "user theme in XDG_CONFIG_HOME overrides a shipped name");
	ok(find_says("default", PL_OK, NULL, &t) && t.role[ROLE_TEXT].fg == -1,
	   "built-in names come first");
	ok(find_says("mono", PL_OK, NULL, &t) && strcmp(t.name, "mono") == 0,
	   "built-in mono");
	ok(find_says("local", PL_OK, NULL, &t) && t.role[ROLE_BAD].fg == 6, "./themes");
	want = xasprintf("%s/plasticity/themes/bad.theme:1: unknown color 'purple'", xdg);
	ok(find_says("bad", PL_ERR_CONFIG, want, &t),
	   "a found theme's error is reported");
	free(want);
	want = xasprintf("theme 'nosuch' not found (looked in built-ins, "
	                 "%s/plasticity/themes/nosuch.theme, " PL_DATADIR
	                 "/themes/nosuch.theme, ./themes/nosuch.theme)",
	                 xdg);
	ok(find_says("nosuch", PL_ERR_NOINPUT, want, &t), "not found lists the places");
	free(want);

	setenv("XDG_CONFIG_HOME", "xdg", 1);
	free(xdg);
	xdg = xasprintf("%s/home", root);
	setenv("HOME", xdg, 1);
	ok(find_says("homeonly", PL_OK, NULL, &t) && t.role[ROLE_GOOD].fg == 5 &&
	           find_says("light", PL_ERR_NOINPUT, NULL, &t),
	   "relative XDG_CONFIG_HOME ignored, ~/.config used");

	ok(find_says("../etc/passwd", PL_ERR_CONFIG,
	             "invalid theme name '../etc/passwd' (1 to 63 letters, digits, '.', "
	             "'_', "
	             "'-')",
	             &t) &&
	           find_says("", PL_ERR_CONFIG,
	                     "invalid theme name '' (1 to 63 letters, digits, '.', '_', "
	                     "'-')",
	                     &t) &&
	           find_says("a\x1b[2J", PL_ERR_CONFIG,
	                     "invalid theme name 'a?[2J' (1 to 63 letters, digits, '.', "
	                     "'_', '-')",
	                     &t),
	   "bad names: path, empty, escape shown as '?'");
	memset(name, 'a', 64);
	name[64] = '\0';
	ok(find_says(name, PL_ERR_CONFIG, NULL, &t), "64-character name rejected");
	name[63] = '\0';
	ok(theme_find(&t, name, NULL) == PL_ERR_NOINPUT, "63-character name allowed");

	if (chdir(cwd) != 0)
		diag("cannot chdir back to %s", cwd);
	while (nmade > 0) {
		char *p = made[--nmade];

		if (unlink(p) != 0)
			rmdir(p);
		free(p);
	}
	rmdir(root);
	free(big);
	free(xdg);
	free(cwd);
}

int main(void)
{
	const char *srcdir = getenv("SRCDIR") ? getenv("SRCDIR") : ".";

	test_builtins();
	test_shipped(srcdir);
	test_parse();
	test_errors();
	test_files();
	test_fallback();
	test_fuzz();
	test_find();
	return tap_done();
}
