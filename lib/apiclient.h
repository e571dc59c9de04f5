/*
 * apiclient.h: a client of anomalyd's JSON API (SPEC §5) over
 * libwebsockets' HTTP client, for anomaly-top -u and anomaly-export -u.
 *
 * One apiclient reads one server: an http:// or https:// URL (https
 * verifies the server against the system's CA store, or cacert; insecure
 * skips the check), with an optional read token sent as "Authorization:
 * Bearer TOKEN".  Each GET is one request, made and awaited in the
 * caller's thread; its body is held whole (the callers ask for pages of a
 * bounded size, so memory stays flat).  Errors are returned as text, never
 * printed.
 */
#ifndef ANOMALY_APICLIENT_H
#define ANOMALY_APICLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

#define APICLIENT_BODY_MAX	(64u << 20)	/* bytes of one answer */

struct apiclient;

/* An answer: the HTTP status and the body (NUL-terminated, len bytes). */
struct apianswer {
	int	 status;
	char	*body;
	size_t	 len, cap;
};

/* A client of the server at url (http://host[:port][/] or https://).
 * token may be NULL; cacert a CA file or NULL for the system's store.
 * Returns it, or NULL with a message in err. */
struct apiclient *apiclient_new(const char *url, const char *token,
    const char *cacert, int insecure, char *err, size_t errlen);

/* The URL as given, for messages. */
const char *apiclient_url(const struct apiclient *c);

/* GETs path (starting with '/', arguments already encoded) into a (its
 * body reused from call to call).  Returns 0 with a->status set, or -1
 * when the server could not be reached or the answer was cut, with a
 * message in err. */
int apiclient_get(struct apiclient *c, const char *path, struct apianswer *a,
    char *err, size_t errlen);

/* Frees what a holds. */
void apianswer_free(struct apianswer *a);

/* Frees c. */
void apiclient_free(struct apiclient *c);

/* Appends the string s to buf (size bytes, NUL-terminated) as a URL
 * argument value (percent-encoded).  Returns 0, or -1 when it does not
 * fit. */
int apiclient_urlenc(char *buf, size_t size, const char *s);

/* A client's sparkline from /api/clients?spark=N: its newest values,
 * oldest first. */
#define APICLIENT_SPARK_MAX	160
struct apispark {
	int	 n;
	double	 value[APICLIENT_SPARK_MAX];
	unsigned char anomaly[APICLIENT_SPARK_MAX], alert[APICLIENT_SPARK_MAX];
};

/* GETs one page of /api/clients (after: a client_id or NULL; limit; spark:
 * values of each client's sparkline, 0 none) and calls fn(arg, client,
 * spark) for each client, in order of client_id (spark NULL when 0 were
 * asked).  Sets *count to the clients of the page.  Returns 0, or -1 with
 * a message in err (the HTTP status and the server's error when not
 * 200). */
int apiclient_clients(struct apiclient *c, const char *after, int limit,
    int spark, int (*fn)(void *arg, const struct store_client *cl,
    const struct apispark *sp), void *arg, int *count, char *err,
    size_t errlen);

/* GETs /api/clients/ID: 1 and *cl, 0 when there is no such client, -1
 * with a message in err. */
int apiclient_client(struct apiclient *c, const char *id,
    struct store_client *cl, char *err, size_t errlen);

/* GETs one page of client id's points: n > after, at most limit, only
 * those carrying one of flags (STORE_FLAG_; 0 all), in order of n, and
 * calls fn(arg, point) for each.  Sets *count to the points of the page.
 * Returns 0, or -1 with a message in err (no such client: 404). */
int apiclient_points(struct apiclient *c, const char *id, int64_t after,
    int64_t limit, int flags, int (*fn)(void *arg,
    const struct store_point *p), void *arg, int64_t *count, char *err,
    size_t errlen);

/* GETs path, an array of points of client id (/points or /events with
 * their arguments), and calls fn(arg, point) for each.  Sets *count to the
 * points read.  Returns 0, or -1 with a message in err. */
int apiclient_read_points(struct apiclient *c, const char *path,
    int (*fn)(void *arg, const struct store_point *p), void *arg,
    int64_t *count, char *err, size_t errlen);

/* GETs /api/alerts?limit=L: the newest alerts of every client, newest
 * first, and calls fn(arg, client_id, point) for each.  Returns 0, or -1
 * with a message in err. */
int apiclient_alerts(struct apiclient *c, int limit, int (*fn)(void *arg,
    const char *id, const struct store_point *p), void *arg, char *err,
    size_t errlen);

#endif
