/*
 * table.c - the comparison table of methods, sorted, marked and rendered
 * into plain lines.
 *
 * A line is the row's glyph (assumed one cell wide), a space, the method
 * cell padded to the method column width, then for each shown numeric
 * column one separator space and the value right-aligned in the column's
 * fixed width. At 80 columns, sorted by loss ascending:
 *
 *   "  method          runs  tasks  latest   first    last   ^loss    mean  samples/s"
 *   "● sam lr=0.01       *3    *30  *0.912  *0.954  *0.903  *0.051  *0.925       8000"
 *   "● (e) sgd lr=0.1     3     30   0.877   0.950   0.861   0.089   0.901     *12000"
 *   "● gnp                1     12       -       -       -       -       -          -"
 *
 * The best value of a column is prefixed with '*' and may spill into the
 * separator, as may the header's sort marker, which sits just left of the
 * sorted column's title ("vloss", "^method"). Rows from an earlier
 * configuration keep their method glyph (it ties them to the method's
 * color) and get "(e) " in front of their label, so they read apart from
 * the current rows even on a monochrome screen.
 *
 * The method column takes the width the numbers leave, at least 10 cells;
 * when even that does not fit, whole numeric columns are dropped, least
 * telling first (samples/s, tasks, runs, latest, first, last, mean, loss),
 * and reported as cell_x[c] = -1. Widths above TABLE_MAX_WIDTH render as
 * TABLE_MAX_WIDTH, which keeps every line within its 256 bytes even for a
 * label of four-byte characters.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "plasticity/table.h"

#define LINE_SIZE       256
#define METHOD_MIN      10
#define TABLE_MAX_WIDTH 176
#define EARLIER_PREFIX  "(e) "

static const struct {
	const char *name;
	/* Numeric columns only; the method column takes the rest. samples/s
	 * gets one more than its title so a sort marker never touches "mean". */
	int width;
} cols[COL_COUNT] = {
        [COL_METHOD] = {"method", 0},        [COL_RUNS] = {"runs", 4},
        [COL_TASKS] = {"tasks", 6},          [COL_LATEST] = {"latest", 7},
        [COL_FIRST] = {"first", 7},          [COL_LAST] = {"last", 7},
        [COL_LOSS] = {"p.loss", 7},          [COL_MEAN] = {"mean", 7},
        [COL_SPS] = {"samples/s", 10},       [COL_METRIC] = {"metric", 12},
        [COL_DIFF] = {"p.loss vs base", 15}, [COL_GAP] = {"gap", 7},
};

/* Plasticity loss and the mean summarize a run best, so they go last. */
static const enum table_col drop_order[] = {
        COL_SPS,   COL_METRIC, COL_TASKS, COL_RUNS, COL_DIFF, COL_LATEST,
        COL_FIRST, COL_LAST,   COL_GAP,   COL_MEAN, COL_LOSS,
};

const char *table_col_name(enum table_col c)
{
	if ((unsigned)c >= COL_COUNT)
		return "?";
	return cols[c].name;
}

/* A numeric column's value; NAN when not known (counts always are). */
static double row_value(const struct table_row *r, enum table_col c)
{
	switch (c) {
	case COL_RUNS:
		return r->runs;
	case COL_TASKS:
		return r->tasks;
	case COL_LATEST:
		return r->latest;
	case COL_FIRST:
		return r->first;
	case COL_LAST:
		return r->last;
	case COL_LOSS:
		return r->loss;
	case COL_MEAN:
		return r->mean;
	case COL_SPS:
		return r->sps;
	case COL_METRIC:
		return r->metric;
	case COL_DIFF:
		return r->diff_kind == 2 ? r->diff : NAN;
	case COL_GAP:
		return r->gap_kind == 2 ? r->gap : NAN;
	default:
		return NAN;
	}
}

/* ASCII case folding by hand: the order must not depend on the locale. */
static int label_cmp(const char *a, const char *b)
{
	for (;; a++, b++) {
		int x = (unsigned char)*a, y = (unsigned char)*b;

		x += x >= 'A' && x <= 'Z' ? 'a' - 'A' : 0;
		y += y >= 'A' && y <= 'Z' ? 'a' - 'A' : 0;
		if (x != y || x == 0)
			return x - y;
	}
}

/* > 0 when a must come after b; NAN goes last whatever the direction. */
static int row_cmp(const struct table_row *a, const struct table_row *b,
                   enum table_col col, int descending)
{
	double x, y;
	int d;

	if (col == COL_METHOD) {
		d = label_cmp(a->label, b->label);
	} else {
		x = row_value(a, col);
		y = row_value(b, col);
		if (isnan(x) || isnan(y))
			return isnan(x) - isnan(y);
		d = (x > y) - (x < y);
	}
	return descending ? -d : d;
}

