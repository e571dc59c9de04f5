/*
 * le.h: numbers to and from little-endian bytes, whatever the machine.
 *
 * Saved detector state (detect, iforest) is written with these, so a state
 * saved on one machine loads on any other.  Doubles travel as the bits of
 * their IEEE 754 representation.
 */
#ifndef ANOMALY_LE_H
#define ANOMALY_LE_H

#include <stdint.h>
#include <string.h>

/* Writes v at p, low byte first; returns the byte after it. */
static inline unsigned char *
le_put16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	return p + 2;
}

static inline unsigned char *
le_put32(unsigned char *p, uint32_t v)
{
	p = le_put16(p, (uint16_t)v);
	return le_put16(p, (uint16_t)(v >> 16));
}

static inline unsigned char *
le_put64(unsigned char *p, uint64_t v)
{
	p = le_put32(p, (uint32_t)v);
	return le_put32(p, (uint32_t)(v >> 32));
}

/* Reads the number written at p by the le_put of its width. */
static inline uint16_t
le_get16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t
le_get32(const unsigned char *p)
{
	return le_get16(p) | (uint32_t)le_get16(p + 2) << 16;
}

static inline uint64_t
le_get64(const unsigned char *p)
{
	return le_get32(p) | (uint64_t)le_get32(p + 4) << 32;
}

/* The bits of v, and the double of bits b. */
static inline uint64_t
le_double_bits(double v)
{
	uint64_t b;

	memcpy(&b, &v, sizeof(b));
	return b;
}

static inline double
le_bits_double(uint64_t b)
{
	double v;

	memcpy(&v, &b, sizeof(v));
	return v;
}

#endif
