/*
 * batch.h: anomaly-top -b, the model as plain text for pipes (like
 * top -b): a header line, a line of column titles, one line per client.
 */
#ifndef TOP_BATCH_H
#define TOP_BATCH_H

#include <stdio.h>

#include "model.h"
#include "view.h"

/* Points in a -b sparkline. */
#define BATCH_SPARK	20

/* Writes one snapshot of every client of m (the listed rows when only is
 * NULL, else only the client named only) to f.  Returns 0, or -1 when
 * writing failed. */
int batch_print(FILE *f, const struct top_model *m,
    const struct view_env *env, const char *only);

#endif
