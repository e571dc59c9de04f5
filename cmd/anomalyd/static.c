/*
 * static.c: the files of /static/ (see static.h).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <strings.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "static.h"

#define STATIC_NAME_MAX	255	/* bytes of a name under /static/ */

static const struct {
	const char	*ext;
	const char	*type;
} types[] = {
	{ "html",	"text/html; charset=utf-8" },
	{ "css",	"text/css; charset=utf-8" },
	{ "js",		"text/javascript; charset=utf-8" },
	{ "mjs",	"text/javascript; charset=utf-8" },
	{ "json",	"application/json" },
	{ "map",	"application/json" },
	{ "txt",	"text/plain; charset=utf-8" },
	{ "svg",	"image/svg+xml" },
	{ "png",	"image/png" },
	{ "ico",	"image/x-icon" },
	{ "woff2",	"font/woff2" },
};

/* Whether name is a relative path of plain segments. */
static int
plain_name(const char *name)
{
	const char *p;
	int start = 1;

	if (*name == '\0' || strlen(name) > STATIC_NAME_MAX)
		return 0;
	for (p = name; *p != '\0'; p++) {
		if (*p == '/') {
			if (start)
				return 0;	/* empty segment */
			start = 1;
			continue;
		}
		if (start && *p == '.')
			return 0;		/* ., .., dot files */
		start = 0;
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' ||
		    *p == '-'))
			return 0;
	}
	return !start;
}

const char *
static_type(const char *name)
{
	const char *dot = strrchr(name, '.'), *slash = strrchr(name, '/');
	size_t i;

	if (dot != NULL && (slash == NULL || dot > slash))
		for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
			if (strcasecmp(dot + 1, types[i].ext) == 0)
				return types[i].type;
	return "application/octet-stream";
}

int
static_open(const char *www, const char *name, off_t *size)
{
	char root[PATH_MAX], want[PATH_MAX], real[PATH_MAX];
	struct stat sb;
	size_t rlen;
	int fd;

	if (!plain_name(name) || realpath(www, root) == NULL)
		return -1;
	rlen = strlen(root);
	if ((size_t)snprintf(want, sizeof(want), "%s/%s", root, name) >=
	    sizeof(want) || realpath(want, real) == NULL)
		return -1;
	/* inside root: root itself is no file, and root "/" ends in '/' */
	if (strncmp(real, root, rlen) != 0 ||
	    (real[rlen] != '/' && root[rlen - 1] != '/') ||
	    real[rlen] == '\0')
		return -1;
	if ((fd = open(real, O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
	    O_NONBLOCK)) == -1)
		return -1;
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return -1;
	}
	*size = sb.st_size;
	return fd;
}
