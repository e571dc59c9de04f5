/*
 * detect_state.h: a detector's whole state as bytes, to store with its
 * client and load after a restart (SPEC §3.4: restart-exact).  The bytes
 * are the same on every machine.  To load a state, use detector_load()
 * (detect.h); detect_state_load() is its inside.
 */
#ifndef ANOMALY_DETECT_STATE_H
#define ANOMALY_DETECT_STATE_H

#include <stddef.h>

struct detector;

/* The version of the state format detector_save() writes. */
#define DETECT_STATE_FORMAT	6

/* The number of bytes detector_save() writes now. */
size_t detector_state_size(const struct detector *d);

/* Writes d's whole state to buf (detector_state_size() bytes, machine
 * independent).  A detector loaded from it judges every later point exactly
 * as d would. */
void detector_save(const struct detector *d, unsigned char *buf);

/* Sets the fresh detector d (no points yet, made by detector_new() for
 * the client and settings the state was saved with) to the state in the
 * buflen bytes at buf.  Returns 0, or -1 with a message when the state is
 * damaged, of another format, or of other settings, or memory is short
 * (then d is half-loaded: free it). */
int detect_state_load(struct detector *d, const unsigned char *buf,
    size_t buflen, char *err, size_t errlen);

#endif
