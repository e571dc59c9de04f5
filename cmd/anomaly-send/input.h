/*
 * input.h: anomaly-send's rows: the CSV files of a job read in turn, their
 * columns checked or guessed, each good row paced (--rate, --realtime),
 * shifted on --loop's laps, skipped by --resume, and let into the ring of
 * rows in flight.
 */
#ifndef ANOMALY_SEND_INPUT_H
#define ANOMALY_SEND_INPUT_H

#include "send.h"

/* Before the job connects: checks that every file of the job can be read
 * and has the columns asked for, then opens the first one.  Returns 0, or
 * -1 when the job must not connect, having said why (s->failed and
 * s->bad_input set for a bad file or column; neither for an empty single
 * file). */
int input_start(struct sender *s);

/* Lets rows into the ring, each when it is due, until the ring holds
 * s->inflight rows or the input ends (s->input_done set); a row not yet
 * due sets a timer that asks for a writeable callback on s->wsi. */
void input_fill(struct sender *s);

/* At the end of a job: stops the pacing timer, closes the file being
 * read and drops --loop's lap 0 times and values. */
void input_end(struct sender *s);

#endif
