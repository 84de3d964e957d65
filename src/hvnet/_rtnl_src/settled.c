/* What an apply snapshot is made of, as bytes to hash (see hvnet/apply/settled.py).
 *
 * From the three dumps the snapshot is decoded from (hvnet.kernel.nldump), exactly the
 * values the snapshot takes (hvnet.kernel.netlink.snapshot_from_messages) and the planner
 * uses, in message order: per link its index, whether it is up, and its address, name,
 * MTU, parent, master, kind with the VLAN or bridge data and bridge port priority read,
 * and the IPv4/IPv6 devconf arrays; per address the snapshot keeps (not link-local, not
 * loopback) its family, prefix, link, whether it is permanent, and the address; per route
 * it keeps (main table, not the kernel's or from router advertisements) its family,
 * destination length, table, protocol, destination, link, gateway and metric. Runtime state the planner does not read is left
 * out on purpose (operstate, carrier, RUNNING, STP port states, counters, timers): it
 * settles after an apply has been verified, and keeping it would send the next no-op
 * through full planning for nothing. tests/apply/test_settled.py checks, on captured
 * dumps, that changing anything left out here leaves the snapshot as it was.
 */
#include "rtnl.h"

#include <errno.h>

#define RTM_NEWADDR_T 20
#define RTM_NEWROUTE_T 24
#define BIT(t) ((uint64_t)1 << (t))

static const uint64_t LINK_KEEP = BIT(1) | BIT(3) | BIT(4) | BIT(5) | BIT(10);
/* IFLA_ADDRESS, IFNAME, MTU, LINK, MASTER; LINKINFO (18) and AF_SPEC (26) are filtered */
static const uint64_t VLAN_KEEP = BIT(1) | BIT(5);           /* IFLA_VLAN_ID, PROTOCOL */
static const uint64_t BRIDGE_KEEP = BIT(1) | BIT(2) | BIT(3) | BIT(4) | BIT(5) | BIT(6) | BIT(7);
/* IFLA_BR_FORWARD_DELAY, HELLO_TIME, MAX_AGE, AGEING_TIME, STP_STATE, PRIORITY,
 * VLAN_FILTERING */
static const uint64_t BRPORT_KEEP = BIT(2);                  /* IFLA_BRPORT_PRIORITY */
static const uint64_t ADDR_KEEP = BIT(1) | BIT(2);           /* IFA_ADDRESS, IFA_LOCAL */
static const uint64_t ROUTE_KEEP = BIT(1) | BIT(4) | BIT(5) | BIT(6) | BIT(15);
/* RTA_DST, OIF, GATEWAY, PRIORITY, TABLE */

typedef struct {
    PyObject *out; /* bytearray */
} Sink;

static int emit(Sink *s, const void *data, Py_ssize_t n) {
    Py_ssize_t len = PyByteArray_GET_SIZE(s->out);
    if (PyByteArray_Resize(s->out, len + n) < 0)
        return -1;
    memcpy(PyByteArray_AS_STRING(s->out) + len, data, (size_t)n);
    return 0;
}

/* Marks where a group of attributes starts, so different layouts never hash alike. */
static int mark(Sink *s, uint16_t what) {
    uint16_t m[2] = {0xFFFF, what};
    return emit(s, m, sizeof m);
}

/* Copy the attributes of [start, end) whose type (below 64) is in `keep`, in order. */
static int keep_attrs(Sink *s, const Buf *b, Py_ssize_t start, Py_ssize_t end,
                      uint64_t keep) {
    if (end > b->size)
        end = b->size;
    for (Py_ssize_t i = start; i + 4 <= end;) {
        uint16_t length = rd16(b, i);
        if (length < 4)
            break;
        unsigned type = rd16(b, i + 2) & 0x3FFF;
        if (type < 64 && (keep >> type & 1)) {
            Py_ssize_t stop = i + length > end ? end : i + length;
            if (emit(s, b->buf + i, stop - i) < 0)
                return -1;
        }
        i += (Py_ssize_t)((length + 3) >> 2) << 2;
    }
    return 0;
}

