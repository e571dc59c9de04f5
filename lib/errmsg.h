/*
 * errmsg.h: the error message a lib/ function leaves for its caller.
 *
 * lib/ never prints: a function that fails returns -1 (or NULL) and writes
 * why into the caller's buffer with errmsg_set().
 */
#ifndef ANOMALY_ERRMSG_H
#define ANOMALY_ERRMSG_H

#include <stddef.h>

/* Formats the message into err (errlen bytes, always NUL-terminated when
 * errlen > 0, cut when too long); a NULL err or errlen 0 is a no-op. */
void errmsg_set(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
