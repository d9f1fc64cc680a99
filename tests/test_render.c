/*
 * test_render.c - sparklines and the comparison table against exact
 * strings: every style's levels and code points, clamping, gaps, bucket
 * means when the history outgrows the width, then the table's header,
 * widths, truncation, dropped columns, best marks and stable sorting.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "plasticity/spark.h"
#include "plasticity/table.h"
#include "tap.h"

static char out[1024];

/* Render and compare; on a mismatch show both strings. */
static int spark_is(const double *v, int n, double lo, double hi, enum spark_style style,
                    int width, const char *want, int want_cells, const char *what)
{
	int cells = spark_render(v, n, lo, hi, style, width, out, sizeof out);
	int good = strcmp(out, want) == 0 && cells == want_cells;

	if (!ok(good, "spark %s: %s", spark_style_name(style), what))
		diag("got \"%s\" (%d cells), want \"%s\" (%d cells)", out, cells, want,
		     want_cells);
	return good;
}

static void test_blocks(void)
{
	double v3[] = {0, 0.5, 1}, ramp[8], clamp[] = {-1, 2, -0.1, 1.1};
	double gap[] = {0, NAN, 1}, inf[] = {INFINITY, 1, -INFINITY};

	for (int i = 0; i < 8; i++)
		ramp[i] = (i + 0.5) / 8;
	spark_is(v3, 3, 0, 1, SPARK_BLOCKS, 10, "▁▅█", 3, "lo, middle, hi");
	spark_is(ramp, 8, 0, 1, SPARK_BLOCKS, 8, "▁▂▃▄▅▆▇█", 8, "all eight levels");
	spark_is(clamp, 4, 0, 1, SPARK_BLOCKS, 4, "▁█▁█", 4, "values outside clamp");
	spark_is(gap, 3, 0, 1, SPARK_BLOCKS, 3, "▁ █", 3, "NAN is a blank");
	spark_is(inf, 3, 0, 1, SPARK_BLOCKS, 3, " █ ", 3, "infinities are missing");
	spark_is(v3, 3, 0, 1, SPARK_BLOCKS, 40, "▁▅█", 3, "wider than n: n cells");
	spark_is(v3, 3, -1, 3, SPARK_BLOCKS, 3, "▃▄▅", 3, "other range");
}

static void test_braille(void)
{
	double pair[] = {0, 1}, full[] = {1, 1}, half[] = {0.5};
	double four[] = {0, 0.3, 0.6, 0.9}, gaps[] = {NAN, NAN, NAN, 1, 0, NAN};

	ok(spark_per_cell(SPARK_BRAILLE) == 2 && spark_per_cell(SPARK_BLOCKS) == 1 &&
	           spark_per_cell(SPARK_ASCII) == 1,
	   "per_cell: braille 2, others 1");
	/* U+2840 + right column full (0x80|0x20|0x10|0x08) = U+28F8 */
	spark_is(pair, 2, 0, 1, SPARK_BRAILLE, 5, "\u28f8", 1, "low then high is U+28F8");
	spark_is(full, 2, 0, 1, SPARK_BRAILLE, 5, "\u28ff", 1, "both full is U+28FF");
	spark_is(half, 1, 0, 1, SPARK_BRAILLE, 5, "\u2846", 1,
	         "odd count: left bar only");
	spark_is(four, 4, 0, 1, SPARK_BRAILLE, 5, "\u28e0\u28fe", 2, "levels 1,2 | 3,4");
	spark_is(gaps, 6, 0, 1, SPARK_BRAILLE, 5, " \u28b8\u2840", 3,
	         "both missing is a space, one missing is an empty column");
}

static void test_ascii(void)
{
	double ramp[8], gap[] = {0, NAN, 1};

	for (int i = 0; i < 8; i++)
		ramp[i] = (i + 0.5) / 8;
	spark_is(ramp, 8, 0, 1, SPARK_ASCII, 8, "_.-~=+*#", 8, "eight rising levels");
	spark_is(gap, 3, 0, 1, SPARK_ASCII, 3, "_ #", 3, "NAN is a blank");
}

