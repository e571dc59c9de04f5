/*
 * opterr.h: the one-line message of a command-line usage error that
 * getopt_long(3) reported (with opterr = 0), the same in every command.
 */
#ifndef OPTERR_H
#define OPTERR_H

#include <getopt.h>
#include <stddef.h>

/* Writes to msg (size bytes, always NUL-terminated when size > 0) what is
 * wrong with the option argv[optind - 1], for which getopt_long() returned
 * ch ('?' or ':') with longopts: a missing argument, an argument given to
 * an option that takes none, an ambiguous abbreviation, or no such option.
 * optopt is getopt's, for a short option. */
void opterr_message(int ch, char *const argv[], int optind, int optopt,
    const struct option *longopts, char *msg, size_t size);

#endif
