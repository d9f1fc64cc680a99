/*
 * theme.c - theme files: semantic roles mapped to terminal colors.
 *
 * A theme is a table of ROLE_COUNT colors. Two are compiled in ("default"
 * for dark backgrounds, "mono" with attributes only); files are parsed over
 * the default, so a file names only the roles it changes. The parser works
 * line by line on a private copy and stops at the first error, which names
 * the file, the line and the offending word. Nothing here touches curses:
 * the UI turns a theme into color pairs, using theme_color_fallback when
 * the terminal has fewer than 256 colors.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "plasticity/theme.h"
#include "plasticity/util.h"

#ifndef PL_DATADIR
#define PL_DATADIR "/usr/local/share/plasticity"
#endif

/* A theme is a screenful of text; anything bigger is surely the wrong file. */
#define THEME_FILE_MAX (64 * 1024)
#define THEME_LINE_MAX 1024
#define THEME_NAME_MAX 63

static const char *const role_names[ROLE_COUNT] = {
        "text",    "dim",     "title",   "border",  "good",    "bad",
        "error",   "select",  "status",  "earlier", "method1", "method2",
        "method3", "method4", "method5", "method6",
};

/* Indices 0..7; "bright-" adds 8. */
static const char *const color_names[8] = {
        "black", "red", "green", "yellow", "blue", "magenta", "cyan", "white",
};

static const struct {
	const char *name;
	unsigned bit;
} attr_names[] = {
        {"bold", THEME_BOLD},
        {"dim", THEME_DIM},
        {"reverse", THEME_REVERSE},
        {"underline", THEME_UNDERLINE},
};

/*
 * Dark backgrounds. Methods are Okabe-Ito approximations chosen so that
 * they stay distinct when reduced to 8 colors (yellow, white, green, cyan,
 * red, magenta); good/bad are blue/vermillion, never a red/green pair.
 * Grays are >= 243 so the 8-color fallback makes them white, not black.
 * themes/default.theme must say the same (the test checks it).
 */
static const struct theme_color default_roles[ROLE_COUNT] = {
        [ROLE_TEXT] = {-1, -1, 0},
        [ROLE_DIM] = {246, -1, 0},
        [ROLE_TITLE] = {-1, -1, THEME_BOLD},
        [ROLE_BORDER] = {243, -1, 0},
        [ROLE_GOOD] = {39, -1, 0},
        [ROLE_BAD] = {202, -1, 0},
        [ROLE_ERROR] = {203, -1, THEME_BOLD},
        [ROLE_SELECT] = {-1, -1, THEME_REVERSE},
        [ROLE_STATUS] = {0, 117, 0},
        [ROLE_EARLIER] = {244, -1, 0},
        [ROLE_METHOD1] = {214, -1, 0},
        [ROLE_METHOD2] = {117, -1, 0},
        [ROLE_METHOD3] = {35, -1, 0},
        [ROLE_METHOD4] = {33, -1, 0},
        [ROLE_METHOD5] = {202, -1, 0},
        [ROLE_METHOD6] = {169, -1, 0},
};

/* NO_COLOR and monochrome terminals: attributes only. */
static const struct theme_color mono_roles[ROLE_COUNT] = {
        [ROLE_TEXT] = {-1, -1, 0},
        [ROLE_DIM] = {-1, -1, THEME_DIM},
        [ROLE_TITLE] = {-1, -1, THEME_BOLD},
        [ROLE_BORDER] = {-1, -1, 0},
        [ROLE_GOOD] = {-1, -1, THEME_BOLD},
        [ROLE_BAD] = {-1, -1, THEME_UNDERLINE},
        [ROLE_ERROR] = {-1, -1, THEME_BOLD | THEME_UNDERLINE},
        [ROLE_SELECT] = {-1, -1, THEME_REVERSE},
        [ROLE_STATUS] = {-1, -1, THEME_REVERSE},
        [ROLE_EARLIER] = {-1, -1, THEME_DIM},
        [ROLE_METHOD1] = {-1, -1, 0},
        [ROLE_METHOD2] = {-1, -1, 0},
        [ROLE_METHOD3] = {-1, -1, 0},
        [ROLE_METHOD4] = {-1, -1, 0},
        [ROLE_METHOD5] = {-1, -1, 0},
        [ROLE_METHOD6] = {-1, -1, 0},
};

static const struct {
	const char *name;
	const struct theme_color *roles;
} builtins[] = {
        {"default", default_roles},
        {"mono", mono_roles},
};

const char *theme_role_name(enum theme_role r)
{
	return (unsigned)r < ROLE_COUNT ? role_names[r] : NULL;
}

