/*
 * static.h: the files of /static/ (SPEC §5), from share/anomaly/www or
 * --www DIR.  A name must be plain ([A-Za-z0-9._-] segments, none starting
 * with a dot), and the file it resolves to, symbolic links followed, must
 * be a regular file inside the directory: nothing else is ever opened.
 */
#ifndef ANOMALYD_STATIC_H
#define ANOMALYD_STATIC_H

#include <sys/types.h>

/* Opens name (a path relative to www, as after /static/): a regular file
 * inside the directory www once links are resolved, its size in *size.
 * Returns the descriptor, or -1 when there is no such file or name is not
 * a plain relative path. */
int static_open(const char *www, const char *name, off_t *size);
/* The Content-Type of name, by its extension. */
const char *static_type(const char *name);

#endif
