/*
 * test_opterr.c: lib/opterr, the words of every getopt_long() usage error,
 * driven through getopt_long() itself as the commands call it.
 */
#include <getopt.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "opterr.h"

static const struct option longopts[] = {
	{ "client",	required_argument, NULL, 'c' },
	{ "clients",	no_argument,	   NULL, 'C' },
	{ "db",		required_argument, NULL, 'd' },
	{ "help",	no_argument,	   NULL, 'h' },
	{ NULL,		0,		   NULL, 0 }
};

/* The message for the command line "prog ARG [NEXT]": what getopt_long()
 * returns for it must be an error. */
static void
assert_message(const char *arg, const char *next, const char *want)
{
	char a0[] = "prog", a1[64], a2[64], msg[128];
	char *argv[] = { a0, a1, a2, NULL };
	int argc = next != NULL ? 3 : 2, ch;

	snprintf(a1, sizeof(a1), "%s", arg);
	snprintf(a2, sizeof(a2), "%s", next != NULL ? next : "");
	optind = 0;		/* GNU: full reset */
	opterr = 0;
	ch = getopt_long(argc, argv, ":c:d:h", longopts, NULL);
	if (ch != '?' && ch != ':')
		fail_msg("%s: getopt_long returned %d", arg, ch);
	opterr_message(ch, argv, optind, optopt, longopts, msg, sizeof(msg));
	if (strcmp(msg, want) != 0)
		fail_msg("%s: '%s', want '%s'", arg, msg, want);
}

static void
test_messages(void **state)
{
	(void)state;
	assert_message("-x", NULL, "-x: no such option");
	assert_message("-c", NULL, "-c needs an argument");
	assert_message("--bogus", NULL, "--bogus: no such option");
	assert_message("--db", NULL, "--db needs an argument");
	assert_message("--help=yes", NULL, "--help=yes: --help takes no "
	    "argument");
	assert_message("--cl", NULL, "--cl: ambiguous, more than one option "
	    "starts so");
	assert_message("--bogus=1", NULL, "--bogus=1: no such option");
}

/* A message longer than the buffer is cut, still a C string. */
static void
test_cut(void **state)
{
	char a0[] = "prog", a1[] = "--an-option-nobody-ever-defined-at-all";
	char *argv[] = { a0, a1, NULL };
	char msg[8];
	int ch;

	(void)state;
	optind = 0;
	opterr = 0;
	ch = getopt_long(2, argv, ":c:d:h", longopts, NULL);
	assert_int_equal(ch, '?');
	opterr_message(ch, argv, optind, optopt, longopts, msg, sizeof(msg));
	assert_int_equal(strlen(msg), sizeof(msg) - 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_messages),
		cmocka_unit_test(test_cut),
	};

	return cmocka_run_group_tests_name("opterr", tests, NULL, NULL);
}
