/*
 * plot.h - figures of a run's results, drawn with cairo: PNG, SVG or PDF
 * from the same drawing code.
 *
 * The figures (plot_all writes those the results can fill):
 *   accuracy      test accuracy after each task, per method the mean over
 *                 runs with its 95% band (Student t over runs), the
 *                 paper's figure
 *   comparison    per method the paired difference in plasticity loss to
 *                 its baseline with the 95% CI and Holm-corrected p (compare.h)
 *   matrix-N      method N's accuracy matrix, mean over runs (when recorded),
 *                 with backward transfer and forgetting (results.h)
 *   diag-NAME     each diagnostic column measured, one panel per layer for
 *                 the per-layer ones, mean and 95% band over runs
 * Methods keep the UI's order, colours (the Okabe-Ito palette the default
 * theme approximates) and markers (filled circle, square, triangle,
 * diamond, star, plus, then open circle and square). Files are written to
 * a temporary name and renamed. Any thread; not reentrant on one results.
 */
#ifndef PLASTICITY_PLOT_H
#define PLASTICITY_PLOT_H

#include "plasticity/results.h"
#include "plasticity/status.h"

enum plot_format { PLOT_PNG, PLOT_SVG, PLOT_PDF };

/* "png", "svg" or "pdf"; returns 0, or -1 for anything else. */
int plot_format_parse(const char *s, enum plot_format *f);
const char *plot_format_ext(enum plot_format f);

/* PNG pixels per point (a 520 pt wide figure is 1300 pixels, 180 dpi). */
#define PLOT_PNG_SCALE 2.5

/* Where one panel's data land, in points from the figure's top left. */
struct plot_axes {
	double x, y, w, h;             /* the plot area */
	double xmin, xmax, ymin, ymax; /* data at its left, right, bottom, top */
};

/* A data point's position on the figure, in points. */
double plot_axes_x(const struct plot_axes *a, double v);
double plot_axes_y(const struct plot_axes *a, double v);

/* The method colour of method m as 0..1 RGB (m modulo the palette). */
void plot_method_rgb(int m, double rgb[3]);
/* The heatmap's colour for v in 0..1 (viridis, van der Walt & Smith). */
void plot_colormap(double v, double rgb[3]);

struct plot_opts {
	enum plot_format format;
	/* Files are PREFIX NAME.EXT when prefix ends in '/' (a folder, created),
	 * else PREFIX-NAME.EXT. */
	const char *prefix;
	int no_pairs; /* the runs do not pair (rundir_merge): no comparison figure */
	/* Called with each file written (may be NULL). */
	void (*wrote)(void *ctx, const char *path);
	void *ctx;
};

/*
 * Write every figure res can fill; *count (may be NULL) gets how many.
 * Nothing to draw (no finished task) is PL_ERR_DATA; a file that cannot be
 * created PL_ERR_CANTCREAT, a write error PL_ERR_IO, naming the file.
 */
enum pl_status plot_all(const struct results *res, const struct plot_opts *o, int *count,
                        char **cause);

/*
 * One figure to path, for tests: the accuracy figure (its one panel's axes
 * in *axes), or method m's accuracy matrix (axes: x is task j, y the task i
 * trained, 1 at the top; cells span j +- 0.5; *range gets the colour
 * scale's data at 0 and 1).
 */
enum pl_status plot_accuracy(const struct results *res, enum plot_format f,
                             const char *path, struct plot_axes *axes, char **cause);
enum pl_status plot_matrix(const struct results *res, int m, enum plot_format f,
                           const char *path, struct plot_axes *axes, double range[2],
                           char **cause);

/*
 * Release what cairo and fontconfig keep for the whole process (font
 * caches), so a leak checker sees nothing left at exit. Call once, at exit,
 * when no figure is being drawn.
 */
void plot_cleanup(void);

#endif
