/* Link messages of an apply snapshot, decoded as hvnet.kernel.nldump decodes them.
 *
 * Every plan, apply, verification and check reads one link dump; on a host with thousands
 * of links its Python decoding was the largest part of verifying an apply. This builds the
 * very same Msg objects (``msg["index"]``, ``msg.get_attr("IFLA_MTU")``, nested Msg for
 * IFLA_LINKINFO and IFLA_AF_SPEC) from the same attributes with the same rules; the
 * Python decoder stays the reference (tests/kernel/test_nldump_c.py compares both).
 */
#include "rtnl.h"

static PyObject *msg_class, *fields_slot, *attrs_slot;

static const char *const OPER_NAMES[7] = {"UNKNOWN", "NOTPRESENT",     "DOWN",
                                          "LOWERLAYERDOWN", "TESTING", "DORMANT", "UP"};

/* int.from_bytes(payload[:n], native order) of at most n bytes present. */
static PyObject *uint_of(const Buf *b, Py_ssize_t at, int n) {
    Py_ssize_t len = rd16(b, at) - 4;
    if (at + 4 + len > b->size)
        len = b->size - at - 4;
    if (len > n)
        len = n;
    if (len < 0)
        len = 0;
    unsigned long long v = 0;
    for (Py_ssize_t i = len - 1; i >= 0; i--) /* little-endian hosts (x86, arm64) */
        v = v << 8 | b->buf[at + 4 + i];
    return PyLong_FromUnsignedLongLong(v);
}

static PyObject *text_of(const Buf *b, Py_ssize_t at) {
    Py_ssize_t len = rd16(b, at) - 4;
    if (at + 4 + len > b->size)
        len = b->size - at - 4;
    if (len < 0)
        len = 0;
    const char *s = (const char *)b->buf + at + 4;
    const char *nul = memchr(s, 0, (size_t)len);
    return PyUnicode_DecodeUTF8(s, nul ? nul - s : len, "replace");
}

/* A Msg(fields, attrs), its two slots stored through their descriptors: calling the class
 * ran its Python __init__, seven times per link. Steals both references. */
static PyObject *new_msg(PyObject *fields, PyObject *attrs) {
    PyObject *m = NULL;
    if (fields != NULL && attrs != NULL) {
        PyTypeObject *type = (PyTypeObject *)msg_class;
        m = type->tp_alloc(type, 0);
        if (m != NULL && (Py_TYPE(fields_slot)->tp_descr_set(fields_slot, m, fields) < 0 ||
                          Py_TYPE(attrs_slot)->tp_descr_set(attrs_slot, m, attrs) < 0))
            Py_CLEAR(m);
    }
    Py_XDECREF(fields);
    Py_XDECREF(attrs);
    return m;
}

/* Interned attribute names: made once, found by the literal's address (no hashing). */
static PyObject *key(const char *name) {
    static struct {
        const char *name;
        PyObject *key;
    } cache[64];
    static int used;
    for (int i = 0; i < used; i++)
        if (cache[i].name == name)
            return cache[i].key;
    PyObject *k = PyUnicode_InternFromString(name);
    if (k != NULL && used < 64) {
        cache[used].name = name;
        cache[used++].key = k; /* kept for the life of the process */
    }
    return k;
}

static int set(PyObject *d, const char *name, PyObject *value) {
    PyObject *k = key(name);
    if (value == NULL || k == NULL) {
        Py_XDECREF(value);
        return -1;
    }
    int rc = PyDict_SetItem(d, k, value);
    Py_DECREF(value);
    return rc;
}

typedef struct {
    unsigned type;
    const char *name;
    int width; /* bytes read; -2: big-endian u16 */
} Entry;

static const Entry VLAN_TABLE[] = {{1, "IFLA_VLAN_ID", 2}, {5, "IFLA_VLAN_PROTOCOL", -2}};
static const Entry BRIDGE_TABLE[] = {
    {1, "IFLA_BR_FORWARD_DELAY", 4}, {2, "IFLA_BR_HELLO_TIME", 4},
    {3, "IFLA_BR_MAX_AGE", 4},       {4, "IFLA_BR_AGEING_TIME", 4},
    {5, "IFLA_BR_STP_STATE", 4},     {6, "IFLA_BR_PRIORITY", 2},
    {7, "IFLA_BR_VLAN_FILTERING", 1}};
