/*
 * views.c - the table of views (tig's view_ops). A new view is its own file
 * with a draw and a key function, and one line here.
 */
#include "ui/ui_priv.h"

void view_main_draw(struct ui *u);
int view_main_key(struct ui *u, int ch);
void view_diag_draw(struct ui *u);
int view_diag_key(struct ui *u, int ch);
void view_heat_draw(struct ui *u);
int view_heat_key(struct ui *u, int ch);

const struct view_ops ui_views[] = {
        {"main", view_main_draw, view_main_key},
        {"diagnostics", view_diag_draw, view_diag_key},
        {"accuracy matrix", view_heat_draw, view_heat_key},
};
const int ui_nviews = sizeof(ui_views) / sizeof(ui_views[0]);