static void test_buckets(void)
{
	double step[100], ramp[100], uneven[] = {1, 1, 0, 0, 0};
	double mixed[] = {0, NAN, 1, 1, NAN, NAN};

	for (int i = 0; i < 100; i++) {
		step[i] = i < 50 ? 0 : 1;
		ramp[i] = i / 99.0;
	}
	spark_is(step, 100, 0, 1, SPARK_BLOCKS, 20, "▁▁▁▁▁▁▁▁▁▁██████████", 20,
	         "100-value step into 20 cells");
	/* bucket i holds values 10i..10i+9, mean (10i + 4.5) / 99 */
	spark_is(ramp, 100, 0, 1, SPARK_BLOCKS, 10, "▁▂▂▃▄▅▆▇▇█", 10,
	         "100-value ramp: bucket means");
	/* k = 2 over n = 5: buckets [0, 2) and [2, 5), not [0, 3) and [3, 5) */
	spark_is(uneven, 5, 0, 1, SPARK_BLOCKS, 2, "█▁", 2, "bucket bounds are i*n/k");
	spark_is(mixed, 6, 0, 1, SPARK_BLOCKS, 3, "▁█ ", 3,
	         "NAN inside a bucket is skipped, all-NAN bucket is blank");
	spark_is(step, 100, 0, 1, SPARK_BRAILLE, 5, "\u28c0\u28c0\u28f8\u28ff\u28ff", 5,
	         "braille: 100 values into 10 buckets in 5 cells");
	spark_is(step, 100, 0, 1, SPARK_ASCII, 4, "__##", 4, "ascii buckets");
}

static void test_edges(void)
{
	double flat[] = {5, 5}, one[] = {0.7}, v3[] = {0, 0.5, 1};
	char small[7];
	int cells;

	spark_is(flat, 2, 5, 5, SPARK_BLOCKS, 4, "▅▅", 2, "hi == lo draws mid level");
	spark_is(one, 1, 1, 0, SPARK_ASCII, 4, "=", 1, "hi < lo draws mid level");
	spark_is(flat, 1, 5, 5, SPARK_BRAILLE, 4, "\u2846", 1, "braille mid level");
	spark_is(v3, 0, 0, 1, SPARK_BLOCKS, 4, "", 0, "no values");
	spark_is(v3, 3, 0, 1, SPARK_BLOCKS, 0, "", 0, "zero width");
	cells = spark_render(v3, 3, 0, 1, SPARK_BLOCKS, 3, small, sizeof small);
	ok(cells == 2 && strcmp(small, "▁▅") == 0, "short buffer: whole cells only");
	ok(strcmp(spark_style_name(SPARK_BLOCKS), "blocks") == 0 &&
	           strcmp(spark_style_name(SPARK_BRAILLE), "braille") == 0 &&
	           strcmp(spark_style_name(SPARK_ASCII), "ascii") == 0,
	   "style names");
}

/*
 * The fixture: glyph doubles as the row's original position for the
 * stability checks. best: runs/tasks row 0 (first of the ties), latest,
 * first and mean row 1, last, loss (lowest, negative) and samples/s row 2.
 */
#define NROWS 5
static const struct table_row fixture[NROWS] = {
        {"sgd", "0", 0,   3, 30,  0.877, 0.950, 0.861, 0.089, 0.901,
         12000, "",  NAN, 0, NAN, NAN,   0,     "",    0,     NAN},
        {"sam lr=0.01 rho=0.05",
         "1",
         0,
         3,
         30,
         0.912,
         0.954,
         0.903,
         0.051,
         0.925,
         8000,
         "",
         NAN,
         0,
         NAN,
         NAN,
         0,
         "",
         0,
         NAN},
        {"gnp",   "2", 0,   1, 12,  0.890, 0.948, 0.960, -0.012, 0.910,
         15000.4, "",  NAN, 0, NAN, NAN,   0,     "",    0,      NAN},
        {"SGD lr=0.1", "3", 1,   3, 30,  0.850, 0.951, 0.840, 0.111, 0.890,
         NAN,          "",  NAN, 0, NAN, NAN,   0,     "",    0,     NAN},
        {"ewc", "4", 0,   0, 0,   NAN, NAN, NAN, NAN, NAN,
         NAN,   "",  NAN, 0, NAN, NAN, 0,   "",  0,   NAN},
};

static char lines[NROWS + 1][256];

static int line_is(int i, const char *want, const char *what)
{
	if (!ok(strcmp(lines[i], want) == 0, "table: %s", what))
		diag("got  \"%s\"\n# want \"%s\"", lines[i], want);
	return strcmp(lines[i], want) == 0;
}

