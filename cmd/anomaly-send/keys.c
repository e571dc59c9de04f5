/*
 * keys.c: the key file of anomaly-send (see keys.h).
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "errmsg.h"
#include "keys.h"

#define LINE_MAX_KEYS	4096

const char *
keys_path(const char *opt, char *buf, size_t size, char *err, size_t errlen)
{
	const char *xdg = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	int n;

	if (opt != NULL)
		n = snprintf(buf, size, "%s", opt);
	else if (xdg != NULL && *xdg != '\0')
		n = snprintf(buf, size, "%s/anomaly/keys", xdg);
	else if (home != NULL && *home != '\0')
		n = snprintf(buf, size, "%s/.local/state/anomaly/keys", home);
	else {
		errmsg_set(err, errlen, "neither XDG_STATE_HOME nor HOME is "
		    "set: give --key-file");
		return NULL;
	}
	if (n < 0 || (size_t)n >= size) {
		errmsg_set(err, errlen, "key file path too long");
		return NULL;
	}
	return buf;
}

/* Whether line is the one of url and id; then *key points at its key. */
static int
line_of(char *line, const char *url, const char *id, char **key)
{
	size_t ulen = strlen(url), ilen = strlen(id);

	if (strncmp(line, url, ulen) != 0 || line[ulen] != ' ' ||
	    strncmp(line + ulen + 1, id, ilen) != 0 ||
	    line[ulen + 1 + ilen] != ' ')
		return 0;
	*key = line + ulen + ilen + 2;
	(*key)[strcspn(*key, "\r\n")] = '\0';
	return 1;
}

int
keys_get(const char *path, const char *url, const char *id, char *key,
    size_t size, char *err, size_t errlen)
{
	char line[LINE_MAX_KEYS], *k;
	FILE *fp;
	int rc = 0;

	if ((fp = fopen(path, "r")) == NULL) {
		if (errno == ENOENT)
			return 0;
		errmsg_set(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), fp) != NULL)
		if (line_of(line, url, id, &k) && strlen(k) < size) {
			memcpy(key, k, strlen(k) + 1);
			rc = 1;
		}
	if (ferror(fp)) {
		errmsg_set(err, errlen, "%s: %s", path, strerror(errno));
		rc = -1;
	}
	fclose(fp);
	explicit_bzero(line, sizeof(line));
	return rc;
}

/* Makes the directories of path's parent, mode 0700. */
static int
make_dirs(const char *path, char *err, size_t errlen)
{
	char dir[PATH_MAX], *p, c;

	if (strlen(path) >= sizeof(dir)) {
		errmsg_set(err, errlen, "key file path too long");
		return -1;
	}
	strcpy(dir, path);
	if ((p = strrchr(dir, '/')) == NULL || p == dir)
		return 0;
	*p = '\0';
	for (p = dir + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		c = *p;
		*p = '\0';
		if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
			errmsg_set(err, errlen, "%s: %s", dir,
			    strerror(errno));
			return -1;
		}
		*p = c;
		if (c == '\0')
			break;
	}
	return 0;
}

int
keys_put(const char *path, int mkdirs, const char *url, const char *id,
    const char *key, char *err, size_t errlen)
{
	char lock[PATH_MAX], tmp[PATH_MAX], line[LINE_MAX_KEYS], *k;
	FILE *in = NULL, *out = NULL;
	int lfd = -1, tfd = -1, rc = -1;

	if (snprintf(lock, sizeof(lock), "%s.lock", path) >= (int)sizeof(lock)
	    || snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path,
	    (long)getpid()) >= (int)sizeof(tmp)) {
		errmsg_set(err, errlen, "key file path too long");
		return -1;
	}
	if (key == NULL && access(path, F_OK) == -1 && errno == ENOENT)
		return 0;	/* nothing to remove */
	if (mkdirs && make_dirs(path, err, errlen) == -1)
		return -1;
	if ((lfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) == -1 ||
	    flock(lfd, LOCK_EX) == -1) {
		errmsg_set(err, errlen, "%s: %s", lock, strerror(errno));
		goto out;
	}
	if ((tfd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) == -1 || (out = fdopen(tfd, "w")) == NULL) {
		errmsg_set(err, errlen, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	tfd = -1;
	if ((in = fopen(path, "r")) == NULL && errno != ENOENT) {
		errmsg_set(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	while (in != NULL && fgets(line, sizeof(line), in) != NULL) {
		char copy[LINE_MAX_KEYS];

		memcpy(copy, line, sizeof(copy));
		if (!line_of(copy, url, id, &k))
			fputs(line, out);
		explicit_bzero(copy, sizeof(copy));
	}
	if (key != NULL)
		fprintf(out, "%s %s %s\n", url, id, key);
	if ((in != NULL && ferror(in)) || fflush(out) == EOF ||
	    fsync(fileno(out)) == -1 || ferror(out)) {
		errmsg_set(err, errlen, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	if (rename(tmp, path) == -1) {
		errmsg_set(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	explicit_bzero(line, sizeof(line));
	if (in != NULL)
		fclose(in);
	if (out != NULL)
		fclose(out);
	if (tfd != -1)
		close(tfd);
	if (rc == -1)
		unlink(tmp);
	if (lfd != -1)
		close(lfd);
	return rc;
}
