/*
 * keys.c - what a key does: one mode variable picks who hears it (ncdu),
 * and in the views one table maps keys to actions (htop's Action.c). A
 * key no row takes goes to the current view's own key function.
 */
#include <stdio.h>

#include "plasticity/util.h"
#include "ui/ui_priv.h"

/* An action returns 1 when the UI should quit. */
typedef int (*action_fn)(struct ui *u);

struct key_action {
	int key;
	action_fn fn;
};

static int act_quit(struct ui *u)
{
	if (!ui_live(u))
		return 1;
	u->mode = MODE_QUIT;
	return 0;
}

static int act_help(struct ui *u)
{
	u->mode = MODE_HELP;
	return 0;
}

static int act_start(struct ui *u)
{
	ui_start_run(u);
	return 0;
}

static int act_pause(struct ui *u)
{
	ui_toggle_pause(u);
	return 0;
}

static int act_stop(struct ui *u)
{
	ui_stop_run(u);
	return 0;
}

/* e: edit the form; on an opened run, a copy of its preset to train anew (a fork). */
static int act_edit(struct ui *u)
{
	if (u->st == ST_VIEW)
		ui_fork(u);
	u->mode = MODE_FORM;
	return 0;
}

static int act_save(struct ui *u)
{
	snprintf(u->dlg_buf, sizeof(u->dlg_buf), "%s", u->p.name);
	u->mode = MODE_SAVE;
	return 0;
}

static int act_open(struct ui *u)
{
	if (u->st != ST_VIEW && !ui_live(u))
		dialog_open(u);
	return 0;
}

static int act_export(struct ui *u)
{
	ui_export(u);
	return 0;
}

static int act_figures(struct ui *u)
{
	ui_figures(u);
	return 0;
}

static int act_theme(struct ui *u)
{
	if (u->nthemes)
		use_theme(u, u->themes[(u->theme_idx + 1) % u->nthemes]);
	set_msg(u, 0, "theme %s", u->theme.name);
	return 0;
}

static int act_graph(struct ui *u)
{
	u->spark =
	        u->utf8 ? (enum spark_style)((u->spark + 1) % SPARK_STYLES) : SPARK_ASCII;
	set_msg(u, 0, "sparklines: %s", spark_style_name(u->spark));
	return 0;
}

/* y: the main view's sparklines on one shared axis, or each on its own. */
static int act_axis(struct ui *u)
{
	u->spark_per_row = !u->spark_per_row;
	set_msg(u, 0, "sparklines: %s",
	        u->spark_per_row ? "each row on its own scale" : "one shared axis");
	return 0;
}

/* v: the next view (main, diagnostics, ...). */
static int act_view(struct ui *u)
{
	u->view = (u->view + 1) % ui_nviews;
	set_msg(u, 0, "view: %s (v: next)", ui_views[u->view].name);
	return 0;
}

static int act_clear(struct ui *u)
{
	ui_clear_earlier(u);
	return 0;
}

/* Every function key has a letter twin: F1 ?, F2 s, F3 o, F10 q. */
static const struct key_action view_keys[] = {
        {'q', act_quit},        {KEY_F(10), act_quit}, {'?', act_help},
        {'h', act_help},        {KEY_F(1), act_help},  {'\n', act_start},
        {KEY_ENTER, act_start}, {'r', act_start},      {'p', act_pause},
        {' ', act_pause},       {'x', act_stop},       {'e', act_edit},
        {'\t', act_edit},       {'s', act_save},       {KEY_F(2), act_save},
        {'o', act_open},        {KEY_F(3), act_open},  {'w', act_export},
        {'t', act_theme},       {'g', act_graph},      {'c', act_clear},
        {'v', act_view},        {'f', act_figures},    {'y', act_axis},
};

static int view_key(struct ui *u, int ch)
{
	for (size_t i = 0; i < sizeof(view_keys) / sizeof(view_keys[0]); i++)
		if (view_keys[i].key == ch)
			return view_keys[i].fn(u);
	return ui_views[u->view].key(u, ch);
}

int ui_key(struct ui *u, int ch)
{
	u->dirty = 1;
	if (ch == KEY_RESIZE)
		return 0;
	switch (u->mode) {
	case MODE_VIEW:
		return view_key(u, ch);
	case MODE_FORM:
	case MODE_EDIT:
		/* Help and quit reach through the form; everything else is the form's. */
		if (u->mode == MODE_FORM && (ch == KEY_F(1) || ch == KEY_F(10)))
			return view_key(u, ch);
		form_key(u, ch);
		return 0;
	default:
		return dialog_key(u, ch);
	}
}
