/*
 * canvas.c - cairo surfaces for PNG, SVG and PDF behind one drawing API,
 * and the pieces every figure draws: text, markers, axes, the legend.
 *
 * SVG and PDF stream into the atomic file as they are drawn; a PNG is drawn
 * on an image surface and encoded by cairo when the canvas closes. Text
 * goes through cairo's own font selection (fontconfig's "sans-serif").
 */
#include <cairo-pdf.h>
#include <cairo-svg.h>
#include <fontconfig/fontconfig.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plasticity/preset_io.h"
#include "plot/canvas.h"

/* Okabe & Ito (2008), "Color Universal Design": the palette the default
 * theme's method colours approximate, in the same order. */
static const double palette[6][3] = {
        {0xE6 / 255.0, 0x9F / 255.0, 0x00 / 255.0}, /* orange */
        {0x56 / 255.0, 0xB4 / 255.0, 0xE9 / 255.0}, /* sky blue */
        {0x00 / 255.0, 0x9E / 255.0, 0x73 / 255.0}, /* bluish green */
        {0x00 / 255.0, 0x72 / 255.0, 0xB2 / 255.0}, /* blue */
        {0xD5 / 255.0, 0x5E / 255.0, 0x00 / 255.0}, /* vermillion */
        {0xCC / 255.0, 0x79 / 255.0, 0xA7 / 255.0}, /* reddish purple */
};

void plot_cleanup(void)
{
	cairo_debug_reset_static_data();
	FcFini();
}

void plot_method_rgb(int m, double rgb[3])
{
	memcpy(rgb, palette[(m % 6 + 6) % 6], 3 * sizeof(double));
}

/* viridis (matplotlib's default map, van der Walt & Smith 2015) sampled at
 * ninths; perceptually uniform and readable in grey. */
void plot_colormap(double v, double rgb[3])
{
	static const double map[10][3] = {
	        {0.267, 0.005, 0.329}, {0.283, 0.141, 0.458}, {0.254, 0.265, 0.530},
	        {0.207, 0.372, 0.553}, {0.164, 0.471, 0.558}, {0.128, 0.567, 0.551},
	        {0.135, 0.659, 0.518}, {0.267, 0.749, 0.441}, {0.478, 0.821, 0.318},
	        {0.993, 0.906, 0.144},
	};
	double x = fmin(1.0, fmax(0.0, isfinite(v) ? v : 0.0)) * 9.0;
	int k = x >= 9.0 ? 8 : (int)x;

	for (int c = 0; c < 3; c++)
		rgb[c] = map[k][c] + (x - k) * (map[k + 1][c] - map[k][c]);
}

static cairo_status_t write_stream(void *closure, const unsigned char *data,
                                   unsigned int len)
{
	FILE *fp = closure;

	return fwrite(data, 1, len, fp) == len ? CAIRO_STATUS_SUCCESS
	                                       : CAIRO_STATUS_WRITE_ERROR;
}

enum pl_status canvas_open(struct canvas *cv, enum plot_format f, double w, double h,
                           const char *path, const char *title, char **cause)
{
	enum pl_status st = atomic_open(&cv->af, path, cause);

	if (st != PL_OK)
		return st;
	cv->format = f;
	cv->w = w;
	cv->h = h;
	if (f == PLOT_SVG) {
		cv->surface = cairo_svg_surface_create_for_stream(write_stream, cv->af.fp,
		                                                  w, h);
	} else if (f == PLOT_PDF) {
		cv->surface = cairo_pdf_surface_create_for_stream(write_stream, cv->af.fp,
		                                                  w, h);
		cairo_pdf_surface_set_metadata(cv->surface, CAIRO_PDF_METADATA_TITLE,
		                               title);
		cairo_pdf_surface_set_metadata(cv->surface, CAIRO_PDF_METADATA_CREATOR,
		                               "plasticity");
	} else {
		cv->surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24,
		                                         (int)ceil(w * PLOT_PNG_SCALE),
		                                         (int)ceil(h * PLOT_PNG_SCALE));
	}
	cv->cr = cairo_create(cv->surface);
	if (f == PLOT_PNG)
		cairo_scale(cv->cr, PLOT_PNG_SCALE, PLOT_PNG_SCALE);
	cairo_set_source_rgb(cv->cr, 1, 1, 1);
	cairo_paint(cv->cr);
	cairo_select_font_face(cv->cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL,
	                       CAIRO_FONT_WEIGHT_NORMAL);
	cairo_set_line_join(cv->cr, CAIRO_LINE_JOIN_ROUND);
	return PL_OK;
}

