/*
 * view_heat.c - the accuracy-matrix heatmap: for one method at a time,
 * row i is "after training task i", column j is task j (j <= i), the mean
 * test accuracy over the runs that got there, shaded from the theme's bad
 * colour (low) to its good colour (high) with a character ramp that reads
 * without colour too. Large grids are averaged into blocks. Beside it,
 * backward transfer and forgetting (results.h; formulas in the help and man
 * page).
 * [ and ] (or Left and Right) change the method; it updates as tasks finish.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plasticity/util.h"
#include "ui/ui_priv.h"

static void draw_matrix(struct ui *u, const struct results *res, int m, int T)
{
	static const char ramp[] = " .:-=+*#%@";
	int h = LINES - 8, w = COLS - 32, rows = T < h ? T : h, cols = T < w ? T : w;

	for (int y = 0; y < rows; y++) {
		int i0 = y * T / rows, i1 = (y + 1) * T / rows;

		for (int x = 0; x < cols; x++) {
			int j0 = x * T / cols, j1 = (x + 1) * T / cols, n = 0;
			double sum = 0.0, v;
			char ch[2] = " ";

			for (int i = i0; i < i1; i++)
				for (int j = j0; j < j1 && j <= i; j++) {
					double c = results_matrix_cell(res, m, i, j);

					if (isfinite(c)) {
						sum += c;
						n++;
					}
				}
			if (n == 0)
				continue;
			v = sum / n;
			ch[0] = ramp[(int)fmin(9.0, fmax(0.0, v * 10.0))];
			put(2 + y, 1 + x, 1,
			    role_attr(u, v >= 0.5 ? ROLE_GOOD : ROLE_BAD), ch);
		}
	}
}

void view_heat_draw(struct ui *u)
{
	const struct results *res = ui_results(u);
	char line[256], label[128];
	int m, T;

	bar(u, 0, ROLE_TITLE,
	    " accuracy matrix: row = after task i, column = task j   [ ]: method  v: "
	    "view");
	if (res == NULL || !res->p->accuracy_matrix) {
		put(2, 1, COLS - 2, role_attr(u, ROLE_DIM),
		    res == NULL ? "No results yet: r starts training."
		                : "This run did not record the matrix: set "
		                  "accuracy_matrix: true.");
		ui_draw_footer(u, LINES - 4);
		return;
	}
	m = u->heat_method % res->nmethods;
	T = results_matrix_rows(res, m);
	method_label(&res->p->methods[m], label, sizeof(label));
	snprintf(line, sizeof(line), "%s %s", glyph(u, m), label);
	put(1, 1, COLS - 2, role_attr(u, (enum theme_role)(ROLE_METHOD1 + m % 6)), line);
	if (T > 0) {
		double bwt, forget;

		draw_matrix(u, res, m, T);
		results_transfer(res, m, T, &bwt, &forget);
		snprintf(line, sizeof(line), "tasks %d", T);
		put(3, COLS - 29, 28, role_attr(u, ROLE_TEXT), line);
		snprintf(line, sizeof(line), "BWT        %+.4f", bwt);
		put(4, COLS - 29, 28, role_attr(u, ROLE_TEXT), line);
		snprintf(line, sizeof(line), "forgetting %+.4f", forget);
		put(5, COLS - 29, 28, role_attr(u, ROLE_TEXT), line);
		put(7, COLS - 29, 28, role_attr(u, ROLE_DIM),
		    "shade: acc 0 ' .:-=+*#%@' 1");
	}
	ui_draw_footer(u, LINES - 4);
}

int view_heat_key(struct ui *u, int ch)
{
	if (ch == ']' || ch == KEY_RIGHT)
		u->heat_method++;
	else if ((ch == '[' || ch == KEY_LEFT) && u->heat_method > 0)
		u->heat_method--;
	return 0;
}
