/*
 * dialog.c - the overlays: the help box and the quit, save and open
 * prompts. Each is a mode (ui_priv.h); its keys come here from keys.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plasticity/lookup.h"
#include "plasticity/util.h"
#include "ui/ui_priv.h"

/* The current view's help: the main view's keys, or the diagnostics'. */
static void draw_help(struct ui *u)
{
	const char *name = ui_views[u->view].name;
	const char *const *lines = strcmp(name, "diagnostics") == 0 ? diag_help_lines
	                           : strcmp(name, "accuracy matrix") == 0
	                                   ? heat_help_lines
	                                   : help_lines;
	int n = 0, fit = LINES - 2;

	while (lines[n] != NULL)
		n++;
	/* Longer than the screen: Down and Up scroll, and the last row says so. */
	if (n > fit && u->help_scroll > n - (fit - 1))
		u->help_scroll = n - (fit - 1); /* fit - 1 lines and the footer */
	if (n > fit) {
		const char *shown[256];
		int k = 0;

		for (int i = u->help_scroll; i < n && k < fit - 1 && k < 255; i++)
			shown[k++] = lines[i];
		shown[k++] = "  -- Down/Up: scroll, any other key closes --";
		draw_box(u, LINES, COLS - 2, shown, k, k - 1);
		return;
	}
	draw_box(u, n + 2, COLS - 2, lines, n, -1);
}

/* The quit prompt says where the finished tasks are, as q will after closing. */
static void draw_quit(struct ui *u)
{
	char where[300];
	const char *l[] = {"Training is running. Stop it and quit? (y/n)", where};

	snprintf(where, sizeof(where), "Finished tasks are kept in %s",
	         u->sess ? session_dir(u->sess) : "the run directory");
	draw_box(u, 4, COLS - 4 < 76 ? COLS - 4 : 76, l, 2, -1);
}

void dialog_draw(struct ui *u)
{
	if (u->mode == MODE_HELP) {
		draw_help(u);
	} else if (u->mode == MODE_QUIT) {
		draw_quit(u);
	} else if (u->mode == MODE_SAVE) {
		char line[300];
		const char *l[] = {"Save preset as (a name, or a path with '/'):", line,
		                   "Enter: save   Esc: cancel"};

		snprintf(line, sizeof(line), "> %s_", u->dlg_buf);
		draw_box(u, 5, 60, l, 3, -1);
	} else if (u->mode == MODE_OPEN) {
		const char *l[MAX_LIST + 1];
		int n = 0;

		l[n++] = "Open preset (Enter: open, Esc: cancel):";
		for (int i = 0; i < u->nlist && n < LINES - 4; i++)
			l[n++] = u->list[i];
		draw_box(u, n + 2, 64, l, n, u->list_cur + 1);
	}
}

/* A name goes to the user's preset folder (and becomes the preset's name). */
static char *save_path(struct ui *u, enum pl_status *st, char **cause)
{
	char *dir, *path, *arg;

	if (strchr(u->dlg_buf, '/') != NULL)
		return xstrdup(u->dlg_buf);
	dir = lookup_user_presets();
	path = xasprintf("%s/%s%s", dir, u->dlg_buf,
	                 strstr(u->dlg_buf, ".yaml") ? "" : ".yaml");
	*st = mkdir_p(dir, cause);
	if (*st == PL_OK) {
		arg = xasprintf("name=%s", u->dlg_buf);
		if (strstr(arg, ".yaml"))
			*strstr(arg, ".yaml") = '\0';
		*st = preset_override(&u->p, arg, cause);
		free(arg);
	}
	free(dir);
	return path;
}

static void save_preset(struct ui *u)
{
	char *path, *cause = NULL, *slash;
	struct atomic_file af;
	enum pl_status st = PL_OK;

	if (u->dlg_buf[0] == '\0')
		return;
	path = save_path(u, &st, &cause);
	slash = strrchr(path, '/');
	if (st == PL_OK && slash != NULL && slash != path) {
		*slash = '\0';
		st = mkdir_p(path, &cause);
		*slash = '/';
	}
	if (st == PL_OK)
		st = atomic_open(&af, path, &cause);
	if (st == PL_OK) {
		preset_write(&u->p, af.fp);
		st = atomic_commit(&af, &cause);
	}
	if (st == PL_OK)
		set_msg(u, 0, "saved %s", path);
	else
		set_msg(u, 1, "%s", cause);
	free(cause);
	free(path);
}

void dialog_open(struct ui *u)
{
	for (int i = 0; i < u->nlist; i++)
		free(u->list[i]);
	u->nlist = lookup_preset_list(u->list, MAX_LIST);
	u->list_cur = 0;
	u->mode = u->nlist ? MODE_OPEN : MODE_VIEW;
	if (!u->nlist)
		set_msg(u, 1, "no presets found");
}

static void open_preset(struct ui *u, const char *path)
{
	struct preset p;
	char *cause = NULL;

	if (preset_load(&p, path, &cause) != PL_OK) {
		set_msg(u, 1, "%s", cause);
		free(cause);
		return;
	}
	preset_free(&u->p);
	u->p = p;
	u->cursor = 0;
	rebuild_fields(u);
	set_msg(u, 0, "opened %s", path);
}

static void save_key(struct ui *u, int ch)
{
	size_t len = strlen(u->dlg_buf);

	if (ch == '\n' || ch == KEY_ENTER) {
		u->mode = MODE_VIEW;
		save_preset(u);
	} else if ((ch == KEY_BACKSPACE || ch == 127 || ch == 8) && len > 0) {
		u->dlg_buf[len - 1] = '\0';
	} else if (ch >= 32 && ch < 127 && len + 1 < sizeof(u->dlg_buf)) {
		u->dlg_buf[len] = (char)ch;
		u->dlg_buf[len + 1] = '\0';
	}
}

static void open_key(struct ui *u, int ch)
{
	if (ch == KEY_UP || ch == 'k')
		u->list_cur = u->list_cur > 0 ? u->list_cur - 1 : 0;
	else if (ch == KEY_DOWN || ch == 'j')
		u->list_cur = u->list_cur + 1 < u->nlist ? u->list_cur + 1 : u->list_cur;
	else if (ch == '\n' || ch == KEY_ENTER) {
		u->mode = MODE_VIEW;
		open_preset(u, u->list[u->list_cur]);
	}
}

/* Keys while an overlay is up; returns 1 when the UI should quit. */
int dialog_key(struct ui *u, int ch)
{
	enum ui_mode m = u->mode;

	if (m == MODE_HELP && (ch == KEY_DOWN || ch == 'j' || ch == KEY_NPAGE)) {
		u->help_scroll += ch == KEY_NPAGE ? LINES / 2 : 1;
		return 0;
	}
	if (m == MODE_HELP && (ch == KEY_UP || ch == 'k' || ch == KEY_PPAGE)) {
		u->help_scroll -= ch == KEY_PPAGE ? LINES / 2 : 1;
		u->help_scroll = u->help_scroll < 0 ? 0 : u->help_scroll;
		return 0;
	}
	if (m == MODE_HELP || m == MODE_QUIT || ch == 27) {
		u->help_scroll = 0;
		u->mode = MODE_VIEW;
		return m == MODE_QUIT && (ch == 'y' || ch == 'Y');
	}
	if (m == MODE_SAVE)
		save_key(u, ch);
	else if (m == MODE_OPEN)
		open_key(u, ch);
	return 0;
}
