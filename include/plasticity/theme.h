/*
 * theme.h - color themes: semantic roles mapped to terminal colors.
 *
 * A theme file has one "role = fg [on bg] [bold] [dim] [reverse]
 * [underline]" per line; '#' starts a comment. Colors are default, black,
 * red, green, yellow, blue, magenta, cyan, white, bright-NAME, or a number
 * 0..255. Loading is pure (no curses), so it is unit-tested and fuzzed.
 */
#ifndef PLASTICITY_THEME_H
#define PLASTICITY_THEME_H

#include "plasticity/status.h"

enum theme_role {
	ROLE_TEXT,
	ROLE_DIM,
	ROLE_TITLE,
	ROLE_BORDER,
	ROLE_GOOD,
	ROLE_BAD,
	ROLE_ERROR,
	ROLE_SELECT,
	ROLE_STATUS,
	ROLE_EARLIER,
	ROLE_METHOD1,
	ROLE_METHOD2,
	ROLE_METHOD3,
	ROLE_METHOD4,
	ROLE_METHOD5,
	ROLE_METHOD6,
	ROLE_COUNT
};

#define THEME_BOLD      1u
#define THEME_DIM       2u
#define THEME_REVERSE   4u
#define THEME_UNDERLINE 8u

struct theme_color {
	short fg, bg;   /* -1 = terminal default, else 0..255 */
	unsigned attrs; /* THEME_* */
};

struct theme {
	char name[64];
	struct theme_color role[ROLE_COUNT];
};

/* "text", "dim", "title", ..., "method1".."method6" */
const char *theme_role_name(enum theme_role r);

/* The compiled-in themes: "default" (dark) and "mono" (attributes only). */
int theme_builtin(struct theme *t, const char *name);

/*
 * Parse a theme file over the default theme (roles not named keep the
 * default's). Errors: "FILE:LINE: message" in *cause (PL_ERR_CONFIG), or
 * "FILE: cannot open: ..." (PL_ERR_NOINPUT). name is the file's stem.
 */
enum pl_status theme_load(struct theme *t, const char *path, char **cause);
enum pl_status theme_load_string(struct theme *t, const char *text, const char *origin,
                                 char **cause);

/*
 * Find a theme by name: built-in names first, then NAME.theme in
 * $XDG_CONFIG_HOME/plasticity/themes (default ~/.config), then
 * PL_DATADIR/themes, then ./themes. *cause lists the places looked at.
 */
enum pl_status theme_find(struct theme *t, const char *name, char **cause);

/* The names t cycles through in the UI: default, then every NAME.theme
 * theme_find can reach (sorted, each once), then mono unless a file has
 * that name. Up to max newly allocated strings; returns how many. */
int theme_list(char **out, int max);

/* The nearest of the first ncolors colors (8 or 16) for a 256-color index. */
short theme_color_fallback(short color, int ncolors);

#endif
