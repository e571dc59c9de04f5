/*
 * token.h: reading a secret token from a file (--token-file), with one
 * rule for every command: the file's content less one trailing newline
 * (LF or CRLF), 1 to PROTO_TOKEN_MAX bytes, no control character.
 */
#ifndef TOKEN_H
#define TOKEN_H

#include <stddef.h>

/* Reads the token in the file path.  Returns a NUL-terminated copy in
 * memory the caller releases with token_free(), its length in *len; or
 * NULL with a message in err (errlen bytes), *unreadable set to 1 when
 * the file could not be read and to 0 when its content is not a token.
 * The bytes read are wiped from the stack before it returns. */
char *token_read_file(const char *path, size_t *len, int *unreadable,
    char *err, size_t errlen);

/* Wipes the token t and frees it; NULL does nothing. */
void token_free(char *t);

#endif
