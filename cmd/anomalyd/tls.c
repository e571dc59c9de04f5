/*
 * tls.c: --tls-cert and --tls-key (see tls.h).  libwebsockets holds the
 * vhost's SSL_CTX; lws_tls_cert_updated() loads new files into it, which
 * every later handshake uses while open connections keep their session.
 * A peer that speaks plain text to the TLS port, or TLS to a plain-text
 * one, gets a line in the log and a clean close.
 */
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <errno.h>
#include <stdint.h>
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

/* What a peer that is not understood gets: plain HTTP, the one thing a
 * plain-text peer may read. */
static const char plain_answer[] =
    "HTTP/1.1 400 Bad Request\r\n"
    "Content-Type: text/plain\r\n"
    "Content-Length: 50\r\n"
    "Connection: close\r\n"
    "\r\n"
    "This port speaks TLS only: use https:// or wss://\n";
static const char junk_answer[] =
    "HTTP/1.1 400 Bad Request\r\n"
    "Content-Type: text/plain\r\n"
    "Content-Length: 12\r\n"
    "Connection: close\r\n"
    "\r\n"
    "Bad Request\n";

/* A raw connection lws hands over: on the TLS port, a peer whose first
 * bytes were not a TLS hello; on a plain-text port, one whose first bytes
 * were not an HTTP method (a TLS hello among them).  One line in the log,
 * an answer it may read (none to a TLS hello, which cannot), closed. */
static int
plain_callback(struct lws *wsi, enum lws_callback_reasons reason,
    void *user, void *in, size_t len)
{
	struct server *srv = lws_context_user(lws_get_context(wsi));
	const char *answer = lws_get_opaque_user_data(wsi);
	unsigned char buf[LWS_PRE + sizeof(plain_answer)];
	char peer[64];
	const char *what;

	(void)user;
	switch (reason) {
	case LWS_CALLBACK_RAW_RX:
		if (answer != NULL)
			return 0;
		peer[0] = '\0';
		lws_get_peer_simple(wsi, peer, sizeof(peer));
		if (srv->cfg.tls_cert != NULL) {
			what = "plain text on the TLS port";
			answer = plain_answer;
		} else if (len > 0 && *(const unsigned char *)in == 0x16) {
			what = "a TLS hello on the plain-text port";
			return (logmsg(0, "%s: %s, refused", peer[0] != '\0' ?
			    peer : "a peer", what), -1);
		} else {
			what = "not HTTP";
			answer = junk_answer;
		}
		logmsg(0, "%s: %s, refused", peer[0] != '\0' ? peer : "a peer",
		    what);
		lws_set_opaque_user_data(wsi, (void *)(uintptr_t)answer);
		lws_callback_on_writable(wsi);
		return 0;
	case LWS_CALLBACK_RAW_WRITEABLE:
		if (answer == NULL)
			return -1;
		len = strlen(answer);
		memcpy(buf + LWS_PRE, answer, len);
		lws_write(wsi, buf + LWS_PRE, len, LWS_WRITE_RAW);
		return -1;
	default:
		return 0;
	}
}

const struct lws_protocols tls_plain_protocol = {
	.name = "anomaly-not-understood",
	.callback = plain_callback,
};

void
tls_setup(struct server *srv, struct lws_context_creation_info *info)
{
	/* what lws does not understand goes to tls_plain_protocol as a raw
	 * socket: on a plain-text port, a request whose method lws does not
	 * know (a TLS hello among them) */
	info->options |= LWS_SERVER_OPTION_FALLBACK_TO_APPLY_LISTEN_ACCEPT_CONFIG;
	info->listen_accept_role = "raw-skt";
	info->listen_accept_protocol = tls_plain_protocol.name;
	if (srv->cfg.tls_cert == NULL)
		return;
	/* on the TLS port lws peeks at the first bytes: a TLS hello goes on
	 * in TLS, printable ones to tls_plain_protocol (never to HTTP) */
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
