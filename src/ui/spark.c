/*
 * spark.c - one-row sparklines rendered into a plain string.
 *
 * Every style goes through the same two steps: the n values are first
 * reduced to k = min(n, width * per_cell) bucket means (with k == n each
 * bucket is one value, so there is a single code path), then each bucket
 * is quantized into the style's levels with equal-width bins over [lo, hi].
 * Non-finite values count as missing, so a diverged run cannot drag a
 * bucket's mean to infinity; a bucket with no finite value is drawn blank.
 *
 * Braille packs two buckets per cell as two bars filled from the bottom;
 * a cell whose two buckets are both missing is a plain space rather than
 * U+2800, which some fonts draw as a visible box.
 */
#include <math.h>
#include <string.h>

#include "plasticity/spark.h"

#define BLOCK_LEVELS   8
#define BRAILLE_LEVELS 4
#define ASCII_LEVELS   8

/* Low to high: each reads a little taller than the one before. */
static const char ascii_ramp[ASCII_LEVELS + 1] = "_.-~=+*#";

/* Dots of one braille column from the bottom up: 7,3,2,1 and 8,6,5,4. */
static const unsigned braille_left[BRAILLE_LEVELS] = {0x40, 0x04, 0x02, 0x01};
static const unsigned braille_right[BRAILLE_LEVELS] = {0x80, 0x20, 0x10, 0x08};

static const char *const style_names[SPARK_STYLES] = {"blocks", "braille", "ascii"};

const char *spark_style_name(enum spark_style s)
{
	if ((unsigned)s >= SPARK_STYLES)
		return "unknown";
	return style_names[s];
}

int spark_per_cell(enum spark_style s)
{
	return s == SPARK_BRAILLE ? 2 : 1;
}

/* Mean of the finite values of bucket i of k over n values; NAN if none. */
static double bucket_mean(const double *values, int n, int k, int i)
{
	/* 64-bit products: a long history times a wide screen overflows int. */
	long long a = (long long)i * n / k, b = (long long)(i + 1) * n / k;
	double sum = 0;
	int count = 0;

	for (long long j = a; j < b; j++) {
		if (isfinite(values[j])) {
			sum += values[j];
			count++;
		}
	}
	return count ? sum / count : NAN;
}

/* Level 0..levels-1 of a finite v; a flat or unusable range is mid level. */
static int level_of(double v, double lo, double hi, int levels)
{
	double t = (v - lo) / (hi - lo);
	int l;

	if (!(hi > lo) || isnan(t))
		t = 0.5;
	if (t <= 0)
		return 0;
	if (t >= 1)
		return levels - 1;
	l = (int)(t * levels);
	return l < levels ? l : levels - 1;
}

/* Append the UTF-8 encoding of a code point in U+0800..U+FFFF. */
static size_t put_utf8_3(char *p, unsigned cp)
{
	p[0] = (char)(0xe0 | (cp >> 12));
	p[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
	p[2] = (char)(0x80 | (cp & 0x3f));
	return 3;
}

/* The bits of one braille column for a bucket mean (none when missing). */
static unsigned braille_bits(double v, double lo, double hi, const unsigned *column)
{
	unsigned bits = 0;

	if (isnan(v))
		return 0;
	for (int l = level_of(v, lo, hi, BRAILLE_LEVELS); l >= 0; l--)
		bits |= column[l];
	return bits;
}

/* Encode one cell from its one or two bucket means; returns bytes written. */
static size_t render_cell(enum spark_style style, double v0, double v1, int has_v1,
                          double lo, double hi, char *p)
{
	unsigned bits;

	switch (style) {
	case SPARK_BRAILLE:
		bits = braille_bits(v0, lo, hi, braille_left);
		if (has_v1)
			bits |= braille_bits(v1, lo, hi, braille_right);
		if (bits == 0)
			break;
		return put_utf8_3(p, 0x2800 + bits);
	case SPARK_ASCII:
		if (isnan(v0))
			break;
		*p = ascii_ramp[level_of(v0, lo, hi, ASCII_LEVELS)];
		return 1;
	default:
		if (isnan(v0))
			break;
		return put_utf8_3(p,
		                  0x2581 + (unsigned)level_of(v0, lo, hi, BLOCK_LEVELS));
	}
	*p = ' ';
	return 1;
}

int spark_render(const double *values, int n, double lo, double hi,
                 enum spark_style style, int width, char *out, size_t outsz)
{
	int per = spark_per_cell(style);
	int k, cells, written = 0;
	size_t len = 0;

	if (outsz == 0)
		return 0;
	out[0] = '\0';
	if (n <= 0 || width <= 0 || values == NULL)
		return 0;
	/* Compare in cells so a huge width cannot overflow width * per. */
	k = (n + per - 1) / per <= width ? n : width * per;
	cells = (k + per - 1) / per;
	for (int c = 0; c < cells; c++) {
		int i = c * per, has_v1 = per == 2 && i + 1 < k;
		double v0 = bucket_mean(values, n, k, i);
		double v1 = has_v1 ? bucket_mean(values, n, k, i + 1) : NAN;
		char cell[4];
		size_t m = render_cell(style, v0, v1, has_v1, lo, hi, cell);

		/* A short buffer gets whole cells only, never half a character. */
		if (len + m + 1 > outsz)
			break;
		memcpy(out + len, cell, m);
		len += m;
		written++;
	}
	out[len] = '\0';
	return written;
}
