/*
 * token.c: a token read from a file, under one rule for every command.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errmsg.h"
#include "proto.h"
#include "token.h"

char *
token_read_file(const char *path, size_t *len, int *unreadable, char *err,
    size_t errlen)
{
	char buf[PROTO_TOKEN_MAX + 3], *t = NULL;
	FILE *fp;
	size_t n, i;

	*unreadable = 1;
	if ((fp = fopen(path, "r")) == NULL) {
		errmsg_set(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	n = fread(buf, 1, sizeof(buf), fp);
	if (ferror(fp)) {
		errmsg_set(err, errlen, "%s: %s", path, strerror(errno));
		fclose(fp);
		goto done;
	}
	fclose(fp);
	*unreadable = 0;
	if (n > 0 && buf[n - 1] == '\n')
		n--;
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	if (n == 0) {
		errmsg_set(err, errlen, "%s is empty", path);
		goto done;
	}
	if (n > PROTO_TOKEN_MAX) {
		errmsg_set(err, errlen, "%s: the token is longer than %d "
		    "bytes", path, PROTO_TOKEN_MAX);
		goto done;
	}
	for (i = 0; i < n; i++)
		if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f) {
			errmsg_set(err, errlen, "%s: the token holds a "
			    "control character", path);
			goto done;
		}
	if ((t = malloc(n + 1)) == NULL) {
		errmsg_set(err, errlen, "out of memory");
		*unreadable = 1;
		goto done;
	}
	memcpy(t, buf, n);
	t[n] = '\0';
	*len = n;
done:
	explicit_bzero(buf, sizeof(buf));
	return t;
}

void
token_free(char *t)
{
	if (t == NULL)
		return;
	explicit_bzero(t, strlen(t));
	free(t);
}
