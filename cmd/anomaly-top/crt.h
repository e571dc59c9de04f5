/*
 * crt.h: the terminal, the only module of anomaly-top that calls curses
 * (as htop's CRT.c): opens and closes the screen, puts a canvas on it with
 * colours (or bold, reverse and underline in monochrome), and reads keys
 * and mouse clicks as the model's TOPK_ codes.
 */
#ifndef TOP_CRT_H
#define TOP_CRT_H

#include "canvas.h"

struct crt;

/* Opens the terminal on stdin and stdout in full-screen mode, with colours
 * when colour is set and the terminal has them.  Returns the terminal, or
 * NULL (nothing changed on the screen) when it cannot: an unknown TERM. */
struct crt *crt_open(int colour);

/* Whether the terminal shows colours. */
int crt_colour(const struct crt *t);

/* Gives the terminal back as it was (endwin) and frees t.  NULL is a
 * no-op. */
void crt_close(struct crt *t);

/* The terminal's size now. */
void crt_size(struct crt *t, int *rows, int *cols);

/* Puts the canvas on the screen (the terminal gets only the changes); with
 * full set, repaints every cell (after a resize). */
void crt_draw(struct crt *t, const struct canvas *c, int full);

/* Waits up to timeout_ms (< 0: for ever) for a key.  Returns a character,
 * a TOPK_ code, or TOPK_NONE when none came (or a signal interrupted the
 * wait).  For TOPK_CLICK and TOPK_DCLICK, *y is the row clicked. */
int crt_key(struct crt *t, int timeout_ms, int *y);

#endif
