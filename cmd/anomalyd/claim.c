/*
 * claim.c: who may use a client id (see claim.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "auth.h"
#include "claim.h"
#include "clients.h"
#include "commit.h"
#include "errmsg.h"
#include "log.h"
#include "store.h"

#define RANDOM_BYTES	16	/* 128 bits */

static const char NOTE_GRANTED[] = "granted";
static const char NOTE_HELD[] = "held: the key shown is this id's key";
static const char NOTE_HISTORY[] =
    "refused: id has history; an operator can claim it";
static const char NOTE_NOT_STORED[] = "refused: not stored";

/* Writes the len bytes at p in hex to out (2 * len + 1 bytes). */
static void
hex(const unsigned char *p, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * len] = '\0';
}

/* The SHA-256 of the len bytes at key, in hex, into out (65 bytes).
 * Returns 0 or -1. */
static int
key_hash(const char *key, size_t len, char *out)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (EVP_Digest(key, len, md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen != 32)
		return -1;
	hex(md, mdlen, out);
	return 0;
}

/* Whether the NUL-terminated hex texts a and b are equal, in a time that
 * depends only on their lengths. */
static int
same_hash(const char *a, const char *b)
{
	size_t i, n = strlen(a);
	unsigned d = n != strlen(b);

	for (i = 0; i < n && b[i] != '\0'; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

/* Reads URL argument name ("key=") of wsi into out (outlen bytes): 1 when
 * there, 0 when not or too long.  Every argument is looked at, whatever
 * its length. */
static int
url_value(struct lws *wsi, const char *name, char *out, size_t outlen)
{
	char *frag;
	size_t nlen = strlen(name), vlen;
	int i, flen, rc = 0;

	for (i = 0; rc == 0 && (flen = lws_hdr_fragment_length(wsi,
	    WSI_TOKEN_HTTP_URI_ARGS, i)) > 0; i++) {
		if ((frag = malloc((size_t)flen + 1)) == NULL)
			return 0;
		if (lws_hdr_copy_fragment(wsi, frag, flen + 1,
		    WSI_TOKEN_HTTP_URI_ARGS, i) >= 0 &&
		    strncmp(frag, name, nlen) == 0 &&
		    (vlen = strlen(frag + nlen)) < outlen) {
			memcpy(out, frag + nlen, vlen + 1);
			rc = 1;
		}
		explicit_bzero(frag, (size_t)flen + 1);
		free(frag);
	}
	return rc;
}

void
claim_url(struct server *srv, struct session *s)
{
	char buf[PROTO_TOKEN_MAX + 1], flag[8];

	memset(&s->claim, 0, sizeof(s->claim));
	if (srv->cfg.admin != NULL) {
		if (admin_authorized(srv, s->wsi) ||
		    (url_value(s->wsi, "token=", buf, sizeof(buf)) == 1 &&
		    admin_equal(srv, buf, strlen(buf))))
			s->claim.admin = 1;
		explicit_bzero(buf, sizeof(buf));
	}
	if (url_value(s->wsi, "claim=", flag, sizeof(flag)) == 1 &&
	    (strcmp(flag, "1") == 0 || strcmp(flag, "true") == 0))
		s->claim.url_claim = 1;
	url_value(s->wsi, "key=", s->claim.url_key, sizeof(s->claim.url_key));
}

/* Reads client id into *sc (malloc'ed, the caller frees it) as committed,
 * without waiting for the writer (srv->rd); unless committed, with the
 * key hash of a key issued but maybe not committed yet (a key in a batch
 * counts).  Returns 1, 0 when it is not stored, -1 with why. */
static int
stored(struct server *srv, const char *id, int committed,
    struct store_client **sc, char *why, size_t whylen)
{
	const char *mem;
	int rc;

	if ((*sc = malloc(sizeof(**sc))) == NULL) {
		errmsg_set(why, whylen, "out of memory");
		return -1;
	}
	rc = store_client_get(srv->rd, id, *sc, why, whylen);
	if (rc != 1) {
		(*sc)->key_hash[0] = '\0';
		(*sc)->points = 0;
	}
	if (!committed && rc != -1 &&
	    (mem = client_key_hash(srv, id)) != NULL && mem[0] != '\0') {
		snprintf((*sc)->key_hash, sizeof((*sc)->key_hash), "%s", mem);
		rc = 1;
	}
	return rc;
}

int
claim_needs_key(struct server *srv, struct session *s, const char *id)
{
	struct store_client *sc;
	char err[256];
	int need;

	if (s->claim.admin || s->claim.url_key[0] != '\0')
		return 0;
	need = stored(srv, id, 0, &sc, err, sizeof(err)) == 1 &&
	    sc->key_hash[0] != '\0';
	free(sc);
	return need;
}

/* Makes a key for s, and its hash.  Returns 0 or -1. */
static int
issue(struct server *srv, struct session *s)
{
	unsigned char raw[RANDOM_BYTES];

	if (lws_get_random(srv->ctx, raw, sizeof(raw)) != sizeof(raw))
		return -1;
	hex(raw, sizeof(raw), s->claim.issued);
	explicit_bzero(raw, sizeof(raw));
	if (key_hash(s->claim.issued, strlen(s->claim.issued),
	    s->claim.hash) == -1) {
		explicit_bzero(s->claim.issued, sizeof(s->claim.issued));
		return -1;
	}
	s->claim.note = NOTE_GRANTED;
	return 0;
}

/* h completed in own with the server's defaults for every setting and the
 * window it leaves out. */
static void
complete(struct server *srv, const struct proto_hello *h,
    struct proto_hello *own)
{
	*own = *h;
	own->set = srv->cfg.defaults;
	proto_hello_apply(h, &own->set);
	if (!(h->has & PROTO_HAS_WINDOW))
		own->window = srv->cfg.defaults.window;
	own->has |= PROTO_HAS_WINDOW | PROTO_HAS_DETECTORS | PROTO_HAS_VOTE |
	    PROTO_HAS_ALERT | PROTO_HAS_PARAMS;
	own->params = (uint32_t)((1ull << DETECT_PARAMS) - 1);
}

int
claim_check(struct server *srv, struct session *s, const char *id,
    const struct proto_hello *h, struct proto_hello *own,
    const struct proto_hello **use, int *code, char *why, size_t whylen)
{
	struct store_client *sc;
	struct session *live;
	const char *key;
	char hash[65], err[256];
	int found, claimed, admin, key_ok = 0, rc = -1;

	*use = h;
	*code = 1011;
	s->claim.issued[0] = '\0';
	s->claim.hash[0] = '\0';
	s->claim.note = NULL;
	if ((found = stored(srv, id, 0, &sc, err, sizeof(err))) == -1) {
		logmsg(0, "client %s: %s", id, err);
		errmsg_set(why, whylen, "database error: %.80s", err);
		goto out;
	}
	claimed = sc->key_hash[0] != '\0';
	admin = s->claim.admin || ((h->has & PROTO_HAS_TOKEN) &&
	    admin_equal(srv, h->token, h->token_len));
	key = (h->has & PROTO_HAS_KEY) ? h->key : s->claim.url_key;
	if (claimed && key[0] != '\0' && key_hash(key, strlen(key),
	    hash) == 0)
		key_ok = same_hash(hash, sc->key_hash);
	live = client_session(srv, id);
	if (claimed && !key_ok && !admin) {
		logmsg(0, "client %s: refused %s: claimed, key %s", id,
		    s->peer, key[0] != '\0' ? "wrong" : "missing");
		*code = 4003;
		errmsg_set(why, whylen, "%s", CLAIM_NO_KEY);
		goto out;
	}
	if (!claimed && live != NULL && live != s && !admin &&
	    strcmp(live->peer, s->peer) != 0) {
		logmsg(0, "client %s: refused %s: in use by %s", id, s->peer,
		    live->peer);
		*code = 4009;
		errmsg_set(why, whylen, "%s", CLAIM_IN_USE);
		goto out;
	}
	if (s->v2 && ((h->has & PROTO_HAS_CLAIM) ? h->claim :
	    s->claim.url_claim)) {
		if (claimed && !admin)
			s->claim.note = NOTE_HELD;
		else if (!found || sc->points == 0 || admin) {
			if (issue(srv, s) == -1) {
				errmsg_set(why, whylen, "cannot make a key");
				goto out;
			}
		} else
			s->claim.note = NOTE_HISTORY;
	}
	if (!claimed && live != s) {
		complete(srv, h, own);
		*use = own;
	}
	rc = 0;
out:
	explicit_bzero(hash, sizeof(hash));
	free(sc);
	return rc;
}

void
claim_done(struct server *srv, struct session *s, const char *id)
{
	struct wop *op;
	size_t n;

	if (s->claim.issued[0] == '\0')
		return;
	n = strlen(s->claim.hash) + 1;
	if ((op = commit_op(srv, WOP_KEY, id)) == NULL ||
	    (op->blob = malloc(n)) == NULL) {
		if (op != NULL)
			batch_drop_last(srv->fill);
		logmsg(0, "client %s: out of memory: not claimed", id);
		explicit_bzero(s->claim.issued, sizeof(s->claim.issued));
		s->claim.note = NOTE_NOT_STORED;
		return;
	}
	memcpy(op->blob, s->claim.hash, n);
	op->len = n;
	client_set_key_hash(srv, id, s->claim.hash);
	s->claim.batch = srv->fill->id;
	logmsg(0, "client %s: claimed by %s", id, s->peer);
}

int
claim_ready(struct server *srv, struct session *s, struct jsonbuf *out,
    struct jsonbuf *alt, int *holds)
{
	struct store_client *sc = NULL;
	char err[256];
	int rc = 0, ok;

	*holds = 0;
	if (s->claim.issued[0] != '\0' && srv->fill->id != s->claim.batch) {
		/* its batch ran already: was it stored? */
		ok = s->client != NULL && stored(srv, s->client->id, 1, &sc,
		    err, sizeof(err)) == 1 && strcmp(sc->key_hash,
		    s->claim.hash) == 0;
		free(sc);
		if (!ok) {
			explicit_bzero(s->claim.issued,
			    sizeof(s->claim.issued));
			s->claim.note = NOTE_NOT_STORED;
		}
	}
	if (s->claim.issued[0] != '\0') {
		/* out without the key, as long as it is, is the alternative */
		if (jsonbuf_put_raw(alt, out->mem + out->headroom,
		    out->len) == -1 || proto_ready_claim(alt, NULL,
		    NOTE_NOT_STORED) == -1)
			rc = -1;
		*holds = 1;
	}
	if (s->claim.issued[0] != '\0' || s->claim.note != NULL)
		if (proto_ready_claim(out, s->claim.issued[0] != '\0' ?
		    s->claim.issued : NULL, s->claim.note) == -1)
			rc = -1;
	explicit_bzero(s->claim.issued, sizeof(s->claim.issued));
	s->claim.note = NULL;
	return rc;
}

int
claim_may_delete(struct server *srv, struct lws *wsi)
{
	if (srv->cfg.admin != NULL)
		return admin_authorized(srv, wsi);
	return token_authorized(srv, wsi);
}
