/*
 * screen.c - the terminal: curses setup, theme colors as attributes, and the
 * drawing primitives every view uses (clipped text, bars, boxes).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plasticity/util.h"
#include "ui/ui_priv.h"

static void apply_theme(struct ui *u);

void screen_start(struct ui *u)
{
	initscr();
	cbreak();
	noecho();
	keypad(stdscr, TRUE);
	curs_set(0);
	set_escdelay(25);
	u->color = has_colors() && !u->o.no_color;
	if (u->color) {
		start_color();
		use_default_colors();
	}
	apply_theme(u);
}

void screen_end(void)
{
	endwin();
}

const char *glyph(const struct ui *u, int method)
{
	static const char *const utf8[] = {"●", "■", "▲", "◆", "★", "✚", "○", "□"};
	static const char *const ascii[] = {"o", "#", "^", "*", "+", "x", "@", "%"};

	return (u->utf8 ? utf8 : ascii)[method % 8];
}

void set_msg(struct ui *u, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(u->msg, sizeof(u->msg), fmt, ap);
	va_end(ap);
	u->msg_err = err;
	u->dirty = 1;
	/* An error must outlive the screen: it is printed again after endwin. */
	if (err && u->nerrors < MAX_ERRORS)
		u->errors[u->nerrors++] = xstrdup(u->msg);
}

/* Bytes beyond one per displayed character (UTF-8 continuation bytes). */
int utf8_extra(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) == 0x80;
	return n;
}

attr_t role_attr(const struct ui *u, enum theme_role r)
{
	const struct theme_color *c = &u->theme.role[r];
	attr_t a = A_NORMAL;

	if (c->attrs & THEME_BOLD)
		a |= A_BOLD;
	if (c->attrs & THEME_DIM)
		a |= A_DIM;
	if (c->attrs & THEME_REVERSE)
		a |= A_REVERSE;
	if (c->attrs & THEME_UNDERLINE)
		a |= A_UNDERLINE;
	if (u->color)
		a |= COLOR_PAIR(r + 1);
	return a;
}

static void apply_theme(struct ui *u)
{
	if (!u->color)
		return;
	for (int r = 0; r < ROLE_COUNT; r++) {
		short fg = u->theme.role[r].fg, bg = u->theme.role[r].bg;

		if (COLORS < 256) {
			fg = fg < 0 ? fg
			            : theme_color_fallback(fg, COLORS >= 16 ? 16 : 8);
			bg = bg < 0 ? bg
			            : theme_color_fallback(bg, COLORS >= 16 ? 16 : 8);
		}
		init_pair((short)(r + 1), fg, bg);
	}
}

int use_theme(struct ui *u, const char *name)
{
	char *cause = NULL;
	struct theme t;

	if (theme_find(&t, name, &cause) != PL_OK) {
		set_msg(u, 1, "%s", cause);
		free(cause);
		return -1;
	}
	u->theme = t;
	for (int i = 0; i < u->nthemes; i++)
		if (strcmp(u->themes[i], u->theme.name) == 0)
			u->theme_idx = i;
	apply_theme(u);
	return 0;
}

/* Bytes of s that fit in w columns (one column per UTF-8 character). */
static int fit(const char *s, int w)
{
	int cols = 0, i = 0;

	for (; s[i] != '\0'; i++) {
		if (((unsigned char)s[i] & 0xC0) == 0x80)
			continue;
		if (cols == w)
			break;
		cols++;
	}
	return i;
}

/* Write s at (y, x), clipped to w columns and to the screen's edge. */
void put(int y, int x, int w, attr_t a, const char *s)
{
	if (w > COLS - x)
		w = COLS - x;
	if (w <= 0 || y < 0 || y >= LINES)
		return;
	attrset(a);
	mvaddnstr(y, x, s, fit(s, w));
	attrset(A_NORMAL);
}

/* Fill a row with spaces in the role's attribute, then write s. */
void bar(struct ui *u, int y, enum theme_role r, const char *s)
{
	attr_t a = role_attr(u, r);

	attrset(a);
	mvhline(y, 0, ' ', COLS);
	mvaddnstr(y, 0, s, fit(s, COLS));
	attrset(A_NORMAL);
}

void draw_box(struct ui *u, int h, int w, const char *const *lines, int nlines,
              int highlight)
{
	int y0 = (LINES - h) / 2, x0 = (COLS - w) / 2;

	attrset(role_attr(u, ROLE_TEXT));
	for (int y = 0; y < h; y++)
		mvhline(y0 + y, x0, ' ', w);
	attrset(role_attr(u, ROLE_BORDER));
	mvhline(y0, x0, ACS_HLINE, w);
	mvhline(y0 + h - 1, x0, ACS_HLINE, w);
	for (int i = 0; i < nlines && i < h - 2; i++)
		put(y0 + 1 + i, x0 + 1, w - 2,
		    role_attr(u, i == highlight ? ROLE_SELECT : ROLE_TEXT), lines[i]);
}