static void test_table_wide(void)
{
	int x[COL_COUNT],
	        want_x[COL_COUNT] = {2, 38, 43, 50, 58, 66, 74, 82, 90, -1, -1, -1};

	ok(table_render(fixture, NROWS, 100, COL_MEAN, 1, lines, x) == NROWS + 1,
	   "render returns n + 1");
	line_is(0,
	        "  method                              runs  tasks  latest   first    "
	        "last"
	        "  p.loss   vmean  samples/s",
	        "header at 100, sorted by mean descending");
	line_is(1,
	        "0 sgd                                   *3    *30   0.877   0.950   "
	        "0.861"
	        "   0.089   0.901      12000",
	        "plain row, best counts marked");
	line_is(2,
	        "1 sam lr=0.01 rho=0.05                   3     30  *0.912  *0.954   "
	        "0.903"
	        "   0.051  *0.925       8000",
	        "best accuracies marked");
	line_is(3,
	        "2 gnp                                    1     12   0.890   0.948  "
	        "*0.960"
	        " *-0.012   0.910     *15000",
	        "lowest (negative) loss and most samples/s marked");
	line_is(4,
	        "3 (e) SGD lr=0.1                         3     30   0.850   0.951   "
	        "0.840"
	        "   0.111   0.890          -",
	        "earlier row prefixed, NAN is '-'");
	line_is(5,
	        "4 ewc                                    0      0       -       -       "
	        "-"
	        "       -       -          -",
	        "zero counts are not best");
	ok(memcmp(x, want_x, sizeof x) == 0, "cell_x at 100");
}

static void test_table_narrow(void)
{
	int x[COL_COUNT];

	table_render(fixture, NROWS, 80, COL_METHOD, 0, lines, x);
	line_is(0,
	        " ^method          runs  tasks  latest   first    last  p.loss    mean"
	        "  samples/s",
	        "header at 80, sorted by method ascending");
	line_is(2,
	        "1 sam lr=0.01 rh~    3     30  *0.912  *0.954   0.903   0.051  *0.925"
	        "       8000",
	        "long label cut with ~");
	table_render(fixture, NROWS, 74, COL_SPS, 1, lines, x);
	line_is(0,
	        "  method               runs  tasks  latest   first    last  p.loss    "
	        "mean",
	        "at 74 samples/s is dropped");
	ok(x[COL_SPS] == -1 && x[COL_MEAN] == 67, "dropped column reported as -1");
	table_render(fixture, NROWS, 40, COL_LOSS, 0, lines, x);
	line_is(0, "  method            last ^p.loss    mean",
	        "at 40 only last, loss, mean");
	line_is(3, "2 gnp             *0.960 *-0.012   0.910", "row at 40");
	ok(x[COL_RUNS] == -1 && x[COL_TASKS] == -1 && x[COL_LATEST] == -1 &&
	           x[COL_FIRST] == -1 && x[COL_LAST] == 17,
	   "cell_x at 40");
	table_render(fixture, NROWS, 8, COL_LOSS, 0, lines, x);
	line_is(2, "1 sam l~", "at 8 only the method remains");
}

/* A chosen diagnostic as the last column: titled by its name, 4
 * significant digits, never marked best, dropped first when narrow. */
static void test_table_metric(void)
{
	struct table_row rows[2] = {
	        {"sgd", "0",    0,      1, 3,   0.9, 0.9, 0.8, 0.1, 0.85,
	         1000,  "dead", 0.2500, 0, NAN, NAN, 0,   "",  0,   NAN},
	        {"sam", "1",    0,        1, 3,   0.8, 0.9, 0.7, 0.2, 0.80,
	         900,   "dead", 0.123456, 0, NAN, NAN, 0,   "",  0,   NAN},
	};
	int x[COL_COUNT];

	table_render(rows, 2, 110, COL_METHOD, 0, lines, x);
	ok(x[COL_METRIC] > x[COL_SPS] && strstr(lines[0], "        dead") != NULL,
	   "the metric column comes last, titled 'dead': %s", lines[0]);
	ok(strstr(lines[1], " 0.25") != NULL && strstr(lines[2], " 0.1235") != NULL &&
	           strstr(lines[1], "*0.25") == NULL,
	   "its values with 4 significant digits, no best mark");
	table_render(rows, 2, 80, COL_METHOD, 0, lines, x);
	ok(x[COL_METRIC] > 0 && x[COL_SPS] < 0,
	   "at 80 columns it stays; samples/s goes first");
	table_render(rows, 2, 70, COL_METHOD, 0, lines, x);
	ok(x[COL_METRIC] < 0 && x[COL_LOSS] > 0,
	   "narrower, it goes next, before the accuracies");
	rows[0].metric_name[0] = '\0';
	table_render(rows, 2, 110, COL_METHOD, 0, lines, x);
	ok(x[COL_METRIC] < 0, "no name, no column");
}