/* The nest `key` of table t, filtered with `keep` (nothing when absent). */
static int keep_nest(Sink *s, const Buf *b, const Table *t, unsigned key, uint64_t keep,
                     uint16_t what) {
    int32_t pos = t->pos[key];
    if (pos < 0)
        return 0;
    if (mark(s, what) < 0)
        return -1;
    return keep_attrs(s, b, pos + 4, pos + rd16(b, pos), keep);
}

static int link_part(Sink *s, const Buf *b, Py_ssize_t start, Py_ssize_t end) {
    Link l;
    if (!read_link(b, start, end, &l))
        return 0;
    uint32_t head[2] = {l.index, l.flags & IFF_UP_FLAG};
    if (mark(s, RTM_NEWLINK_T) < 0 || emit(s, head, sizeof head) < 0 ||
        keep_attrs(s, b, start + 16, end, LINK_KEEP) < 0)
        return -1;
    if (l.has_info) {
        if (keep_nest(s, b, &l.top, A_LINKINFO, BIT(I_KIND) | BIT(I_SLAVE_KIND), 1) < 0)
            return -1;
        uint64_t data = l.is_vlan ? VLAN_KEEP : l.is_bridge ? BRIDGE_KEEP : 0;
        if (data && keep_nest(s, b, &l.info, I_DATA, data, 2) < 0)
            return -1;
        if (l.slave_bridge && keep_nest(s, b, &l.info, I_SLAVE_DATA, BRPORT_KEEP, 3) < 0)
            return -1;
    }
    Table spec;
    walk_nest(b, &l.top, 26, 0, &spec); /* IFLA_AF_SPEC */
    if (keep_nest(s, b, &spec, 2, BIT(1), 4) < 0 ||  /* AF_INET → IFLA_INET_CONF */
        keep_nest(s, b, &spec, 10, BIT(2), 5) < 0)   /* AF_INET6 → IFLA_INET6_CONF */
        return -1;
    return 0;
}

/* Whether the snapshot skips this address: link-local or loopback (it reads IFA_LOCAL,
 * else IFA_ADDRESS). IPv6 link-local addresses appear when DAD ends, after the verify. */