enum pl_status canvas_close(struct canvas *cv, char **cause)
{
	cairo_status_t cs = cairo_status(cv->cr);
	char *path = xstrdup(cv->af.path);
	enum pl_status st;

	cairo_destroy(cv->cr);
	if (cs == CAIRO_STATUS_SUCCESS && cv->format == PLOT_PNG)
		cs = cairo_surface_write_to_png_stream(cv->surface, write_stream,
		                                       cv->af.fp);
	cairo_surface_finish(cv->surface);
	if (cs == CAIRO_STATUS_SUCCESS)
		cs = cairo_surface_status(cv->surface);
	cairo_surface_destroy(cv->surface);
	if (cs != CAIRO_STATUS_SUCCESS) {
		atomic_abort(&cv->af);
		st = pl_fail(cause, PL_ERR_IO, "%s: cannot draw: %s", path,
		             cairo_status_to_string(cs));
	} else {
		st = atomic_commit(&cv->af, cause);
	}
	free(path);
	return st;
}

void canvas_rgb(struct canvas *cv, const double rgb[3], double alpha)
{
	cairo_set_source_rgba(cv->cr, rgb[0], rgb[1], rgb[2], alpha);
}

void canvas_gray(struct canvas *cv, double level)
{
	cairo_set_source_rgb(cv->cr, level, level, level);
}