int theme_builtin(struct theme *t, const char *name)
{
	for (size_t i = 0; name != NULL && i < sizeof(builtins) / sizeof(*builtins);
	     i++) {
		if (strcmp(name, builtins[i].name) == 0) {
			snprintf(t->name, sizeof(t->name), "%s", name);
			memcpy(t->role, builtins[i].roles, sizeof(t->role));
			return 1;
		}
	}
	return 0;
}

/* --- parsing ------------------------------------------------------------ */

/* Where the parser is, for messages. */
struct ctx {
	const char *origin;
	int line;
	char **cause;
};

__attribute__((format(printf, 2, 3))) static enum pl_status ctx_fail(struct ctx *c,
                                                                     const char *fmt, ...)
{
	char msg[THEME_LINE_MAX + 64]; /* the longest word and some words around it */
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return pl_fail(c->cause, PL_ERR_CONFIG, "%s:%d: %s", c->origin, c->line, msg);
}

/* The next whitespace-separated word of *s (NUL-terminated in place), or NULL. */
static char *word_next(char **s)
{
	char *w = *s, *end;

	while (isspace((unsigned char)*w))
		w++;
	if (*w == '\0')
		return NULL;
	for (end = w; *end != '\0' && !isspace((unsigned char)*end); end++)
		;
	*s = *end != '\0' ? end + 1 : end;
	*end = '\0';
	return w;
}

static enum pl_status color_parse(struct ctx *c, const char *w, short *out)
{
	const char *base = w;
	int bright = strncasecmp(w, "bright-", 7) == 0;

	if (w[0] >= '0' && w[0] <= '9' && strspn(w, "0123456789") == strlen(w)) {
		size_t digits = strlen(w) - strspn(w, "0");
		long v = digits > 3 ? 256 : strtol(w, NULL, 10);

		if (v > 255)
			return ctx_fail(c, "color %s out of range 0..255", w);
		*out = (short)v;
		return PL_OK;
	}
	if (!bright && strcasecmp(w, "default") == 0) {
		*out = -1;
		return PL_OK;
	}
	if (bright)
		base += 7;
	for (short i = 0; i < 8; i++) {
		if (strcasecmp(base, color_names[i]) == 0) {
			*out = (short)(bright ? i + 8 : i);
			return PL_OK;
		}
	}
	return ctx_fail(c, "unknown color '%s'", w);
}

static enum pl_status attr_parse(struct ctx *c, const char *w, unsigned *attrs)
{
	for (size_t i = 0; i < sizeof(attr_names) / sizeof(*attr_names); i++) {
		if (strcasecmp(w, attr_names[i].name) == 0) {
			*attrs |= attr_names[i].bit;
			return PL_OK;
		}
	}
	return ctx_fail(c, "unknown attribute '%s'", w);
}

/* "fg [on bg] [attr...]": the right-hand side of one line. */
static enum pl_status value_parse(struct ctx *c, char *s, struct theme_color *out)
{
	struct theme_color tc = {.fg = -1, .bg = -1, .attrs = 0};
	char *w = word_next(&s);
	enum pl_status st;
	int have_bg = 0;

	if (w == NULL)
		return ctx_fail(c, "expected 'role = color ...'");
	if ((st = color_parse(c, w, &tc.fg)) != PL_OK)
		return st;
	while ((w = word_next(&s)) != NULL) {
		if (strcasecmp(w, "on") != 0) {
			st = attr_parse(c, w, &tc.attrs);
		} else if (have_bg) {
			st = ctx_fail(c, "'on' given twice");
		} else if ((w = word_next(&s)) == NULL) {
			st = ctx_fail(c, "expected a color after 'on'");
		} else {
			st = color_parse(c, w, &tc.bg);
			have_bg = 1;
		}
		if (st != PL_OK)
			return st;
	}
	*out = tc;
	return PL_OK;
}

/* One line, already cut at its end and its comment. *seen has a bit per role set. */
static enum pl_status line_parse(struct ctx *c, char *line, struct theme *t,
                                 unsigned *seen)
{
	char *eq = strchr(line, '='), *left = line, *role, *rest;
	int r;

	for (rest = line; isspace((unsigned char)*rest); rest++)
		;
	if (*rest == '\0')
		return PL_OK;
	if (eq == NULL || strchr(eq + 1, '=') != NULL)
		return ctx_fail(c, "expected 'role = color ...'");
	*eq = '\0';
	rest = eq + 1;
	role = word_next(&left);
	if (role == NULL || word_next(&left) != NULL)
		return ctx_fail(c, "expected 'role = color ...'");
	for (r = 0; r < ROLE_COUNT && strcasecmp(role, role_names[r]) != 0; r++)
		;
	if (r == ROLE_COUNT)
		return ctx_fail(c, "unknown role '%s'", role);
	if (*seen & (1u << r))
		return ctx_fail(c, "role '%s' set twice", role);
	*seen |= 1u << r;
	return value_parse(c, rest, &t->role[r]);
}

