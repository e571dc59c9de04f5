/*
 * tls.h: the certificate and key of --tls-cert and --tls-key: checked
 * before listening, given to libwebsockets, reloaded on SIGHUP.
 */
#ifndef ANOMALYD_TLS_H
#define ANOMALYD_TLS_H

#include <stddef.h>

#include "server.h"

/* Whether cert (a PEM chain) and key (its PEM private key) can be read
 * and go together: 0, or -1 with the reason in err. */
int tls_check(const char *cert, const char *key, char *err, size_t size);
/* Sets the TLS fields of info from srv->cfg (none without --tls-cert). */
void tls_setup(struct server *srv, struct lws_context_creation_info *info);
/* SIGHUP: rereads the certificate and key; new connections get them, open
 * ones keep theirs.  An unusable pair is logged and the old one kept.
 * Nothing without --tls-cert. */
void tls_reload(struct server *srv);

#endif
