/* JSON values written into an SB (see jsonbuf.h). */
#include "jsonbuf.h"

#include <stdio.h>

int sb_grow_slow(SB *sb, Py_ssize_t more) {
    Py_ssize_t cap = sb->cap ? sb->cap : 1024;
    while (cap < sb->len + more)
        cap *= 2;
    char *p = PyMem_Realloc(sb->p, (size_t)cap);
    if (p == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    sb->p = p;
    sb->cap = cap;
    return 0;
}

/* Decimal digits of an unsigned value, without printf. */
int sb_uint(SB *sb, unsigned long long v) {
    char text[24];
    int i = sizeof text;
    do {
        text[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    return sb_put(sb, text + i, (Py_ssize_t)sizeof text - i);
}

/* repr() of a float, fast for the kernel's centisecond timers (n / 100.0): the shortest
 * decimal that reads back as the same double is then n / 100 itself (two decimals of at
 * most 15 significant digits are never the same double), written as repr writes it. */
int sb_float(SB *sb, double x) {
    if (x >= 0 && x < 1e12) {
        unsigned long long n = (unsigned long long)(x * 100.0 + 0.5);
        if ((double)n / 100.0 == x) {
            char text[4];
            int len = 0;
            unsigned frac = (unsigned)(n % 100);
            if (sb_uint(sb, n / 100) < 0)
                return -1;
            text[len++] = '.';
            text[len++] = (char)('0' + frac / 10);
            if (frac % 10)
                text[len++] = (char)('0' + frac % 10);
            return sb_put(sb, text, len);
        }
    }
    if (Py_IS_NAN(x))
        return sb_lit(sb, "NaN");
    if (Py_IS_INFINITY(x))
        return x > 0 ? sb_lit(sb, "Infinity") : sb_lit(sb, "-Infinity");
    char *r = PyOS_double_to_string(x, 'r', 0, Py_DTSF_ADD_DOT_0, NULL);
    if (r == NULL)
        return -1;
    int rc = sb_put(sb, r, (Py_ssize_t)strlen(r));
    PyMem_Free(r);
    return rc;
}

/* A str as json.dumps(ensure_ascii=False) writes it (json.encoder.encode_basestring). */
int sb_str(SB *sb, PyObject *text) {
    Py_ssize_t n;
    const char *s = PyUnicode_AsUTF8AndSize(text, &n);
    if (s == NULL)
        return -1;
    if (sb->len + n * 6 + 2 > sb->cap && sb_grow_slow(sb, n * 6 + 2) < 0)
        return -1;
    char *o = sb->p + sb->len;
    *o++ = '"';
    for (Py_ssize_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\') {
            *o++ = (char)c;
            continue;
        }
        *o++ = '\\';
        switch (c) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '\b': *o++ = 'b'; break;
        case '\f': *o++ = 'f'; break;
        case '\n': *o++ = 'n'; break;
        case '\r': *o++ = 'r'; break;
        case '\t': *o++ = 't'; break;
        default: o += sprintf(o, "u%04x", c); break;
        }
    }
    *o++ = '"';
    sb->len = o - sb->p;
    return 0;
}

/* Lower-case hex of n bytes, ':' between them, or '.' once after `dot_after` bytes
 * (a bridge id) when dot_after > 0; always a quoted JSON string. */
int sb_hex(SB *sb, const uint8_t *s, Py_ssize_t n, Py_ssize_t dot_after) {
    static const char digits[] = "0123456789abcdef";
    if (sb->len + n * 3 + 2 > sb->cap && sb_grow_slow(sb, n * 3 + 2) < 0)
        return -1;
    char *o = sb->p + sb->len;
    *o++ = '"';
    for (Py_ssize_t i = 0; i < n; i++) {
        if (dot_after > 0 ? i == dot_after : i > 0)
            *o++ = dot_after > 0 ? '.' : ':';
        *o++ = digits[s[i] >> 4];
        *o++ = digits[s[i] & 15];
    }
    *o++ = '"';
    sb->len = o - sb->p;
    return 0;
}

/* None, bool, int, float, str, or a dict of those with int or str keys. */
int sb_value(SB *sb, PyObject *v) {
    if (v == NULL || v == Py_None)
        return sb_lit(sb, "null");
    if (v == Py_True)
        return sb_lit(sb, "true");
    if (v == Py_False)
        return sb_lit(sb, "false");
    if (PyLong_CheckExact(v)) {
        int overflow;
        long long x = PyLong_AsLongLongAndOverflow(v, &overflow);
        if (overflow == 0 && x >= 0)
            return sb_uint(sb, (unsigned long long)x);
        if (overflow == 0 && x == -1 && PyErr_Occurred())
            return -1;
        PyObject *r = PyObject_Str(v); /* negative or beyond 64 bits: Python's own digits */
        Py_ssize_t n;
        const char *s = r ? PyUnicode_AsUTF8AndSize(r, &n) : NULL;
        int rc = s ? sb_put(sb, s, n) : -1;
        Py_XDECREF(r);
        return rc;
    }
    if (PyFloat_CheckExact(v))
        return sb_float(sb, PyFloat_AS_DOUBLE(v));
    if (PyUnicode_CheckExact(v))
        return sb_str(sb, v);
    if (PyDict_CheckExact(v)) {
        PyObject *key, *item;
        Py_ssize_t pos = 0;
        int first = 1;
        if (sb_lit(sb, "{") < 0)
            return -1;
        while (PyDict_Next(v, &pos, &key, &item)) {
            if (!first && sb_lit(sb, ", ") < 0)
                return -1;
            first = 0;
            PyObject *k = PyUnicode_CheckExact(key) ? Py_NewRef(key) : PyObject_Str(key);
            int rc = k ? sb_str(sb, k) : -1;
            Py_XDECREF(k);
            if (rc < 0 || sb_lit(sb, ": ") < 0 || sb_value(sb, item) < 0)
                return -1;
        }
        return sb_lit(sb, "}");
    }
    PyErr_Format(PyExc_TypeError, "no JSON fragment for %.100s", Py_TYPE(v)->tp_name);
    return -1;
}

PyObject *sb_take(SB *sb) {
    PyObject *out = PyUnicode_DecodeUTF8(sb->p ? sb->p : "", sb->len, "strict");
    sb->len = 0;
    return out;
}
