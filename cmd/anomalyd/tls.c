/*
 * tls.c: --tls-cert and --tls-key (see tls.h).  libwebsockets holds the
 * vhost's SSL_CTX; lws_tls_cert_updated() loads new files into it, which
 * every later handshake uses while open connections keep their session.
 * A peer that speaks plain text to the TLS port is closed with a line in
 * the log (log.c).
 */
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "tls.h"

/* "OPT PATH: why" into err, why being OpenSSL's first reason or else
 * what; clears OpenSSL's errors. */
static void
ssl_reason(char *err, size_t size, const char *what, const char *opt,
    const char *path)
{
	unsigned long e = ERR_peek_error();
	const char *r = e != 0 ? ERR_reason_error_string(e) : NULL;

	if (r != NULL && strcmp(r, "no start line") == 0)
		r = what;
	else if (r != NULL && strcmp(r, "key values mismatch") == 0)
		r = "not the key of --tls-cert";
	snprintf(err, size, "%s %s: %s", opt, path, r != NULL ? r : what);
	ERR_clear_error();
}

int
tls_check(const char *cert, const char *key, char *err, size_t size)
{
	SSL_CTX *ctx;
	FILE *fp;
	int rc = -1;

	if ((fp = fopen(cert, "r")) == NULL) {
		snprintf(err, size, "--tls-cert %s: %s", cert, strerror(errno));
		return -1;
	}
	fclose(fp);
	if ((fp = fopen(key, "r")) == NULL) {
		snprintf(err, size, "--tls-key %s: %s", key, strerror(errno));
		return -1;
	}
	fclose(fp);
	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL) {
		snprintf(err, size, "out of memory");
		return -1;
	}
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1)
		ssl_reason(err, size, "not a PEM certificate", "--tls-cert",
		    cert);
	else if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1)
		ssl_reason(err, size, "not a PEM private key", "--tls-key",
		    key);
	else if (SSL_CTX_check_private_key(ctx) != 1)
		snprintf(err, size, "--tls-key %s: not the key of --tls-cert",
		    key);
	else
		rc = 0;
	SSL_CTX_free(ctx);
	return rc;
}

void
tls_setup(struct server *srv, struct lws_context_creation_info *info)
{
	if (srv->cfg.tls_cert == NULL)
		return;
	/* lws peeks at a new connection's first bytes: one not a TLS hello
	 * is closed with a notice that log_lws() turns into our line (lws's
	 * fallback to a raw protocol would also change how it refuses
	 * WebSocket upgrades: guard.sh) */
	info->options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT |
	    LWS_SERVER_OPTION_ALLOW_NON_SSL_ON_SSL_PORT;
	info->ssl_cert_filepath = srv->cfg.tls_cert;
	info->ssl_private_key_filepath = srv->cfg.tls_key;
}

void
tls_reload(struct server *srv)
{
	char err[512];

	if (srv->cfg.tls_cert == NULL)
		return;
	if (tls_check(srv->cfg.tls_cert, srv->cfg.tls_key, err,
	    sizeof(err)) == -1) {
		logmsg(0, "SIGHUP: certificate not reloaded, the old one "
		    "stays: %s", err);
		return;
	}
	lws_tls_cert_updated(srv->ctx, srv->cfg.tls_cert, srv->cfg.tls_key,
	    NULL, 0, NULL, 0);
	logmsg(0, "SIGHUP: certificate %s reloaded", srv->cfg.tls_cert);
}
