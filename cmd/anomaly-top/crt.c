/*
 * crt.c: every curses call of anomaly-top (see crt.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curses.h>

#include "crt.h"
#include "fmt.h"
#include "model.h"

struct crt {
	SCREEN	*screen;
	int	 colour;
	attr_t	 attr[ST_COUNT];
};

/* Colour pairs, one per style that has one. */
static const struct {
	short	 fg, bg;
	attr_t	 extra;
} colours[ST_COUNT] = {
	[ST_NORMAL] = { -1, -1, A_NORMAL },
	[ST_HEADER] = { COLOR_CYAN, -1, A_BOLD },
	[ST_TITLE] = { COLOR_BLACK, COLOR_GREEN, A_NORMAL },
	[ST_SELECTED] = { COLOR_BLACK, COLOR_CYAN, A_NORMAL },
	[ST_ACTIVE] = { COLOR_GREEN, -1, A_BOLD },
	[ST_INACTIVE] = { -1, -1, A_DIM },
	[ST_ANOMALY] = { COLOR_RED, -1, A_BOLD },
	[ST_ALERT] = { COLOR_MAGENTA, -1, A_BOLD },
	[ST_SPARK] = { COLOR_CYAN, -1, A_NORMAL },
	[ST_CHART] = { COLOR_GREEN, -1, A_NORMAL },
	[ST_AXIS] = { -1, -1, A_DIM },
	[ST_KEY] = { -1, -1, A_BOLD },
	[ST_KEYLABEL] = { COLOR_BLACK, COLOR_CYAN, A_NORMAL },
	[ST_PAUSED] = { COLOR_BLACK, COLOR_YELLOW, A_BOLD },
};

/* Attributes without colours: every style stays readable and anomalies
 * and alerts stand out. */
static const attr_t mono[ST_COUNT] = {
	[ST_NORMAL] = A_NORMAL,
	[ST_HEADER] = A_BOLD,
	[ST_TITLE] = A_REVERSE,
	[ST_SELECTED] = A_REVERSE | A_BOLD,
	[ST_ACTIVE] = A_BOLD,
	[ST_INACTIVE] = A_DIM,
	[ST_ANOMALY] = A_BOLD | A_UNDERLINE,
	[ST_ALERT] = A_BOLD | A_REVERSE,
	[ST_SPARK] = A_NORMAL,
	[ST_CHART] = A_NORMAL,
	[ST_AXIS] = A_DIM,
	[ST_KEY] = A_BOLD,
	[ST_KEYLABEL] = A_REVERSE,
	[ST_PAUSED] = A_BOLD | A_REVERSE,
};

struct crt *
crt_open(int colour)
{
	struct crt *t;
	int i;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	if ((t->screen = newterm(NULL, stdout, stdin)) == NULL) {
		free(t);
		return NULL;
	}
	set_term(t->screen);
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	intrflush(stdscr, FALSE);
	set_escdelay(25);
	curs_set(0);
	mousemask(BUTTON1_CLICKED | BUTTON1_DOUBLE_CLICKED, NULL);
	for (i = 0; i < ST_COUNT; i++)
		t->attr[i] = mono[i];
	if (colour && has_colors() && start_color() == OK) {
		use_default_colors();
		t->colour = 1;
		for (i = 0; i < ST_COUNT; i++) {
			if (colours[i].fg == -1 && colours[i].bg == -1) {
				t->attr[i] = colours[i].extra;
				continue;
			}
			init_pair((short)(i + 1), colours[i].fg, colours[i].bg);
			t->attr[i] = COLOR_PAIR(i + 1) | colours[i].extra;
		}
	}
	return t;
}

int
crt_colour(const struct crt *t)
{
	return t->colour;
}

void
crt_close(struct crt *t)
{
	if (t == NULL)
		return;
	endwin();
	delscreen(t->screen);
	free(t);
}

void
crt_size(struct crt *t, int *rows, int *cols)
{
	(void)t;
	getmaxyx(stdscr, *rows, *cols);
}

void
crt_draw(struct crt *t, const struct canvas *c, int full)
{
	char run[4096];
	size_t len;
	int y, x, st;

	if (full)
		clearok(curscr, TRUE);
	for (y = 0; y < c->rows; y++) {
		for (x = 0; x < c->cols;) {
			st = c->cells[y * c->cols + x].style;
			len = 0;
			move(y, x);
			/* one addstr per run of cells of one style */
			while (x < c->cols && c->cells[y * c->cols + x].style ==
			    st && len + 4 < sizeof(run)) {
				len += fmt_utf8(c->cells[y * c->cols + x].ch,
				    run + len);
				x++;
			}
			run[len] = '\0';
			attrset(st < ST_COUNT ? t->attr[st] : A_NORMAL);
			addstr(run);	/* the last cell's ERR is harmless */
		}
	}
	attrset(A_NORMAL);
	refresh();
}

int
crt_key(struct crt *t, int timeout_ms, int *y)
{
	MEVENT ev;
	int ch;

	(void)t;
	timeout(timeout_ms);
	ch = getch();
	switch (ch) {
	case ERR:
		return TOPK_NONE;
	case KEY_UP:
		return TOPK_UP;
	case KEY_DOWN:
		return TOPK_DOWN;
	case KEY_LEFT:
		return TOPK_LEFT;
	case KEY_RIGHT:
		return TOPK_RIGHT;
	case KEY_PPAGE:
		return TOPK_PGUP;
	case KEY_NPAGE:
		return TOPK_PGDN;
	case KEY_HOME:
	case KEY_FIND:
	case KEY_A1:
		return TOPK_HOME;
	case KEY_END:
	case KEY_SELECT:
	case KEY_C1:
		return TOPK_END;
	case KEY_ENTER:
	case '\r':
	case '\n':
		return TOPK_ENTER;
	case KEY_BACKSPACE:
	case '\b':
	case 0x7f:
		return TOPK_BACKSPACE;
	case KEY_RESIZE:
		return TOPK_RESIZE;
	case KEY_MOUSE:
		if (getmouse(&ev) != OK)
			return TOPK_NONE;
		*y = ev.y;
		if (ev.bstate & BUTTON1_DOUBLE_CLICKED)
			return TOPK_DCLICK;
		if (ev.bstate & BUTTON1_CLICKED)
			return TOPK_CLICK;
		return TOPK_NONE;
	default:
		return ch >= 0 && ch < 0x100 ? ch : TOPK_NONE;
	}
}
