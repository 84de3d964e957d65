/*
 * hvnet._rtnl: rtnetlink link dumps decoded in C (shared declarations).
 *
 * Why C: `hvnet status --json` must stay within 2x of `ip -d -j link show` on hosts with
 * thousands of links (issue #5). Decoding some forty attributes per link message in
 * Python bytecode costs several times what `ip` spends on the whole dump. Two entry
 * points (module.c):
 *
 *   decode_dump  the RawLink objects of hvnet.status.rtnl, exactly as its Python decoder
 *                returns them (rawlink.c); the Python decoder stays the reference and the
 *                fallback when this module is not built;
 *   status_rows  for hvnet.status.fastjson: per link the few values the status document
 *                needs across links, plus the link's own facts already written as JSON
 *                text (rows.c, jsonbuf.c), and RawLinks for bonds and their slaves only;
 *   snapshot_links  the link messages of an apply snapshot as hvnet.kernel.nldump decodes
 *                them (snaplink.c);
 *   settled_bytes  for hvnet.apply.settled: the dumps an apply snapshot is taken from,
 *                without what moves on its own (settled.c), to hash.
 *
 * tests/status/test_rtnl_c.py and test_fastjson.py check both against the Python
 * reference on captured kernel dumps and fuzzed buffers. Numbers are from
 * include/uapi/linux/if_link.h and rtnetlink.h. Reads never go past the buffer: a
 * malformed attribute is treated as absent or short.
 */
#ifndef HVNET_RTNL_H
#define HVNET_RTNL_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#define NLMSG_ERROR_T 2
#define NLMSG_DONE_T 3
#define RTM_NEWLINK_T 16
#define IFF_UP_FLAG 0x1
#define MAX_TYPE 128 /* attribute types at or above this are never read */

/* IFLA_* */
enum { A_ADDRESS = 1, A_IFNAME = 3, A_MTU = 4, A_LINK = 5, A_MASTER = 10, A_OPERSTATE = 16,
       A_LINKINFO = 18, A_STATS64 = 23, A_CARRIER = 33, A_CARRIER_CHANGES = 35, A_NETNSID = 37 };
/* IFLA_INFO_* */
enum { I_KIND = 1, I_DATA = 2, I_SLAVE_KIND = 4, I_SLAVE_DATA = 5 };

typedef struct {
    const uint8_t *buf; /* the whole receive buffer */
    Py_ssize_t size;    /* its usable length (a multiple of 4) */
} Buf;

/* Position (offset of the attribute header) per type, -1 when absent. */
typedef struct {
    int32_t pos[MAX_TYPE];
} Table;

/* Everything read of one link message: its tables and header fields. */
typedef struct {
    Table top, info, data, slave;
    uint32_t index, flags;
    uint16_t type;
    int has_info;         /* IFLA_LINKINFO held at least one wanted attribute */
    int is_bond, is_bridge, is_vlan, slave_bond, slave_bridge;
} Link;

static inline uint16_t rd16(const Buf *b, Py_ssize_t off) {
    uint16_t v;
    memcpy(&v, b->buf + off, 2);
    return v;
}

static inline uint32_t rd32(const Buf *b, Py_ssize_t off) {
    uint32_t v;
    memcpy(&v, b->buf + off, 4);
    return v;
}

/* Attribute `key`'s payload length (bytes inside the buffer), or -1 when absent. */
static inline Py_ssize_t plen(const Buf *b, const Table *t, unsigned key) {
    int32_t pos = t->pos[key];
    if (pos < 0)
        return -1;
    Py_ssize_t length = rd16(b, pos);
    if (pos + length > b->size)
        length = b->size - pos;
    return length - 4;
}

static inline const uint8_t *payload(const Buf *b, const Table *t, unsigned key) {
    return b->buf + t->pos[key] + 4;
}

static inline int get_u8(const Buf *b, const Table *t, unsigned key, unsigned long *out) {
    if (plen(b, t, key) < 1)
        return 0;
    *out = payload(b, t, key)[0];
    return 1;
}

static inline int get_u16(const Buf *b, const Table *t, unsigned key, unsigned long *out) {
    if (plen(b, t, key) < 2)
        return 0;
    *out = rd16(b, t->pos[key] + 4);
    return 1;
}

static inline int get_u32(const Buf *b, const Table *t, unsigned key, unsigned long *out) {
    if (plen(b, t, key) < 4)
        return 0;
    *out = rd32(b, t->pos[key] + 4);
    return 1;
}

/* attrs.c */
void walk(const Buf *b, Py_ssize_t start, Py_ssize_t end, uint64_t want, Table *t);
void walk_nest(const Buf *b, const Table *outer, unsigned key, uint64_t want, Table *t);
int read_link(const Buf *b, Py_ssize_t start, Py_ssize_t end, Link *l);
PyObject *py_u8(const Buf *b, const Table *t, unsigned key);
PyObject *py_u16(const Buf *b, const Table *t, unsigned key);
PyObject *py_u32(const Buf *b, const Table *t, unsigned key);
PyObject *py_flag(const Buf *b, const Table *t, unsigned key);
PyObject *py_text(const Buf *b, const Table *t, unsigned key);
PyObject *py_mac(const Buf *b, const Table *t, unsigned key);
PyObject *py_seconds(const Buf *b, const Table *t, unsigned key);
PyObject *py_bridge_id(const Buf *b, const Table *t, unsigned key);
PyObject *name_of(PyObject *const *names, unsigned long count, int present,
                  unsigned long value);