static const Entry PORT_TABLE[] = {
    {1, "IFLA_BRPORT_STATE", 1}, {2, "IFLA_BRPORT_PRIORITY", 2}, {3, "IFLA_BRPORT_COST", 4}};

/* nldump._wanted: the table's attributes of one nest (a repeated one replaces the earlier),
 * stopping once all were found. */
static PyObject *wanted(const Buf *b, Py_ssize_t start, Py_ssize_t end, const Entry *table,
                        int count) {
    PyObject *out = PyDict_New();
    if (out == NULL)
        return NULL;
    if (end > b->size)
        end = b->size;
    for (Py_ssize_t pos = start; pos + 4 <= end;) {
        uint16_t length = rd16(b, pos);
        if (length < 4)
            break;
        unsigned type = rd16(b, pos + 2) & 0x3FFF;
        for (int i = 0; i < count; i++) {
            if (table[i].type != type)
                continue;
            PyObject *v;
            if (table[i].width == -2) {
                if (length < 6) {
                    PyErr_SetString(PyExc_ValueError, "short VLAN protocol");
                    Py_DECREF(out);
                    return NULL;
                }
                v = PyLong_FromUnsignedLong((unsigned long)b->buf[pos + 4] << 8 | b->buf[pos + 5]);
            } else {
                v = uint_of(b, pos, table[i].width);
            }
            if (set(out, table[i].name, v) < 0) {
                Py_DECREF(out);
                return NULL;
            }
        }
        if (PyDict_GET_SIZE(out) == count)
            break;
        pos += ((Py_ssize_t)length + 3) & ~(Py_ssize_t)3;
    }
    return out;
}

static PyObject *linkinfo(const Buf *b, const Link *l) {
    Table raw;
    walk_nest(b, &l->top, A_LINKINFO, 0, &raw); /* nldump._nest: the last of each type */
    PyObject *attrs = PyDict_New();
    if (attrs == NULL)
        return NULL;
    PyObject *kind = raw.pos[I_KIND] >= 0 ? text_of(b, raw.pos[I_KIND]) : PyUnicode_FromString("");
    PyObject *slave = raw.pos[I_SLAVE_KIND] >= 0 ? text_of(b, raw.pos[I_SLAVE_KIND])
                                                  : PyUnicode_FromString("");
    int rc = kind && slave ? 0 : -1;
    if (rc == 0)
        rc = set(attrs, "IFLA_INFO_KIND",
                 PyUnicode_GET_LENGTH(kind) ? Py_NewRef(kind) : Py_NewRef(Py_None));
    int32_t at = raw.pos[I_DATA];
    if (rc == 0 && at >= 0) {
        const Entry *table = NULL;
        int count = 0;
        if (PyUnicode_CompareWithASCIIString(kind, "vlan") == 0)
            table = VLAN_TABLE, count = 2;
        else if (PyUnicode_CompareWithASCIIString(kind, "bridge") == 0)
            table = BRIDGE_TABLE, count = 7;
        if (table)
            rc = set(attrs, "IFLA_INFO_DATA",
                     new_msg(PyDict_New(), wanted(b, at + 4, at + rd16(b, at), table, count)));
    }
    at = raw.pos[I_SLAVE_DATA];
    if (rc == 0 && at >= 0 && PyUnicode_CompareWithASCIIString(slave, "bridge") == 0)
        rc = set(attrs, "IFLA_INFO_SLAVE_DATA",
                 new_msg(PyDict_New(), wanted(b, at + 4, at + rd16(b, at), PORT_TABLE, 3)));
    Py_XDECREF(kind);
    Py_XDECREF(slave);
    if (rc < 0) {
        Py_DECREF(attrs);
        return NULL;
    }
    return new_msg(PyDict_New(), attrs);
}

