/*
 * canvas.c: the grid of cells the views draw into (see canvas.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "canvas.h"
#include "fmt.h"

int
canvas_init(struct canvas *c, int rows, int cols)
{
	c->rows = rows < 1 ? 1 : rows;
	c->cols = cols < 1 ? 1 : cols;
	c->cells = calloc((size_t)c->rows * (size_t)c->cols,
	    sizeof(*c->cells));
	if (c->cells == NULL) {
		c->rows = c->cols = 0;
		return -1;
	}
	canvas_clear(c);
	return 0;
}

void
canvas_free(struct canvas *c)
{
	free(c->cells);
	c->cells = NULL;
	c->rows = c->cols = 0;
}

void
canvas_clear(struct canvas *c)
{
	size_t i;

	for (i = 0; i < (size_t)c->rows * (size_t)c->cols; i++) {
		c->cells[i].ch = ' ';
		c->cells[i].style = ST_NORMAL;
	}
}

void
canvas_put(struct canvas *c, int y, int x, int st, uint32_t ch)
{
	if (y < 0 || y >= c->rows || x < 0 || x >= c->cols)
		return;
	c->cells[y * c->cols + x].ch = ch;
	c->cells[y * c->cols + x].style = (unsigned char)st;
}

void
canvas_style(struct canvas *c, int y, int x, int len, int st)
{
	int i;

	if (y < 0 || y >= c->rows)
		return;
	for (i = x < 0 ? 0 : x; i < x + len && i < c->cols; i++)
		c->cells[y * c->cols + i].style = (unsigned char)st;
}

/* Decodes the UTF-8 sequence at *s (advancing it); a bad byte reads as
 * '?'. */
static uint32_t
next_cp(const unsigned char **s)
{
	const unsigned char *p = *s;
	uint32_t cp;
	int more, i;

	if (p[0] < 0x80) {
		*s = p + 1;
		return p[0];
	}
	if ((p[0] & 0xe0) == 0xc0) {
		cp = p[0] & 0x1f;
		more = 1;
	} else if ((p[0] & 0xf0) == 0xe0) {
		cp = p[0] & 0x0f;
		more = 2;
	} else if ((p[0] & 0xf8) == 0xf0) {
		cp = p[0] & 0x07;
		more = 3;
	} else {
		*s = p + 1;
		return '?';
	}
	for (i = 1; i <= more; i++) {
		if ((p[i] & 0xc0) != 0x80) {
			*s = p + i;
			return '?';
		}
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	*s = p + more + 1;
	return cp;
}

int
canvas_text(struct canvas *c, int y, int x, int st, const char *s, int max)
{
	const unsigned char *p = (const unsigned char *)s;
	int n = 0;

	while (*p != '\0' && (max <= 0 || n < max) && x + n < c->cols) {
		canvas_put(c, y, x + n, st, next_cp(&p));
		n++;
	}
	return n;
}

int
canvas_printf(struct canvas *c, int y, int x, int st, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return canvas_text(c, y, x, st, buf, 0);
}

char *
canvas_row(const struct canvas *c, int y, char *buf, size_t size)
{
	size_t len = 0, end = 0, k;
	char u[4];
	int x;

	if (size == 0)
		return buf;
	for (x = 0; y >= 0 && y < c->rows && x < c->cols; x++) {
		k = fmt_utf8(c->cells[y * c->cols + x].ch, u);
		if (len + k >= size)
			break;
		memcpy(buf + len, u, k);
		len += k;
		if (c->cells[y * c->cols + x].ch != ' ')
			end = len;
	}
	buf[end] = '\0';
	return buf;
}