static void font(struct canvas *cv, double size, int bold)
{
	cairo_select_font_face(cv->cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL,
	                       bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
	cairo_set_font_size(cv->cr, size);
}

double canvas_text_width(struct canvas *cv, double size, int bold, const char *s)
{
	cairo_text_extents_t te;

	font(cv, size, bold);
	cairo_text_extents(cv->cr, s, &te);
	return te.x_advance;
}

/* The box of a line of text is its advance wide and its cap height
 * (0.72 em for sans fonts) tall, so labels of one size line up. */
void canvas_text(struct canvas *cv, double x, double y, double size, int bold, double ax,
                 double ay, const char *s)
{
	double w = canvas_text_width(cv, size, bold, s), cap = 0.72 * size;

	cairo_move_to(cv->cr, x - ax * w, y + (1.0 - ay) * cap);
	cairo_show_text(cv->cr, s);
}

void canvas_text_up(struct canvas *cv, double x, double y, double size, const char *s)
{
	cairo_save(cv->cr);
	cairo_translate(cv->cr, x, y);
	cairo_rotate(cv->cr, -M_PI / 2);
	canvas_text(cv, 0, 0, size, 0, 0.5, 0.5, s);
	cairo_restore(cv->cr);
}

int canvas_text_wrap(struct canvas *cv, double x, double y, double size, double width,
                     const char *s, int draw)
{
	char line[512];
	int lines = 0;

	while (*s) {
		size_t len = 0, fit = 0;

		while (s[len] == ' ')
			s++;
		/* The longest run of whole words that fits (at least one word). */
		for (;;) {
			size_t next = len;

			while (s[next] == ' ')
				next++;
			while (s[next] && s[next] != ' ')
				next++;
			if (next == len || next >= sizeof(line))
				break;
			memcpy(line, s, next);
			line[next] = '\0';
			if (fit && canvas_text_width(cv, size, 0, line) > width)
				break;
			fit = len = next;
		}
		if (fit == 0)
			break;
		memcpy(line, s, fit);
		line[fit] = '\0';
		if (draw)
			canvas_text(cv, x, y + lines * size * 1.3, size, 0, 0, 0, line);
		lines++;
		s += fit;
	}
	return lines;
}

static void star(cairo_t *cr, double x, double y, double r)
{
	for (int k = 0; k < 10; k++) {
		double a = -M_PI / 2 + k * M_PI / 5, rr = k % 2 ? r * 0.45 : r * 1.15;

		if (k == 0)
			cairo_move_to(cr, x + rr * cos(a), y + rr * sin(a));
		else
			cairo_line_to(cr, x + rr * cos(a), y + rr * sin(a));
	}
	cairo_close_path(cr);
}

/* The UI's glyphs in order: ● ■ ▲ ◆ ★ ✚ ○ □ (screen.c). */
void canvas_marker(struct canvas *cv, int m, double x, double y, double r)
{
	cairo_t *cr = cv->cr;
	double rgb[3];
	int shape = m % 8, open = shape >= 6;

	plot_method_rgb(m, rgb);
	cairo_new_path(cr);
	switch (shape) {
	case 0:
	case 6:
		cairo_arc(cr, x, y, r, 0, 2 * M_PI);
		break;
	case 1:
	case 7:
		cairo_rectangle(cr, x - r * 0.9, y - r * 0.9, r * 1.8, r * 1.8);
		break;
	case 2:
		cairo_move_to(cr, x, y - r * 1.2);
		cairo_line_to(cr, x + r * 1.1, y + r * 0.8);
		cairo_line_to(cr, x - r * 1.1, y + r * 0.8);
		cairo_close_path(cr);
		break;
	case 3:
		cairo_move_to(cr, x, y - r * 1.25);
		cairo_line_to(cr, x + r, y);
		cairo_line_to(cr, x, y + r * 1.25);
		cairo_line_to(cr, x - r, y);
		cairo_close_path(cr);
		break;
	case 4:
		star(cr, x, y, r);
		break;
	case 5: {
		/* A plus as one outline, so its rim does not cross its middle. */
		static const double px[] = {1, 1, 3, 3, 1, 1, -1, -1, -3, -3, -1, -1};
		static const double py[] = {-3, -1, -1, 1, 1, 3, 3, 1, 1, -1, -1, -3};

		for (int k = 0; k < 12; k++)
			(k ? cairo_line_to : cairo_move_to)(cr, x + px[k] * r * 0.37,
			                                    y + py[k] * r * 0.37);
		cairo_close_path(cr);
		break;
	}
	}
	canvas_rgb(cv, rgb, 1.0);
	if (open) {
		cairo_set_line_width(cr, 1.2);
		cairo_stroke(cr);
		return;
	}
	cairo_fill_preserve(cr);
	/* A thin white rim keeps overlapping markers apart. */
	cairo_set_source_rgb(cr, 1, 1, 1);
	cairo_set_line_width(cr, 0.5);
	cairo_stroke(cr);
}

double plot_axes_x(const struct plot_axes *a, double v)
{
	return a->x + a->w * (v - a->xmin) / (a->xmax - a->xmin);
}

double plot_axes_y(const struct plot_axes *a, double v)
{
	return a->y + a->h * (a->ymax - v) / (a->ymax - a->ymin);
}

void axes_nice(double lo, double hi, int ticks, double *min, double *max, double *step)
{
	double rough, mag, norm;

	if (!isfinite(lo) || !isfinite(hi)) {
		lo = 0.0;
		hi = 1.0;
	}
	if (hi - lo < 1e-12 * fmax(1.0, fabs(hi))) {
		double pad = lo != 0.0 ? fabs(lo) * 0.05 : 0.5;

		lo -= pad;
		hi += pad;
	}
	rough = (hi - lo) / ticks;
	mag = pow(10.0, floor(log10(rough)));
	norm = rough / mag;
	*step = (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * mag;
	*min = floor(lo / *step + 1e-9) * *step;
	*max = ceil(hi / *step - 1e-9) * *step;
}

/* Decimals that tell ticks spaced step apart from each other. */
static int decimals(double step)
{
	int d = (int)ceil(-log10(step) - 1e-9);

	return d < 0 ? 0 : d > 6 ? 6 : d;
}

static void ytick(struct canvas *cv, const struct plot_axes *a, double v, int d,
                  int label)
{
	double y = plot_axes_y(a, v);
	char buf[32];

	canvas_gray(cv, 0.90);
	cairo_set_line_width(cv->cr, 0.5);
	cairo_move_to(cv->cr, a->x, y);
	cairo_line_to(cv->cr, a->x + a->w, y);
	cairo_stroke(cv->cr);
	canvas_gray(cv, 0.0);
	cairo_set_line_width(cv->cr, 0.8);
	cairo_move_to(cv->cr, a->x - 3, y);
	cairo_line_to(cv->cr, a->x, y);
	cairo_stroke(cv->cr);
	if (label) {
		snprintf(buf, sizeof(buf), "%.*f", d, fabs(v) < 1e-12 ? 0.0 : v);
		canvas_text(cv, a->x - 5, y, FONT_TICK, 0, 1.0, 0.5, buf);
	}
}

static void xtick(struct canvas *cv, const struct plot_axes *a, double v, int d)
{
	double x = plot_axes_x(a, v), y = a->y + a->h;
	char buf[32];

	canvas_gray(cv, 0.0);
	cairo_set_line_width(cv->cr, 0.8);
	cairo_move_to(cv->cr, x, y);
	cairo_line_to(cv->cr, x, y + 3);
	cairo_stroke(cv->cr);
	snprintf(buf, sizeof(buf), "%.*f", d, fabs(v) < 1e-12 ? 0.0 : v);
	canvas_text(cv, x, y + 6, FONT_TICK, 0, 0.5, 0.0, buf);
}

void axes_draw(struct canvas *cv, const struct plot_axes *a, double xstep, double ystep,
               int xint, int ylabels, const char *xlabel, const char *ylabel)
{
	double ylo = fmin(a->ymin, a->ymax), yhi = fmax(a->ymin, a->ymax);
	double xlo = fmin(a->xmin, a->xmax), xhi = fmax(a->xmin, a->xmax);
	double eps = 1e-9 * fmax(1.0, fabs(yhi) + fabs(ylo));

	/* Ticks at whole multiples of the step, so 0 prints as 0. */
	if (ystep > 0)
		for (long k = lround(ceil(ylo / ystep - 1e-9)); k * ystep <= yhi + eps;
		     k++)
			ytick(cv, a, k * ystep, decimals(ystep), ylabels);
	if (xint) {
		/* Task 1, then every multiple of the step not crowding it. */
		double s = fmax(1.0, round(xstep));

		if (xlo <= 1.0 && xhi >= 1.0)
			xtick(cv, a, 1.0, 0);
		for (double v = s; v <= xhi + 1e-9; v += s)
			if (v >= xlo && v - 1.0 >= s / 2)
				xtick(cv, a, v, 0);
	} else if (xstep > 0) {
		for (long k = lround(ceil(xlo / xstep - 1e-9)); k * xstep <= xhi + 1e-9;
		     k++)
			xtick(cv, a, k * xstep, decimals(xstep));
	}
	canvas_gray(cv, 0.0);
	cairo_set_line_width(cv->cr, 0.8);
	cairo_move_to(cv->cr, a->x, a->y);
	cairo_line_to(cv->cr, a->x, a->y + a->h);
	cairo_line_to(cv->cr, a->x + a->w, a->y + a->h);
	cairo_stroke(cv->cr);
	if (xlabel != NULL)
		canvas_text(cv, a->x + a->w / 2, a->y + a->h + 22, FONT_LABEL, 0, 0.5,
		            0.0, xlabel);
	if (ylabel != NULL)
		canvas_text_up(cv, a->x - 44, a->y + a->h / 2, FONT_LABEL, ylabel);
}

double legend_draw(struct canvas *cv, const struct preset *p, double x, double y,
                   double w, int draw)
{
	double cx = x, row = 15.0, h = row;
	char label[160];

	for (int m = 0; m < p->nmethods; m++) {
		double ew;

		method_label(&p->methods[m], label, sizeof(label));
		ew = 26 + canvas_text_width(cv, FONT_NOTE, 0, label) + 14;
		if (cx > x && cx + ew > x + w) {
			cx = x;
			y += row;
			h += row;
		}
		if (draw) {
			double rgb[3];

			plot_method_rgb(m, rgb);
			canvas_rgb(cv, rgb, 1.0);
			cairo_set_line_width(cv->cr, 1.6);
			cairo_move_to(cv->cr, cx, y + 5);
			cairo_line_to(cv->cr, cx + 20, y + 5);
			cairo_stroke(cv->cr);
			canvas_marker(cv, m, cx + 10, y + 5, 3.2);
			canvas_gray(cv, 0.0);
			canvas_text(cv, cx + 26, y + 5, FONT_NOTE, 0, 0.0, 0.5, label);
		}
		cx += ew;
	}
	return h;
}
