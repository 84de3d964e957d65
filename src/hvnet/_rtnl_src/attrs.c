/* Attribute walks and typed reads, shared by both entry points (see rtnl.h). */
#include "rtnl.h"

#include <stdio.h>

#define DEFINE(name) PyObject *k_##name;
KEYS(DEFINE)
#undef DEFINE
PyObject *k_bond, *k_bridge, *k_vlan, *s_8021q, *s_8021ad;

#define DEFINE_TABLE(name, n) PyObject *name[n];
TABLES(DEFINE_TABLE)
#undef DEFINE_TABLE

static const char *const OPERSTATES_c[] = {"unknown", "notpresent", "down", "lowerlayerdown",
                                           "testing", "dormant", "up"};
static const char *const BOND_MODES_c[] = {"balance-rr", "active-backup", "balance-xor",
                                           "broadcast", "802.3ad", "balance-tlb",
                                           "balance-alb"};
static const char *const SLAVE_MII_c[] = {"up", "going down", "down", "going back"};
static const char *const SLAVE_STATE_c[] = {"active", "backup"};
static const char *const XMIT_c[] = {"layer2", "layer3+4", "layer2+3", "encap2+3", "encap3+4",
                                     "vlan+srcmac"};
static const char *const ARP_VALIDATE_c[] = {"none", "active", "backup", "all", "filter",
                                             "filter_active", "filter_backup"};
static const char *const ARP_ALL_c[] = {"any", "all"};
static const char *const RESELECT_c[] = {"always", "better", "failure"};
static const char *const FOM_c[] = {"none", "active", "follow"};
static const char *const AD_SELECT_c[] = {"stable", "bandwidth", "count"};
static const char *const LACP_RATE_c[] = {"slow", "fast"};
static const char *const OFF_ON_c[] = {"off", "on"};
static const char *const PORT_STATES_c[] = {"disabled", "listening", "learning", "forwarding",
                                            "blocking"};