/* The stem of a path: "/a/b/light.theme" -> "light". */
static void name_from_path(char *name, size_t size, const char *path)
{
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	size_t n = strlen(base);

	if (n > 6 && strcmp(base + n - 6, ".theme") == 0)
		n -= 6;
	snprintf(name, size, "%.*s", (int)n, base);
}

static enum pl_status load_len(struct theme *t, const char *text, size_t len,
                               const char *origin, char **cause)
{
	struct ctx c = {.origin = origin, .line = 0, .cause = cause};
	enum pl_status st = PL_OK;
	struct theme tmp;
	char buf[THEME_LINE_MAX + 1];
	unsigned seen = 0;
	size_t pos = 0;

	theme_builtin(&tmp, "default");
	if (len > THEME_FILE_MAX) {
		st = PL_ERR_CONFIG;
		pl_fail(cause, st, "%s: larger than %d bytes, not a theme", origin,
		        THEME_FILE_MAX);
		goto out;
	}
	while (pos < len && st == PL_OK) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = (nl != NULL ? (size_t)(nl - text) : len) - pos;
		char *hash;

		c.line++;
		if (n > THEME_LINE_MAX) {
			st = ctx_fail(&c, "line longer than %d bytes", THEME_LINE_MAX);
			break;
		}
		memcpy(buf, text + pos, n);
		buf[n] = '\0';
		pos += n + 1;
		/* Words go into messages: keep NULs and escapes out of them. */
		for (size_t i = 0; i < n && st == PL_OK; i++) {
			unsigned char ch = (unsigned char)buf[i];

			if ((ch < 0x20 && !isspace(ch)) || ch == 0x7f)
				st = ctx_fail(&c, "control character 0x%02x", ch);
		}
		if ((hash = strchr(buf, '#')) != NULL)
			*hash = '\0';
		if (st == PL_OK)
			st = line_parse(&c, buf, &tmp, &seen);
	}
out:
	if (st == PL_OK) {
		*t = tmp;
		name_from_path(t->name, sizeof(t->name), origin);
	} else {
		theme_builtin(t, "default");
	}
	return st;
}

enum pl_status theme_load_string(struct theme *t, const char *text, const char *origin,
                                 char **cause)
{
	return load_len(t, text, strlen(text), origin, cause);
}

enum pl_status theme_load(struct theme *t, const char *path, char **cause)
{
	FILE *f = fopen(path, "r");
	enum pl_status st = PL_ERR_NOINPUT;
	char *buf = NULL;
	struct stat sb;
	size_t len;

	if (f == NULL || fstat(fileno(f), &sb) != 0) {
		pl_fail(cause, st, "%s: cannot open: %s", path, strerror(errno));
		goto out;
	}
	if (S_ISDIR(sb.st_mode)) {
		pl_fail(cause, st, "%s: cannot open: %s", path, strerror(EISDIR));
		goto out;
	}
	/* One byte more than allowed, so load_len can tell a file that is too big. */
	buf = xmalloc(THEME_FILE_MAX + 1);
	len = fread(buf, 1, THEME_FILE_MAX + 1, f);
	if (ferror(f))
		st = pl_fail(cause, PL_ERR_IO, "%s: cannot read: %s", path,
		             strerror(errno));
	else
		st = load_len(t, buf, len, path, cause);
out:
	if (st != PL_OK)
		theme_builtin(t, "default");
	if (f != NULL)
		fclose(f);
	free(buf);
	return st;
}

/* --- finding ------------------------------------------------------------ */

/* A file name without a path: [A-Za-z0-9._-]{1,63}. */
static enum pl_status name_check(const char *name, char **cause)
{
	size_t n = strlen(name);
	enum pl_status st;
	char *shown;

	if (n >= 1 && n <= THEME_NAME_MAX &&
	    strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	                 "0123456789._-") == n)
		return PL_OK;
	shown = xstrdup(name);
	for (char *p = shown; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	st = pl_fail(cause, PL_ERR_CONFIG,
	             "invalid theme name '%s' (1 to %d letters, digits, '.', '_', '-')",
	             shown, THEME_NAME_MAX);
	free(shown);
	return st;
}

