/*
 * test_token.c: lib/token, the one rule by which anomalyd and anomaly-send
 * read --token-file: less one trailing newline, 1 to PROTO_TOKEN_MAX
 * bytes, no control character; an unreadable file told from a bad token.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "proto.h"
#include "token.h"

struct fixture {
	char	 dir[64];
	char	 path[128];
	char	 err[256];
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_token.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/token", f->dir);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	unlink(f->path);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* Writes the n bytes of s as the token file. */
static void
write_file(struct fixture *f, const char *s, size_t n)
{
	FILE *fp = fopen(f->path, "w");

	assert_non_null(fp);
	assert_int_equal(fwrite(s, 1, n, fp), n);
	assert_int_equal(fclose(fp), 0);
}

/* Reads the file; returns the token (freed by the caller) or NULL. */
static char *
read_back(struct fixture *f, size_t *len, int *unreadable)
{
	*unreadable = -1;
	return token_read_file(f->path, len, unreadable, f->err,
	    sizeof(f->err));
}

static void
test_good(void **state)
{
	struct fixture *f = *state;
	static const char *const files[] = { "s3cret", "s3cret\n",
	    "s3cret\r\n" };
	char *t;
	size_t i, len;
	int unreadable;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		write_file(f, files[i], strlen(files[i]));
		t = read_back(f, &len, &unreadable);
		if (t == NULL)
			fail_msg("'%s': %s", files[i], f->err);
		assert_string_equal(t, "s3cret");
		assert_int_equal(len, 6);
		token_free(t);
	}
	/* spaces and any byte from 0x20 up are part of the token */
	write_file(f, "a b\xc3\xa9~\n", 7);
	t = read_back(f, &len, &unreadable);
	assert_non_null(t);
	assert_int_equal(len, 6);
	token_free(t);
	token_free(NULL);
}

static void
test_bad(void **state)
{
	struct fixture *f = *state;
	char big[PROTO_TOKEN_MAX + 2], *t;
	size_t len;
	int unreadable;

	write_file(f, "", 0);
	assert_null(read_back(f, &len, &unreadable));
	assert_int_equal(unreadable, 0);
	assert_non_null(strstr(f->err, "is empty"));
	write_file(f, "\n", 1);
	assert_null(read_back(f, &len, &unreadable));
	assert_non_null(strstr(f->err, "is empty"));
	/* a second line, a tab, DEL: control characters */
	write_file(f, "one\ntwo\n", 8);
	assert_null(read_back(f, &len, &unreadable));
	assert_int_equal(unreadable, 0);
	assert_non_null(strstr(f->err, "control character"));
	write_file(f, "a\tb", 3);
	assert_null(read_back(f, &len, &unreadable));
	assert_non_null(strstr(f->err, "control character"));
	write_file(f, "a\x7f", 2);
	assert_null(read_back(f, &len, &unreadable));
	/* the longest token, and one byte more */
	memset(big, 'k', sizeof(big));
	write_file(f, big, PROTO_TOKEN_MAX);
	assert_non_null(t = read_back(f, &len, &unreadable));
	assert_int_equal(len, PROTO_TOKEN_MAX);
	token_free(t);
	write_file(f, big, PROTO_TOKEN_MAX + 1);
	assert_null(read_back(f, &len, &unreadable));
	assert_int_equal(unreadable, 0);
	assert_non_null(strstr(f->err, "longer than"));
}

static void
test_unreadable(void **state)
{
	struct fixture *f = *state;
	size_t len;
	int unreadable;

	unlink(f->path);
	assert_null(read_back(f, &len, &unreadable));
	assert_int_equal(unreadable, 1);
	assert_non_null(strstr(f->err, f->path));
	assert_null(token_read_file(f->dir, &len, &unreadable, f->err,
	    sizeof(f->err)));	/* a directory */
	assert_int_equal(unreadable, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_good, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unreadable, setup,
		    teardown),
	};

	return cmocka_run_group_tests_name("token", tests, NULL, NULL);
}