/* nldump._conf: chosen values of a devconf array (None when the nest lacks the array). */
static PyObject *conf(const Buf *b, int32_t family, unsigned kind, const char *const *names,
                      const int *index, int n, int is_signed) {
    Table t;
    walk(b, family + 4, family + rd16(b, family), 0, &t);
    int32_t at = t.pos[kind];
    if (at < 0)
        return Py_NewRef(Py_None);
    Py_ssize_t count = (rd16(b, at) - 4) >> 2;
    PyObject *values = PyDict_New();
    if (values == NULL)
        return NULL;
    for (int i = 0; i < n; i++) {
        if (index[i] >= count || at + 4 + 4 * (index[i] + 1) > b->size)
            continue;
        uint32_t v = rd32(b, at + 4 + 4 * index[i]);
        PyObject *o = is_signed ? PyLong_FromLong((int32_t)v) : PyLong_FromUnsignedLong(v);
        if (set(values, names[i], o) < 0) {
            Py_DECREF(values);
            return NULL;
        }
    }
    return new_msg(values, PyDict_New());
}

static PyObject *af_spec(const Buf *b, const Link *l) {
    static const char *const inet_names[2] = {"rp_filter", "arp_ignore"};
    static const int inet_index[2] = {7, 18};
    static const char *const inet6_names[1] = {"disable_ipv6"};
    static const int inet6_index[1] = {26};
    Table families;
    walk_nest(b, &l->top, 26, 0, &families);
    PyObject *attrs = PyDict_New();
    if (attrs == NULL)
        return NULL;
    int rc = 0;
    if (families.pos[2] >= 0) /* AF_INET */
        rc = set(attrs, "AF_INET", conf(b, families.pos[2], 1, inet_names, inet_index, 2, 0));
    if (rc == 0 && families.pos[10] >= 0) { /* AF_INET6 */
        PyObject *inner = PyDict_New();
        rc = inner ? set(inner, "IFLA_INET6_CONF",
                         conf(b, families.pos[10], 2, inet6_names, inet6_index, 1, 1))
                   : -1;
        rc = rc == 0 ? set(attrs, "AF_INET6", new_msg(PyDict_New(), inner)) : (Py_XDECREF(inner), -1);
    }
    if (rc < 0) {
        Py_DECREF(attrs);
        return NULL;
    }
    return new_msg(PyDict_New(), attrs);
}

static PyObject *link_msg(const Buf *b, Py_ssize_t start, Py_ssize_t end) {
    static const struct {
        unsigned type;
        const char *name;
    } top[7] = {{1, "IFLA_ADDRESS"}, {3, "IFLA_IFNAME"}, {4, "IFLA_MTU"}, {5, "IFLA_LINK"},
                {10, "IFLA_MASTER"}, {16, "IFLA_OPERSTATE"}, {33, "IFLA_CARRIER"}};
    Link l;
    l.index = rd32(b, start + 4);
    l.flags = rd32(b, start + 8);
    walk(b, start + 16, end, 0, &l.top); /* nldump._link_at: the last of each type */
    PyObject *attrs = PyDict_New();
    if (attrs == NULL)
        return NULL;
    for (int i = 0; i < 7; i++) {
        int32_t at = l.top.pos[top[i].type];
        if (at < 0)
            continue;
        Py_ssize_t len = rd16(b, at) - 4;
        if (at + 4 + len > b->size)
            len = b->size - at - 4;
        PyObject *v;
        switch (top[i].type) {
        case 1:
            v = len > 0 ? py_mac(b, &l.top, 1) : PyUnicode_FromString("");
            break;
        case 3:
            v = text_of(b, at);
            break;
        case 16:
            v = len < 1 ? NULL : Py_XNewRef(key(OPER_NAMES[b->buf[at + 4] < 7 ? b->buf[at + 4] : 0]));
            if (len < 1)
                PyErr_SetString(PyExc_IndexError, "empty IFLA_OPERSTATE");
            break;
        case 33:
            v = len < 1 ? NULL : PyLong_FromLong(b->buf[at + 4]);
            if (len < 1)
                PyErr_SetString(PyExc_IndexError, "empty IFLA_CARRIER");
            break;
        default:
            v = uint_of(b, at, 4);
        }
        if (set(attrs, top[i].name, v) < 0) {
            Py_DECREF(attrs);
            return NULL;
        }
    }
    int rc = 0;
    if (l.top.pos[A_LINKINFO] >= 0)
        rc = set(attrs, "IFLA_LINKINFO", linkinfo(b, &l));
    if (rc == 0 && l.top.pos[26] >= 0)
        rc = set(attrs, "IFLA_AF_SPEC", af_spec(b, &l));
    if (rc < 0) {
        Py_DECREF(attrs);
        return NULL;
    }
    PyObject *fields = PyDict_New();
    if (fields == NULL || set(fields, "index", PyLong_FromUnsignedLong(l.index)) < 0 ||
        set(fields, "flags", PyLong_FromUnsignedLong(l.flags)) < 0) {
        Py_XDECREF(fields);
        Py_DECREF(attrs);
        return NULL;
    }
    return new_msg(fields, attrs);
}

