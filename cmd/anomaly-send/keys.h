/*
 * keys.h: the keys anomaly-send keeps for the client ids it claimed
 * (anomaly(7), "Who may use a client_id"; anomaly-send(1), FILES).
 *
 * One line per server URL and client_id, "URL CLIENT_ID KEY", in
 * ${XDG_STATE_HOME:-$HOME/.local/state}/anomaly/keys or the file of
 * --key-file: the file mode 0600, the default's directory 0700.  A change
 * is written to a temporary file renamed over the old one, under a lock
 * on FILE.lock, so that senders running at once (make start) neither lose
 * nor tear each other's lines, and a reader never sees half a file.
 */
#ifndef ANOMALY_SEND_KEYS_H
#define ANOMALY_SEND_KEYS_H

#include <stddef.h>

/* The key file: opt when not NULL, else the default path, written to buf
 * (size bytes).  Returns buf, or NULL with a message in err when neither
 * XDG_STATE_HOME nor HOME is set or the path is too long. */
const char *keys_path(const char *opt, char *buf, size_t size, char *err,
    size_t errlen);

/* Reads the key of client id at server url from the key file path into
 * key (size bytes).  Returns 1, 0 when there is none (or no file), -1
 * with a message in err when the file cannot be read. */
int keys_get(const char *path, const char *url, const char *id, char *key,
    size_t size, char *err, size_t errlen);

/* Sets the key of client id at server url in the key file path (key NULL:
 * removes it), creating the file (mode 0600) and, when mkdirs is set, its
 * missing directories (mode 0700).  Returns 0, or -1 with a message in
 * err. */
int keys_put(const char *path, int mkdirs, const char *url, const char *id,
    const char *key, char *err, size_t errlen);

#endif