/*
 * Insertion sort: stable, needs no allocation, and a table holds a few
 * dozen rows at most, so its quadratic worst case never shows.
 */
void table_sort(struct table_row *rows, int n, enum table_col col, int descending)
{
	for (int i = 1; i < n; i++) {
		struct table_row key = rows[i];
		int j = i;

		while (j > 0 && row_cmp(&rows[j - 1], &key, col, descending) > 0) {
			rows[j] = rows[j - 1];
			j--;
		}
		rows[j] = key;
	}
}

/*
 * A count of zero is treated as no value: before any run finishes, a '*'
 * on the first row's "0" would claim a winner where there is none.
 */
void table_best(const struct table_row *rows, int n, int best[COL_COUNT])
{
	best[COL_METHOD] = -1;
	for (int c = COL_METHOD + 1; c < COL_COUNT; c++) {
		double top = NAN;

		best[c] = -1;
		/* A diagnostic has no better direction to mark. */
		for (int i = 0; c != COL_METRIC && c != COL_DIFF && i < n; i++) {
			double v = row_value(&rows[i], c);

			if (isnan(v) || ((c == COL_RUNS || c == COL_TASKS) && v <= 0))
				continue;
			if (best[c] < 0 ||
			    (c == COL_LOSS || c == COL_GAP ? v < top : v > top)) {
				best[c] = i;
				top = v;
			}
		}
	}
}

/* Which columns are shown, where they start and how wide the method is. */
struct layout {
	int x[COL_COUNT]; /* first cell of each column's field, -1 if dropped */
	int method_w;
};

static void layout_compute(struct layout *lay, int width, int metric, int diff, int gap)
{
	int used = 2 + METHOD_MIN, x;
	int shown[COL_COUNT];

	for (int c = COL_METHOD + 1; c < COL_COUNT; c++) {
		shown[c] = (c != COL_METRIC || metric) && (c != COL_DIFF || diff) &&
		           (c != COL_GAP || gap);
		used += shown[c] ? 1 + cols[c].width : 0;
	}
	for (size_t d = 0; used > width && d < sizeof drop_order / sizeof *drop_order;
	     d++) {
		used -= shown[drop_order[d]] ? 1 + cols[drop_order[d]].width : 0;
		shown[drop_order[d]] = 0;
	}
	lay->method_w = width - used + METHOD_MIN;
	lay->x[COL_METHOD] = 2;
	x = 2 + lay->method_w;
	for (int c = COL_METHOD + 1; c < COL_COUNT; c++) {
		lay->x[c] = shown[c] ? x + 1 : -1;
		x += shown[c] ? 1 + cols[c].width : 0;
	}
}

/* A line being written; bytes past the buffer are dropped, not overrun. */
struct line {
	char *buf;
	size_t len;
};

static void put(struct line *l, const char *s, size_t n)
{
	if (n > LINE_SIZE - 1 - l->len)
		n = LINE_SIZE - 1 - l->len;
	memcpy(l->buf + l->len, s, n);
	l->len += n;
	l->buf[l->len] = '\0';
}

static void put_spaces(struct line *l, int n)
{
	for (; n > 0; n--)
		put(l, " ", 1);
}

/* Bytes of s[0..n) that are not UTF-8 continuation bytes: one cell each. */
static int utf8_cells(const char *s, size_t n)
{
	int cells = 0;

	for (size_t i = 0; i < n; i++)
		cells += ((unsigned char)s[i] & 0xc0) != 0x80;
	return cells;
}

/*
 * s[0..n) left-aligned in exactly w cells, cut with "~" when it is longer.
 * Control characters become '?' so a label cannot break the grid.
 */
static void put_fitted(struct line *l, const char *s, size_t n, int w)
{
	int cells = utf8_cells(s, n), keep = cells <= w ? cells : w - 1, seen = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char b = (unsigned char)s[i];

		if ((b & 0xc0) != 0x80 && ++seen > keep)
			break;
		put(l, b < 0x20 || b == 0x7f ? "?" : &s[i], 1);
	}
	if (cells > w)
		put(l, "~", 1);
	put_spaces(l, w - (cells > w ? w : cells));
}

/* text right-aligned in the column with its separator, '#'s if too long. */
static void put_right(struct line *l, const char *text, int w)
{
	int len = (int)strlen(text);

	if (len > w + 1) {
		put(l, " ", 1);
		for (int i = 0; i < w; i++)
			put(l, "#", 1);
		return;
	}
	put_spaces(l, w + 1 - len);
	put(l, text, (size_t)len);
}

