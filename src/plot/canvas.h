/*
 * canvas.h - the drawing primitives the figures share (plot/ only): a
 * cairo surface for one file in any format, text, markers, axes with
 * ticks, and the legend. Sizes are in points (1/72 inch) for every format;
 * a PNG is rendered at PLOT_PNG_SCALE pixels per point.
 */
#ifndef PLASTICITY_PLOT_CANVAS_H
#define PLASTICITY_PLOT_CANVAS_H

#include <cairo.h>

#include "plasticity/plot.h"
#include "plasticity/util.h"

/* Type sizes, chosen to stay readable at half size in print and on a projector. */
#define FONT_TITLE 12.0
#define FONT_LABEL 10.0
#define FONT_TICK  9.0
#define FONT_NOTE  8.5

struct canvas {
	cairo_surface_t *surface;
	cairo_t *cr;
	enum plot_format format;
	double w, h;
	struct atomic_file af;
};

/* A white w x h figure that canvas_close writes to path. */
enum pl_status canvas_open(struct canvas *cv, enum plot_format f, double w, double h,
                           const char *path, const char *title, char **cause);
/* Finish, write and rename into place; on any error nothing is left at path. */
enum pl_status canvas_close(struct canvas *cv, char **cause);

void canvas_rgb(struct canvas *cv, const double rgb[3], double alpha);
void canvas_gray(struct canvas *cv, double level);
/* Text whose box's point (ax, ay) in 0..1 (0, 0: left and top) is at (x, y). */
void canvas_text(struct canvas *cv, double x, double y, double size, int bold, double ax,
                 double ay, const char *s);
/* The same, turned a quarter counter-clockwise (a y-axis label). */
void canvas_text_up(struct canvas *cv, double x, double y, double size, const char *s);
double canvas_text_width(struct canvas *cv, double size, int bold, const char *s);
/* s word-wrapped to width; draws when draw, returns the lines it takes. */
int canvas_text_wrap(struct canvas *cv, double x, double y, double size, double width,
                     const char *s, int draw);
/* Method m's marker (its colour and shape) of radius r at (x, y). */
void canvas_marker(struct canvas *cv, int m, double x, double y, double r);

/* A range [*lo, *hi] holding [lo, hi], ending on a tick; *step the ticks' spacing. */
void axes_nice(double lo, double hi, int ticks, double *min, double *max, double *step);
/*
 * Grid lines, spines, ticks and their labels, and the axis labels (either
 * may be NULL). ystep 0: no y tick labels (a panel beside another). xint:
 * x ticks at whole numbers only, starting at 1.
 */
void axes_draw(struct canvas *cv, const struct plot_axes *a, double xstep, double ystep,
               int xint, int ylabels, const char *xlabel, const char *ylabel);

/* The legend below a figure: one entry per method (marker, line, label),
 * flowing left to right in rows of width w. Returns its height. */
double legend_draw(struct canvas *cv, const struct preset *p, double x, double y,
                   double w, int draw);

#endif
