/*
 * errmsg.c: the error message a lib/ function leaves for its caller.
 */
#include <stdarg.h>
#include <stdio.h>

#include "errmsg.h"

void
errmsg_set(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}