static void format_value(char *buf, size_t sz, const struct table_row *r,
                         enum table_col c, int is_best)
{
	const char *star = is_best ? "*" : "";
	double v = row_value(r, c);

	if (c == COL_RUNS || c == COL_TASKS)
		snprintf(buf, sz, "%s%d", star, c == COL_RUNS ? r->runs : r->tasks);
	else if (c == COL_DIFF && r->diff_kind == 1)
		snprintf(buf, sz, "base");
	else if (c == COL_GAP && r->gap_kind == 1)
		snprintf(buf, sz, "scratch");
	else if (isnan(v))
		snprintf(buf, sz, "-");
	else if (c == COL_SPS)
		snprintf(buf, sz, "%s%.0f", star, v);
	else if (c == COL_METRIC)
		snprintf(buf, sz, "%.4g", v);
	else if (c == COL_DIFF && isnan(r->diff_half))
		snprintf(buf, sz, "%+.3f%s", v, r->diff_sig ? "*" : " ");
	else if (c == COL_DIFF)
		snprintf(buf, sz, "%+.3f+-%.3f%s", v, r->diff_half,
		         r->diff_sig ? "*" : " ");
	else
		snprintf(buf, sz, "%s%.3f", star, v);
}

static void render_header(struct line *l, const struct layout *lay, enum table_col sort,
                          int descending, const char *metric)
{
	const char *mark = descending ? "v" : "^";
	char text[32];

	put(l, " ", 1);
	put(l, sort == COL_METHOD ? mark : " ", 1);
	put_fitted(l, cols[COL_METHOD].name, strlen(cols[COL_METHOD].name),
	           lay->method_w);
	for (int c = COL_METHOD + 1; c < COL_COUNT; c++) {
		if (lay->x[c] < 0)
			continue;
		snprintf(text, sizeof text, "%s%.*s",
		         sort == (enum table_col)c ? mark : "", cols[c].width,
		         c == COL_METRIC ? metric : cols[c].name);
		put_right(l, text, cols[c].width);
	}
}

static void render_row(struct line *l, const struct layout *lay,
                       const struct table_row *r, const int best[COL_COUNT], int index)
{
	char label[sizeof EARLIER_PREFIX + sizeof r->label], text[48];
	size_t glen = strnlen(r->glyph, sizeof r->glyph - 1);
	int len;

	if (glen == 0)
		put(l, " ", 1);
	else
		put_fitted(l, r->glyph, glen, 1);
	put(l, " ", 1);
	len = snprintf(label, sizeof label, "%s%.*s", r->earlier ? EARLIER_PREFIX : "",
	               (int)sizeof r->label - 1, r->label);
	/* Too long: what distinguishes the method, so no value is cut in half. */
	if (len > lay->method_w && r->brief[0] != '\0')
		len = snprintf(label, sizeof label, "%s%.*s",
		               r->earlier ? EARLIER_PREFIX : "", (int)sizeof r->brief - 1,
		               r->brief);
	put_fitted(l, label, (size_t)len, lay->method_w);
	for (int c = COL_METHOD + 1; c < COL_COUNT; c++) {
		if (lay->x[c] < 0)
			continue;
		format_value(text, sizeof text, r, c, best[c] == index);
		put_right(l, text, cols[c].width);
	}
}

int table_render(const struct table_row *rows, int n, int width, enum table_col sort,
                 int descending, char (*lines)[256], int cell_x[COL_COUNT])
{
	struct layout lay;
	int best[COL_COUNT];

	if (width > TABLE_MAX_WIDTH)
		width = TABLE_MAX_WIDTH;
	/* Below glyph, space and one label cell nothing useful fits. */
	if (width < 3) {
		for (int i = 0; i <= n; i++)
			lines[i][0] = '\0';
		for (int c = 0; cell_x && c < COL_COUNT; c++)
			cell_x[c] = -1;
		return n + 1;
	}
	{
		int diff = 0, gap = 0;

		for (int i = 0; i < n; i++) {
			diff |= rows[i].diff_kind != 0;
			gap |= rows[i].gap_kind != 0;
		}
		layout_compute(&lay, width, n > 0 && rows[0].metric_name[0] != '\0', diff,
		               gap);
	}
	table_best(rows, n, best);
	for (int i = 0; i <= n; i++) {
		struct line l = {lines[i], 0};

		l.buf[0] = '\0';
		if (i == 0)
			render_header(&l, &lay, sort, descending,
			              n > 0 ? rows[0].metric_name : "");
		else
			render_row(&l, &lay, &rows[i - 1], best, i - 1);
	}
	if (cell_x)
		memcpy(cell_x, lay.x, sizeof lay.x);
	return n + 1;
}
