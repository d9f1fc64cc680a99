/*
 * spark.h - one-row sparklines rendered into a string (no terminal needed).
 *
 * Styles: eighth blocks (8 levels, one value per cell), braille (4 levels,
 * two values per cell) and ASCII (8 levels from " _.-~=+*#"-like characters,
 * for non-UTF-8 terminals and screen readers).
 */
#ifndef PLASTICITY_SPARK_H
#define PLASTICITY_SPARK_H

#include <stddef.h>

enum spark_style { SPARK_BLOCKS, SPARK_BRAILLE, SPARK_ASCII, SPARK_STYLES };

/* "blocks", "braille", "ascii" */
const char *spark_style_name(enum spark_style s);

/* Values one cell can show: 2 for braille, else 1. */
int spark_per_cell(enum spark_style s);

/*
 * Render values[0..n) (NAN = missing, drawn as a blank) scaled from lo to hi
 * into at most width cells, NUL-terminated UTF-8 in out (outsz >= 4 * width
 * + 1 is always enough). When n exceeds what width cells hold, consecutive
 * values are averaged into evenly sized buckets (bucket i covers values
 * [i*n/k, (i+1)*n/k) for k buckets), so the whole curve always fits.
 * Returns the number of cells written. Any thread.
 */
int spark_render(const double *values, int n, double lo, double hi,
                 enum spark_style style, int width, char *out, size_t outsz);

#endif