/* The theme folders in lookup order, listed once; dirs[0] is NULL without a home. */
static void theme_dirs(char *dirs[3])
{
	dirs[0] = pl_config_dir("themes");
	dirs[1] = xstrdup(PL_DATADIR "/themes");
	dirs[2] = xstrdup("./themes");
}

enum pl_status theme_find(struct theme *t, const char *name, char **cause)
{
	char *looked = xstrdup("built-ins");
	char *dirs[3];
	enum pl_status st = name_check(name, cause);
	struct stat sb;

	theme_dirs(dirs);
	if (st != PL_OK || theme_builtin(t, name))
		goto out;
	st = PL_ERR_NOINPUT;
	for (int i = 0; i < 3; i++) {
		char *path, *more;

		if (dirs[i] == NULL)
			continue;
		path = xasprintf("%s/%s.theme", dirs[i], name);
		if (stat(path, &sb) == 0) {
			st = theme_load(t, path, cause);
			free(path);
			goto out;
		}
		more = xasprintf("%s, %s", looked, path);
		free(looked);
		free(path);
		looked = more;
	}
	pl_fail(cause, st, "theme '%s' not found (looked in %s)", name, looked);
out:
	if (st != PL_OK)
		theme_builtin(t, "default");
	for (int i = 0; i < 3; i++)
		free(dirs[i]);
	free(looked);
	return st;
}

/* Add the NAME of every NAME.theme in dir (but default) to out, once. */
static int list_from(const char *dir, char **out, int n, int max)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	while (d != NULL && (e = readdir(d)) != NULL && n < max) {
		size_t len = strlen(e->d_name);
		int dup = 0;

		if (len < 7 || strcmp(e->d_name + len - 6, ".theme") != 0 ||
		    strcmp(e->d_name, "default.theme") == 0)
			continue;
		for (int i = 0; i < n; i++)
			dup |= strncmp(out[i], e->d_name, len - 6) == 0 &&
			       out[i][len - 6] == 0;
		if (!dup)
			out[n++] = xasprintf("%.*s", (int)len - 6, e->d_name);
	}
	if (d != NULL)
		closedir(d);
	return n;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int theme_list(char **out, int max)
{
	char *dirs[3];
	int n = 0, mono = 0;

	theme_dirs(dirs);
	out[n++] = xstrdup("default");
	for (int i = 0; i < 3; i++) {
		if (dirs[i] != NULL)
			n = list_from(dirs[i], out, n, max);
		free(dirs[i]);
	}
	qsort(out + 1, (size_t)n - 1, sizeof(char *), cmp_str);
	for (int i = 0; i < n; i++)
		mono |= strcmp(out[i], "mono") == 0;
	if (!mono && n < max)
		out[n++] = xstrdup("mono");
	return n;
}

/* --- fewer colors ------------------------------------------------------- */

/* The standard xterm palette. */
static void color_rgb(int c, int rgb[3])
{
	static const unsigned char ansi[16][3] = {
	        {0, 0, 0},       {205, 0, 0},   {0, 205, 0},   {205, 205, 0},
	        {0, 0, 238},     {205, 0, 205}, {0, 205, 205}, {229, 229, 229},
	        {127, 127, 127}, {255, 0, 0},   {0, 255, 0},   {255, 255, 0},
	        {92, 92, 255},   {255, 0, 255}, {0, 255, 255}, {255, 255, 255},
	};
	static const unsigned char level[6] = {0, 95, 135, 175, 215, 255};

	if (c < 16) {
		for (int i = 0; i < 3; i++)
			rgb[i] = ansi[c][i];
	} else if (c < 232) {
		rgb[0] = level[(c - 16) / 36];
		rgb[1] = level[(c - 16) / 6 % 6];
		rgb[2] = level[(c - 16) % 6];
	} else {
		rgb[0] = rgb[1] = rgb[2] = 8 + 10 * (c - 232);
	}
}

short theme_color_fallback(short color, int ncolors)
{
	int n = ncolors >= 16 ? 16 : 8, want[3], best = 0;
	long best_d = -1;

	if (color < 0 || color > 255 || ncolors >= 256)
		return color;
	if (ncolors < 8)
		return -1;
	if (color < 16)
		return color < n ? color : (short)(color - 8);
	color_rgb(color, want);
	for (int i = 0; i < n; i++) {
		int rgb[3];
		long d = 0;

		color_rgb(i, rgb);
		for (int k = 0; k < 3; k++)
			d += (long)(rgb[k] - want[k]) * (rgb[k] - want[k]);
		if (best_d < 0 || d < best_d) {
			best_d = d;
			best = i;
		}
	}
	return (short)best;
}
