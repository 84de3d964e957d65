/* A growable byte buffer that JSON text is written into (jsonbuf.c), with the spelling of
 * json.dumps(ensure_ascii=False): ", " and ": " separators, floats as repr(), strings
 * escaped as json.encoder.encode_basestring. */
#ifndef HVNET_JSONBUF_H
#define HVNET_JSONBUF_H

#include "rtnl.h"

typedef struct {
    char *p;
    Py_ssize_t len, cap;
} SB;

int sb_grow_slow(SB *sb, Py_ssize_t more);

static inline int sb_put(SB *sb, const char *s, Py_ssize_t n) {
    if (sb->len + n > sb->cap && sb_grow_slow(sb, n) < 0)
        return -1;
    memcpy(sb->p + sb->len, s, (size_t)n);
    sb->len += n;
    return 0;
}

/* A string literal, its length known at compile time. */
#define sb_lit(sb, literal) sb_put((sb), (literal), (Py_ssize_t)sizeof(literal) - 1)

int sb_uint(SB *sb, unsigned long long v);
int sb_float(SB *sb, double x);
int sb_str(SB *sb, PyObject *text);
int sb_value(SB *sb, PyObject *v);
int sb_hex(SB *sb, const uint8_t *s, Py_ssize_t n, Py_ssize_t dot_after);
/* The buffer's text as a str (the buffer is emptied for reuse). */
PyObject *sb_take(SB *sb);

#endif
