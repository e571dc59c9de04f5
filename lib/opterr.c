/*
 * opterr.c: what a usage error of getopt_long() was, in words.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "opterr.h"

void
opterr_message(int ch, char *const argv[], int optind, int optopt,
    const struct option *longopts, char *msg, size_t size)
{
	const char *arg = argv[optind - 1], *eq;
	size_t len, i, found = 0;

	if (strncmp(arg, "--", 2) != 0) {
		if (ch == ':')
			snprintf(msg, size, "-%c needs an argument", optopt);
		else
			snprintf(msg, size, "-%c: no such option", optopt);
		return;
	}
	if (ch == ':') {
		snprintf(msg, size, "%s needs an argument", arg);
		return;
	}
	eq = strchr(arg, '=');
	len = eq != NULL ? (size_t)(eq - arg - 2) : strlen(arg + 2);
	for (i = 0; longopts[i].name != NULL; i++)
		if (strncmp(longopts[i].name, arg + 2, len) == 0) {
			if (longopts[i].name[len] == '\0') {
				found = 1;
				break;
			}
			found++;
		}
	if (eq != NULL && found == 1)
		snprintf(msg, size, "%s: --%.*s takes no argument", arg,
		    (int)len, arg + 2);
	else if (found > 1)
		snprintf(msg, size, "%s: ambiguous, more than one option "
		    "starts so", arg);
	else
		snprintf(msg, size, "%s: no such option", arg);
}