/* The paired difference to the baseline: "base" on the baseline's row,
 * diff +- half its CI, '*' when significant; no best mark. */
static void test_table_diff(void)
{
	struct table_row rows[3] = {
	        {"sgd", "0", 0,   2, 6,   0.9, 0.9, 0.8, 0.1, 0.85,
	         1000,  "",  NAN, 1, NAN, NAN, 0,   "",  0,   NAN},
	        {"sam", "1", 0,   2, 6,   0.8,    0.9, 0.7, 0.2, 0.80,
	         900,   "",  NAN, 2, 0.1, 0.0213, 1,   "",  0,   NAN},
	        {"gnp", "2", 0,   2, 6,      0.8,  0.9, 0.8, 0.1, 0.85,
	         900,   "",  NAN, 2, -0.004, 0.01, 0,   "",  0,   NAN},
	};
	int x[COL_COUNT], best[COL_COUNT];

	table_render(rows, 3, 130, COL_METHOD, 0, lines, x);
	ok(x[COL_DIFF] > x[COL_SPS] && strstr(lines[0], "p.loss vs base") != NULL,
	   "the difference column is titled 'p.loss vs base'");
	ok(strstr(lines[1], "  base") != NULL &&
	           strstr(lines[2], "+0.100+-0.021*") != NULL &&
	           strstr(lines[3], "-0.004+-0.010 ") != NULL,
	   "base, +0.100+-0.021* (significant), -0.004+-0.010 (not)");
	table_best(rows, 3, best);
	ok(best[COL_DIFF] == -1, "no best mark on differences");
	rows[0].diff_kind = rows[1].diff_kind = rows[2].diff_kind = 0;
	table_render(rows, 3, 130, COL_METHOD, 0, lines, x);
	ok(x[COL_DIFF] < 0, "without a baseline, no column");
}

/* The plasticity gap: "scratch" on the from-scratch row, lowest marked
 * best, a column only when the grid has a from-scratch method. */
static void test_table_gap(void)
{
	struct table_row rows[3] = {
	        {"sgd", "0", 0,   2, 6,   0.9, 0.9, 0.8, 0.1, 0.85,
	         1000,  "",  NAN, 0, NAN, NAN, 0,   "",  2,   0.125},
	        {"sgd redo", "1", 0,   2, 6,   0.8, 0.9, 0.7, 0.2, 0.80,
	         900,        "",  NAN, 0, NAN, NAN, 0,   "",  2,   0.031},
	        {"sgd scratch", "2", 0,   2, 6,   0.8, 0.9, 0.8, 0.1, 0.85,
	         900,           "",  NAN, 0, NAN, NAN, 0,   "",  1,   0.0},
	};
	int x[COL_COUNT], best[COL_COUNT];

	table_render(rows, 3, 130, COL_METHOD, 0, lines, x);
	ok(x[COL_GAP] > x[COL_SPS] && strstr(lines[0], "     gap") != NULL,
	   "the gap column is titled 'gap'");
	ok(strstr(lines[1], " 0.125") != NULL && strstr(lines[2], " *0.031") != NULL &&
	           strstr(lines[3], " scratch") != NULL,
	   "0.125, *0.031 (the smallest gap is best), scratch on its own row");
	table_best(rows, 3, best);
	ok(best[COL_GAP] == 1, "the best gap is the lowest, the scratch row aside");
	rows[0].gap_kind = rows[1].gap_kind = rows[2].gap_kind = 0;
	table_render(rows, 3, 130, COL_METHOD, 0, lines, x);
	ok(x[COL_GAP] < 0, "without a from-scratch method, no column");
}