/* snapshot_links(buffer, size, seq, out, Msg) -> bool: nldump.decode_buffer for links. */
PyObject *snapshot_links(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    (void)self;
    if (nargs != 5 || !PyList_Check(args[3])) {
        PyErr_SetString(PyExc_TypeError, "snapshot_links(buffer, size, seq, out, Msg)");
        return NULL;
    }
    Py_ssize_t size = PyLong_AsSsize_t(args[1]);
    unsigned long seq = PyLong_AsUnsignedLong(args[2]);
    if (PyErr_Occurred())
        return NULL;
    if (msg_class != args[4]) { /* the slot descriptors of this Msg class, once */
        PyObject *f = PyObject_GetAttrString(args[4], "fields");
        PyObject *a = PyObject_GetAttrString(args[4], "attrs");
        if (f == NULL || a == NULL || !PyType_Check(args[4]) || Py_TYPE(f)->tp_descr_set == NULL ||
            Py_TYPE(a)->tp_descr_set == NULL) {
            Py_XDECREF(f);
            Py_XDECREF(a);
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_TypeError, "Msg must have slots 'fields' and 'attrs'");
            return NULL;
        }
        Py_XSETREF(fields_slot, f);
        Py_XSETREF(attrs_slot, a);
        Py_XSETREF(msg_class, Py_NewRef(args[4]));
    }
    Py_buffer view;
    if (PyObject_GetBuffer(args[0], &view, PyBUF_SIMPLE) < 0)
        return NULL;
    if (size < 0 || size > view.len)
        size = size < 0 ? 0 : view.len;
    /* As nldump: attributes are walked within the buffer cut to a multiple of 4 bytes,
     * payloads are sliced from the whole buffer. */
    Buf b = {(const uint8_t *)view.buf, size};
    Py_ssize_t walk_end = size & ~(Py_ssize_t)3;
    PyObject *result = Py_False;
    for (Py_ssize_t pos = 0; pos + 16 <= b.size;) {
        uint32_t length = rd32(&b, pos);
        uint16_t mtype = rd16(&b, pos + 4);
        uint32_t got = rd32(&b, pos + 8);
        Py_ssize_t here = pos;
        pos += ((Py_ssize_t)length + 3) & ~(Py_ssize_t)3;
        if (length < 16) /* nldump would not advance: it never sees this from a kernel */
            break;
        if (got != seq)
            continue;
        if (mtype == NLMSG_DONE_T) {
            result = Py_True;
            break;
        }
        if (mtype == NLMSG_ERROR_T) {
            int32_t code = here + 20 <= b.size ? (int32_t)rd32(&b, here + 16) : 0;
            PyObject *exc = PyObject_CallFunction(PyExc_OSError, "is", -code,
                                                  "netlink dump 18 failed");
            if (exc) {
                PyErr_SetObject(PyExc_OSError, exc);
                Py_DECREF(exc);
            }
            result = NULL;
            break;
        }
        if (here + 28 > walk_end) { /* no room for ifi_index and ifi_flags */
            PyErr_SetString(PyExc_IndexError, "truncated link message");
            result = NULL;
            break;
        }
        Py_ssize_t end = here + (Py_ssize_t)length > walk_end ? walk_end : here + (Py_ssize_t)length;
        PyObject *m = link_msg(&b, here + 16, end);
        if (m == NULL || PyList_Append(args[3], m) < 0) {
            Py_XDECREF(m);
            result = NULL;
            break;
        }
        Py_DECREF(m);
    }
    PyBuffer_Release(&view);
    return result ? Py_NewRef(result) : NULL;
}