static int skipped_address(const Buf *b, const Table *t, uint8_t family) {
    unsigned key = plen(b, t, 2) > 0 ? 2 : 1;
    Py_ssize_t n = plen(b, t, key);
    if (n <= 0)
        return 0;
    const uint8_t *a = payload(b, t, key);
    if (family == 2 && n >= 4)
        return a[0] == 127 || (a[0] == 169 && a[1] == 254);
    if (family == 10 && n >= 16) {
        static const uint8_t loopback[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
        return (a[0] == 0xfe && (a[1] & 0xc0) == 0x80) || memcmp(a, loopback, 16) == 0;
    }
    return 0;
}

static int addr_part(Sink *s, const Buf *b, Py_ssize_t start, Py_ssize_t end) {
    Table t;
    unsigned long flags = 0;
    walk(b, start + 8, end, 0, &t);
    if (skipped_address(b, &t, b->buf[start]))
        return 0;
    /* the snapshot: IFA_FLAGS if present and non-zero, else ifa_flags; only "permanent" */
    if (!get_u32(b, &t, 8, &flags) || flags == 0)
        flags = b->buf[start + 2];
    uint8_t head[8] = {b->buf[start], b->buf[start + 1], (uint8_t)((flags & 0x80) != 0), 0};
    memcpy(head + 4, b->buf + start + 4, 4); /* ifa_index */
    if (mark(s, RTM_NEWADDR_T) < 0 || emit(s, head, sizeof head) < 0)
        return -1;
    return keep_attrs(s, b, start + 8, end, ADDR_KEEP);
}

static int route_part(Sink *s, const Buf *b, Py_ssize_t start, Py_ssize_t end) {
    /* Only the routes the snapshot keeps: the main table (RTA_TABLE, else rtm_table),
     * RTA_TABLE absent or 254, not made by the kernel or router advertisements (local and
     * IPv6 routes appear as addresses settle, after the verify). */
    Table t;
    unsigned long table = 0;
    walk(b, start + 12, end, 0, &t);
    int has_table = get_u32(b, &t, 15, &table);
    unsigned long effective = has_table && table ? table : b->buf[start + 4];
    uint8_t proto = b->buf[start + 5];
    if (effective != 254 || (has_table && table != 254) || proto == 2 || proto == 9)
        return 0;
    /* rtm_family, rtm_dst_len, rtm_table, rtm_protocol */
    uint8_t head[4] = {b->buf[start], b->buf[start + 1], b->buf[start + 4], proto};
    if (mark(s, RTM_NEWROUTE_T) < 0 || emit(s, head, sizeof head) < 0)
        return -1;
    return keep_attrs(s, b, start + 12, end, ROUTE_KEEP);
}

/* settled_bytes(buffer, size, out: bytearray, bonds: list) -> bool: see the top comment;
 * names of bonds are appended to `bonds` (their sysfs options are hashed by the caller).
 * True once NLMSG_DONE was seen. */
PyObject *settled_bytes(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    (void)self;
    if (nargs != 4 || !PyByteArray_Check(args[2]) || !PyList_Check(args[3])) {
        PyErr_SetString(PyExc_TypeError, "settled_bytes(buffer, size, out, bonds)");
        return NULL;
    }
    Py_ssize_t size = PyLong_AsSsize_t(args[1]);
    if (size == -1 && PyErr_Occurred())
        return NULL;
    Py_buffer view;
    if (PyObject_GetBuffer(args[0], &view, PyBUF_SIMPLE) < 0)
        return NULL;
    if (size < 0 || size > view.len)
        size = size < 0 ? 0 : view.len;
    Buf b = {(const uint8_t *)view.buf, size & ~(Py_ssize_t)3};
    Sink s = {args[2]};
    PyObject *done = Py_False;
    int rc = 0;
    for (Py_ssize_t pos = 0; pos + 16 <= b.size && rc == 0;) {
        uint32_t length = rd32(&b, pos);
        uint16_t mtype = rd16(&b, pos + 4);
        if (length < 16)
            break;
        Py_ssize_t start = pos + 16;
        Py_ssize_t end = pos + (Py_ssize_t)length > b.size ? b.size : pos + (Py_ssize_t)length;
        if (mtype == NLMSG_DONE_T) {
            done = Py_True;
            break;
        }
        if (mtype == NLMSG_ERROR_T) {
            int32_t code = pos + 20 <= b.size ? (int32_t)rd32(&b, pos + 16) : 0;
            if (code) {
                errno = -code;
                PyErr_SetFromErrno(PyExc_OSError);
                rc = -1;
            }
        } else if (mtype == RTM_NEWLINK_T && start + 16 <= end) {
            rc = link_part(&s, &b, start, end);
            Link l;
            if (rc == 0 && read_link(&b, start, end, &l) && l.is_bond) {
                PyObject *name = py_text(&b, &l.top, A_IFNAME);
                rc = name ? PyList_Append(args[3], name) : -1;
                Py_XDECREF(name);
            }
        } else if (mtype == RTM_NEWADDR_T && start + 8 <= end) {
            rc = addr_part(&s, &b, start, end);
        } else if (mtype == RTM_NEWROUTE_T && start + 12 <= end) {
            rc = route_part(&s, &b, start, end);
        }
        pos += ((Py_ssize_t)length + 3) & ~(Py_ssize_t)3;
    }
    PyBuffer_Release(&view);
    return rc < 0 ? NULL : Py_NewRef(done);
}