static void test_table_odd(void)
{
	struct table_row r = {"a\tb\nc", "", 0,   123456, 7,   1,   1, 1,  0, 1,
	                      1e12,      "", NAN, 0,      NAN, NAN, 0, "", 0, NAN};

	table_render(&r, 1, 57, COL_RUNS, 1, lines, NULL);
	line_is(0, "  method    vruns  latest   first    last  p.loss    mean",
	        "sort marker beside a full title");
	line_is(1, "  a?b?c      ####  *1.000  *1.000  *1.000  *0.000  *1.000",
	        "control characters and numbers too wide for their column");
	table_render(&r, 1, 75, COL_SPS, 0, lines, NULL);
	line_is(0,
	        "  method     runs  tasks  latest   first    last  p.loss    mean"
	        " ^samples/s",
	        "all columns at 75, samples/s marker clear of mean");
}

static int utf8_cells(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

static void test_table_fits(void)
{
	struct table_row r = {"", "●", 1,   1, 2,   0.5, 0.5, 0.5, 0, 0.5,
	                      1,  "",  NAN, 0, NAN, NAN, 0,   "",  0, NAN};
	int bad = 0;

	/* A label of four-byte characters is the worst case for bytes per cell. */
	for (int i = 0; i < 23; i++)
		memcpy(r.label + 4 * i, "\U0001F600", 4);
	for (int w = 3; w <= 300 && !bad; w++) {
		int want = w < 176 ? w : 176;

		table_render(&r, 1, w, COL_MEAN, 1, lines, NULL);
		for (int i = 0; i < 2; i++)
			bad |= utf8_cells(lines[i]) != want;
		if (bad)
			diag("width %d: \"%s\"", w, lines[1]);
	}
	ok(!bad, "every line is exactly the width (capped at 176), UTF-8 label");
	table_render(&r, 1, 2, COL_MEAN, 1, lines, NULL);
	ok(lines[0][0] == '\0' && lines[1][0] == '\0', "width 2: empty lines");
}

static void test_best(void)
{
	int best[COL_COUNT], want[COL_COUNT] = {-1, 0, 0, 1, 1, 2, 2, 1, 2, -1, -1, -1};
	struct table_row none[2] = {fixture[4], fixture[4]};

	table_best(fixture, NROWS, best);
	ok(memcmp(best, want, sizeof best) == 0, "best: ties first, loss lowest");
	table_best(none, 2, best);
	ok(best[COL_LOSS] == -1 && best[COL_RUNS] == -1 && best[COL_SPS] == -1,
	   "best: -1 when no row has a value");
}

/* The glyph tags, in order, after sorting the fixture. */
static const char *sorted(enum table_col col, int descending)
{
	static struct table_row rows[NROWS];
	static char tags[NROWS + 1];

	memcpy(rows, fixture, sizeof rows);
	table_sort(rows, NROWS, col, descending);
	for (int i = 0; i < NROWS; i++)
		tags[i] = rows[i].glyph[0];
	tags[NROWS] = '\0';
	return tags;
}

static void sort_is(enum table_col col, int descending, const char *want)
{
	const char *got = sorted(col, descending);

	if (!ok(strcmp(got, want) == 0, "sort by %s %s", table_col_name(col),
	        descending ? "descending" : "ascending"))
		diag("got %s, want %s", got, want);
}

static void test_sort(void)
{
	sort_is(COL_METHOD, 0, "42103"); /* case-insensitive: sgd < SGD lr */
	sort_is(COL_METHOD, 1, "30124");
	sort_is(COL_RUNS, 1, "01324"); /* the three 3s keep their order */
	sort_is(COL_RUNS, 0, "42013");
	sort_is(COL_TASKS, 1, "01324");
	sort_is(COL_TASKS, 0, "42013");
	sort_is(COL_LATEST, 1, "12034"); /* NAN last either way */
	sort_is(COL_LATEST, 0, "30214");
	sort_is(COL_FIRST, 1, "13024");
	sort_is(COL_FIRST, 0, "20314");
	sort_is(COL_LAST, 1, "21034");
	sort_is(COL_LAST, 0, "30124");
	sort_is(COL_LOSS, 0, "21034");
	sort_is(COL_LOSS, 1, "30124");
	sort_is(COL_MEAN, 1, "12034");
	sort_is(COL_MEAN, 0, "30214");
	sort_is(COL_SPS, 1, "20134"); /* two NANs keep their order */
	sort_is(COL_SPS, 0, "10234");
}

int main(void)
{
	test_blocks();
	test_braille();
	test_ascii();
	test_buckets();
	test_edges();
	test_table_wide();
	test_table_narrow();
	test_table_metric();
	test_table_diff();
	test_table_gap();
	test_table_odd();
	test_table_fits();
	test_best();
	test_sort();
	return tap_done();
}