PyObject *qos_map(const Buf *b, const Table *d, unsigned key);
int intern_strings(void);

/* Interned strings: dict keys and the spellings of kernel enums (attrs.c). */
#define KEYS(X)                                                                             \
    X(ifindex) X(iflink) X(kind) X(type) X(operstate) X(carrier) X(carrier_changes) X(mtu) \
    X(address) X(statistics) X(mode) X(active_slave) X(primary) X(miimon_ms)              \
    X(updelay_ms) X(downdelay_ms) X(use_carrier) X(arp_interval_ms) X(arp_ip_targets)     \
    X(arp_validate) X(arp_all_targets) X(primary_reselect) X(fail_over_mac)               \
    X(xmit_hash_policy) X(num_peer_notif) X(all_slaves_active) X(min_links)               \
    X(packets_per_slave) X(lacp_rate) X(ad_select) X(ad_aggregator) X(ad_num_ports)       \
    X(ad_actor_key) X(ad_partner_key) X(ad_partner_mac) X(ad_actor_sys_prio)              \
    X(ad_user_port_key) X(ad_actor_system) X(tlb_dynamic_lb) X(peer_notif_delay_ms)       \
    X(lacp_active) X(arp_missed_max) X(forward_delay_s) X(hello_time_s) X(max_age_s)      \
    X(ageing_time_s) X(stp_state) X(priority) X(vlan_filtering) X(root_id) X(bridge_id)   \
    X(root_port) X(root_path_cost) X(topology_change) X(vid) X(protocol) X(flags)         \
    X(egress_map) X(ingress_map) X(state) X(mii_status) X(link_failure_count)             \
    X(perm_hwaddr) X(queue_id) X(ad_aggregator_id) X(ad_actor_oper_port_state)           \
    X(ad_partner_oper_port_state) X(state_name) X(path_cost) X(rx_packets) X(tx_packets)  \
    X(rx_bytes) X(tx_bytes) X(rx_errors) X(tx_errors) X(rx_dropped) X(tx_dropped)         \
    X(multicast)

#define DECLARE(name) extern PyObject *k_##name;
KEYS(DECLARE)
#undef DECLARE
extern PyObject *k_bond, *k_bridge, *k_vlan, *s_8021q, *s_8021ad;

#define TABLES(X)                                                                           \
    X(OPERSTATES, 7) X(BOND_MODES, 7) X(SLAVE_MII, 4) X(SLAVE_STATE, 2) X(XMIT, 6)        \
    X(ARP_VALIDATE, 7) X(ARP_ALL, 2) X(RESELECT, 3) X(FOM, 3) X(AD_SELECT, 3)             \
    X(LACP_RATE, 2) X(OFF_ON, 2) X(PORT_STATES, 5)
#define DECLARE_TABLE(name, n) extern PyObject *name[n];
TABLES(DECLARE_TABLE)
#undef DECLARE_TABLE
#define COUNT(t) (sizeof(t) / sizeof(t[0]))

/* The VLAN protocol as the Python decoder spells it (new reference). */
PyObject *vlan_protocol(const Buf *b, const Table *d);

#define WANT(...)                                                                           \
    want_mask((const unsigned[]){__VA_ARGS__},                                              \
              sizeof((const unsigned[]){__VA_ARGS__}) / sizeof(unsigned))
static inline uint64_t want_mask(const unsigned *types, size_t n) {
    uint64_t m = 0;
    for (size_t i = 0; i < n; i++)
        m |= (uint64_t)1 << types[i];
    return m;
}

/* rawlink.c */
typedef struct {
    PyObject *raw_link;   /* RawLink(index, name, link, kind, link_index, master, data, */
                          /*         slave_kind, slave_data) */
    PyObject *vlan_flags; /* VlanFlags(reorder_hdr, gvrp, mvrp, loose_binding, */
                          /*           bridge_binding) */
    PyObject *lacp_state; /* LacpPortState.from_int */
} Factories;

PyObject *raw_link(const Buf *b, const Link *l, PyObject *name, PyObject *kind,
                   PyObject *slave_kind, const Factories *f);

/* snaplink.c */
PyObject *snapshot_links(PyObject *self, PyObject *const *args, Py_ssize_t nargs);

/* settled.c */
PyObject *settled_bytes(PyObject *self, PyObject *const *args, Py_ssize_t nargs);

/* rows.c */
PyObject *status_row(const Buf *b, const Link *l, PyObject *name, PyObject *kind,
                     PyObject *slave_kind);

#endif