int intern_strings(void) {
#define INTERN(name)                                                                        \
    if ((k_##name = PyUnicode_InternFromString(#name)) == NULL)                             \
        return -1;
    KEYS(INTERN)
#undef INTERN
    if ((k_bond = PyUnicode_InternFromString("bond")) == NULL ||
        (k_bridge = PyUnicode_InternFromString("bridge")) == NULL ||
        (k_vlan = PyUnicode_InternFromString("vlan")) == NULL ||
        (s_8021q = PyUnicode_InternFromString("802.1q")) == NULL ||
        (s_8021ad = PyUnicode_InternFromString("802.1ad")) == NULL)
        return -1;
#define INTERN_TABLE(name, n)                                                               \
    for (size_t i = 0; i < n; i++)                                                          \
        if ((name[i] = PyUnicode_InternFromString(name##_c[i])) == NULL)                    \
            return -1;
    TABLES(INTERN_TABLE)
#undef INTERN_TABLE
    return 0;
}

/* One attribute level, as hvnet.status.rtnl.attrs(): with want == 0 every type is kept
 * (a later duplicate replaces an earlier one); with a want mask (types < 64) only those,
 * the first of each, and the walk stops once all were seen. */
void walk(const Buf *b, Py_ssize_t start, Py_ssize_t end, uint64_t want, Table *t) {
    memset(t->pos, 0xff, sizeof t->pos);
    if (end > b->size)
        end = b->size;
    Py_ssize_t i = start & ~(Py_ssize_t)1;
    Py_ssize_t stop = (end & ~(Py_ssize_t)1) - 2; /* a header needs 4 bytes before end */
    int left = want ? __builtin_popcountll(want) : 0;
    while (i < stop) {
        uint16_t length = rd16(b, i);
        if (length < 4)
            break;
        unsigned kind = rd16(b, i + 2) & 0x3FFF;
        if (!want) {
            if (kind < MAX_TYPE)
                t->pos[kind] = (int32_t)i;
        } else if (kind < 64 && (want >> kind & 1) && t->pos[kind] < 0) {
            t->pos[kind] = (int32_t)i;
            if (--left == 0)
                break;
        }
        i += (Py_ssize_t)((length + 3) >> 2) << 2;
    }
}

/* The attributes nested in `outer`'s attribute `key` (none when it is absent). */
void walk_nest(const Buf *b, const Table *outer, unsigned key, uint64_t want, Table *t) {
    int32_t pos = outer->pos[key];
    if (pos < 0)
        memset(t->pos, 0xff, sizeof t->pos);
    else
        walk(b, pos + 4, pos + rd16(b, pos), want, t);
}

/* Whether the attribute's text (up to its first NUL) is exactly `word`. */
static int text_is(const Buf *b, const Table *t, unsigned key, const char *word) {
    Py_ssize_t n = plen(b, t, key);
    if (n < 0)
        return 0;
    const char *s = (const char *)payload(b, t, key);
    const char *nul = memchr(s, 0, (size_t)n);
    if (nul != NULL)
        n = nul - s;
    return (size_t)n == strlen(word) && memcmp(s, word, (size_t)n) == 0;
}

/* Read one RTM_NEWLINK body (start: after the netlink header); 0 when it names no link. */
int read_link(const Buf *b, Py_ssize_t start, Py_ssize_t end, Link *l) {
    if (start + 16 > b->size)
        return 0;
    l->index = rd32(b, start + 4);
    l->flags = rd32(b, start + 8);
    l->type = rd16(b, start + 2);
    walk(b, start + 16, end, 0, &l->top);
    if (plen(b, &l->top, A_IFNAME) < 0)
        return 0;
    walk_nest(b, &l->top, A_LINKINFO, WANT(I_KIND, I_DATA, I_SLAVE_KIND, I_SLAVE_DATA),
              &l->info);
    l->has_info = l->info.pos[I_KIND] >= 0 || l->info.pos[I_DATA] >= 0 ||
                  l->info.pos[I_SLAVE_KIND] >= 0 || l->info.pos[I_SLAVE_DATA] >= 0;
    const Table *i = &l->info;
    l->is_bond = l->has_info && text_is(b, i, I_KIND, "bond");
    l->is_bridge = l->has_info && text_is(b, i, I_KIND, "bridge");
    l->is_vlan = l->has_info && text_is(b, i, I_KIND, "vlan");
    l->slave_bond = l->has_info && text_is(b, i, I_SLAVE_KIND, "bond");
    l->slave_bridge = l->has_info && text_is(b, i, I_SLAVE_KIND, "bridge");
    /* only what the Python decoder reads: a bridge's STP block, a port's first three */
    if (l->is_bridge)
        walk_nest(b, i, I_DATA, WANT(1, 2, 3, 4, 5, 6, 7, 10, 11, 12, 13, 14), &l->data);
    else if (l->is_bond || l->is_vlan)
        walk_nest(b, i, I_DATA, 0, &l->data);
    else
        memset(l->data.pos, 0xff, sizeof l->data.pos);
    if (l->slave_bridge)
        walk_nest(b, i, I_SLAVE_DATA, WANT(1, 2, 3), &l->slave);
    else if (l->slave_bond)
        walk_nest(b, i, I_SLAVE_DATA, 0, &l->slave);
    else
        memset(l->slave.pos, 0xff, sizeof l->slave.pos);
    return 1;
}

/* New references; None for an absent or short attribute. */
PyObject *py_u8(const Buf *b, const Table *t, unsigned key) {
    unsigned long v;
    return get_u8(b, t, key, &v) ? PyLong_FromUnsignedLong(v) : Py_NewRef(Py_None);
}

PyObject *py_u16(const Buf *b, const Table *t, unsigned key) {
    unsigned long v;
    return get_u16(b, t, key, &v) ? PyLong_FromUnsignedLong(v) : Py_NewRef(Py_None);
}

PyObject *py_u32(const Buf *b, const Table *t, unsigned key) {
    unsigned long v;
    return get_u32(b, t, key, &v) ? PyLong_FromUnsignedLong(v) : Py_NewRef(Py_None);
}

PyObject *py_flag(const Buf *b, const Table *t, unsigned key) {
    unsigned long v;
    return get_u8(b, t, key, &v) ? PyBool_FromLong(v != 0) : Py_NewRef(Py_None);
}

/* The payload up to its first NUL, decoded as UTF-8 with replacement. */
PyObject *py_text(const Buf *b, const Table *t, unsigned key) {
    Py_ssize_t n = plen(b, t, key);
    if (n < 0)
        return Py_NewRef(Py_None);
    const char *s = (const char *)payload(b, t, key);
    const char *nul = memchr(s, 0, (size_t)n);
    if (nul != NULL)
        n = nul - s;
    return PyUnicode_DecodeUTF8(s, n, "replace");
}

/* bytes.hex(":") of the payload; None when absent or empty. */
PyObject *py_mac(const Buf *b, const Table *t, unsigned key) {
    static const char digits[] = "0123456789abcdef";
    Py_ssize_t n = plen(b, t, key);
    if (n <= 0)
        return Py_NewRef(Py_None);
    const uint8_t *s = payload(b, t, key);
    PyObject *out = PyUnicode_New(n * 3 - 1, 127);
    if (out == NULL)
        return NULL;
    Py_UCS1 *p = PyUnicode_1BYTE_DATA(out);
    for (Py_ssize_t i = 0; i < n; i++) {
        if (i)
            *p++ = ':';
        *p++ = digits[s[i] >> 4];
        *p++ = digits[s[i] & 15];
    }
    return out;
}

/* A bridge timer in centiseconds as seconds. */
PyObject *py_seconds(const Buf *b, const Table *t, unsigned key) {
    unsigned long v;
    return get_u32(b, t, key, &v) ? PyFloat_FromDouble((double)v / 100.0) : Py_NewRef(Py_None);
}

/* struct ifla_bridge_id as sysfs prints it: ``8000.020000000b00``. */
PyObject *py_bridge_id(const Buf *b, const Table *t, unsigned key) {
    static const char digits[] = "0123456789abcdef";
    if (plen(b, t, key) < 8)
        return Py_NewRef(Py_None);
    const uint8_t *s = payload(b, t, key);
    char text[18];
    int j = 0;
    for (int i = 0; i < 8; i++) {
        if (i == 2)
            text[j++] = '.';
        text[j++] = digits[s[i] >> 4];
        text[j++] = digits[s[i] & 15];
    }
    return PyUnicode_FromStringAndSize(text, j);
}

/* table[value] when in range, str(value) otherwise, None when the attribute is absent. */
PyObject *name_of(PyObject *const *names, unsigned long count, int present,
                  unsigned long value) {
    if (!present)
        return Py_NewRef(Py_None);
    if (value < count)
        return Py_NewRef(names[value]);
    return PyUnicode_FromFormat("%lu", value);
}

/* {from: to} of IFLA_VLAN_{EGRESS,INGRESS}_QOS: every IFLA_VLAN_QOS_MAPPING in the nest. */
PyObject *qos_map(const Buf *b, const Table *d, unsigned key) {
    PyObject *out = PyDict_New();
    if (out == NULL || d->pos[key] < 0)
        return out;
    Py_ssize_t i = d->pos[key] + 4;
    Py_ssize_t end = d->pos[key] + rd16(b, d->pos[key]);
    if (end > b->size)
        end = b->size;
    while (i + 4 <= end) {
        uint16_t length = rd16(b, i);
        if (length < 4)
            break;
        if (length >= 12 && i + 12 <= b->size) {
            PyObject *from = PyLong_FromUnsignedLong(rd32(b, i + 4));
            PyObject *to = PyLong_FromUnsignedLong(rd32(b, i + 8));
            int rc = (from && to) ? PyDict_SetItem(out, from, to) : -1;
            Py_XDECREF(from);
            Py_XDECREF(to);
            if (rc < 0) {
                Py_DECREF(out);
                return NULL;
            }
        }
        i += (Py_ssize_t)((length + 3) >> 2) << 2;
    }
    return out;
}

PyObject *vlan_protocol(const Buf *b, const Table *d) {
    if (plen(b, d, 5) < 2)
        return Py_NewRef(Py_None);
    const uint8_t *p = payload(b, d, 5);
    unsigned long proto = (unsigned long)p[0] << 8 | p[1];
    if (proto == 0x8100)
        return Py_NewRef(s_8021q);
    if (proto == 0x88A8)
        return Py_NewRef(s_8021ad);
    char text[16];
    snprintf(text, sizeof text, "0x%04lx", proto);
    return PyUnicode_FromString(text);
}
