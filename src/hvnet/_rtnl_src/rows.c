/* Status rows for hvnet.status.fastjson (see rtnl.h).
 *
 * A row holds the few values the status document needs across links (name, index, kind,
 * master, parent, operstate, MTU, MAC, a port's STP state) and the link's own facts
 * already written as JSON fragments, in the document's field order:
 *
 *   0 name   1 index   2 kind   3 slave_kind   4 master_index   5 link_index
 *   6 operstate   7 mtu   8 address   9 port_state
 *   10 "name" quoted   11 kind .. address   12 carrier_changes, statistics
 *   13..15 VLAN: vid | protocol, operstate | mtu .. egress_map;  bridge: 13 operstate ..
 *          vlan_filtering   16 bridge port: stp_state .. address
 *
 * Each value is read from the attribute tables with the same rules as rawlink.c (absent
 * or short means null). No dict and no RawLink is built: on a host with thousands of
 * links, that was most of what decoding cost.
 */
#include "jsonbuf.h"

#define TRY(expr)                                                                           \
    do {                                                                                    \
        if ((expr) < 0)                                                                     \
            return -1;                                                                      \
    } while (0)

static int u32_json(SB *sb, const Buf *b, const Table *t, unsigned key) {
    unsigned long v;
    return get_u32(b, t, key, &v) ? sb_uint(sb, v) : sb_lit(sb, "null");
}

static int u16_json(SB *sb, const Buf *b, const Table *t, unsigned key) {
    unsigned long v;
    return get_u16(b, t, key, &v) ? sb_uint(sb, v) : sb_lit(sb, "null");
}

static int flag_json(SB *sb, const Buf *b, const Table *t, unsigned key) {
    unsigned long v;
    if (!get_u8(b, t, key, &v))
        return sb_lit(sb, "null");
    return v ? sb_lit(sb, "true") : sb_lit(sb, "false");
}

static int seconds_json(SB *sb, const Buf *b, const Table *t, unsigned key) {
    unsigned long v;
    return get_u32(b, t, key, &v) ? sb_float(sb, (double)v / 100.0) : sb_lit(sb, "null");
}

static int mac_json(SB *sb, const Buf *b, const Table *t, unsigned key) {
    Py_ssize_t n = plen(b, t, key);
    return n > 0 ? sb_hex(sb, payload(b, t, key), n, 0) : sb_lit(sb, "null");
}

static int bridge_id_json(SB *sb, const Buf *b, const Table *t, unsigned key) {
    return plen(b, t, key) >= 8 ? sb_hex(sb, payload(b, t, key), 8, 2) : sb_lit(sb, "null");
}

/* `"mtu": M, "address": A`: shared by links, VLANs, bridges and ports. */
static int mtu_address(SB *sb, const Buf *b, const Link *l) {
    TRY(sb_lit(sb, "\"mtu\": "));
    TRY(u32_json(sb, b, &l->top, A_MTU));
    TRY(sb_lit(sb, ", \"address\": "));
    return mac_json(sb, b, &l->top, A_ADDRESS);
}

static int link_facts(SB *sb, const Buf *b, const Link *l, PyObject *kind,
                      PyObject *operstate) {
    unsigned long carrier;
    TRY(sb_lit(sb, "\"kind\": "));
    TRY(sb_value(sb, kind));
    TRY(sb_lit(sb, ", \"operstate\": "));
    TRY(sb_value(sb, operstate));
    TRY(sb_lit(sb, ", \"carrier\": "));
    if (get_u8(b, &l->top, A_CARRIER, &carrier) && (l->flags & IFF_UP_FLAG))
        TRY(carrier ? sb_lit(sb, "true") : sb_lit(sb, "false"));
    else
        TRY(sb_lit(sb, "null"));
    TRY(sb_lit(sb, ", "));
    return mtu_address(sb, b, l);
}

static int link_counters(SB *sb, const Buf *b, const Link *l) {
    static const char *const names[9] = {"rx_packets", "tx_packets", "rx_bytes", "tx_bytes",
                                         "rx_errors",  "tx_errors",  "rx_dropped",
                                         "tx_dropped", "multicast"};
    TRY(sb_lit(sb, "\"carrier_changes\": "));
    TRY(u32_json(sb, b, &l->top, A_CARRIER_CHANGES));
    TRY(sb_lit(sb, ", \"statistics\": {"));
    if (plen(b, &l->top, A_STATS64) >= 72) {
        const uint8_t *p = payload(b, &l->top, A_STATS64);
        for (int i = 0; i < 9; i++) {
            uint64_t v;
            memcpy(&v, p + 8 * i, 8);
            if (i)
                TRY(sb_lit(sb, ", "));
            TRY(sb_lit(sb, "\""));
            TRY(sb_put(sb, names[i], (Py_ssize_t)strlen(names[i])));
            TRY(sb_lit(sb, "\": "));
            TRY(sb_uint(sb, v));
        }
    }
    return sb_lit(sb, "}");
}

static int vlan_rest(SB *sb, const Buf *b, const Link *l) {
    /* document order → index into struct rtnl_link_stats64 (-1: /proc only, null live) */
    static const char *const counters[9] = {"rx_frames", "rx_bytes", "rx_multicast",
                                            "tx_frames", "tx_bytes", "rx_errors",
                                            "tx_errors", "rx_dropped", "tx_dropped"};
    static const int stat_index[9] = {0, 2, -1, 1, 3, 4, 5, 6, 7};
    static const char *const flag_names[5] = {"reorder_hdr", "gvrp", "mvrp", "loose_binding",
                                              "bridge_binding"};
    static const unsigned flag_bits[5] = {1, 2, 8, 4, 16};
    unsigned long flags = 0;
    int has_flags = get_u32(b, &l->data, 2, &flags);
    int has_stats = plen(b, &l->top, A_STATS64) >= 72;
    TRY(mtu_address(sb, b, l));
    TRY(sb_lit(sb, ", \"flags\": {"));
    for (int i = 0; i < 5; i++) {
        if (i)
            TRY(sb_lit(sb, ", "));
        TRY(sb_lit(sb, "\""));
        TRY(sb_put(sb, flag_names[i], (Py_ssize_t)strlen(flag_names[i])));
        TRY(sb_lit(sb, "\": "));
        TRY(!has_flags ? sb_lit(sb, "null")
            : (flags & flag_bits[i]) ? sb_lit(sb, "true") : sb_lit(sb, "false"));
    }
    TRY(sb_lit(sb, "}, \"counters\": {"));
    for (int i = 0; i < 9; i++) {
        if (i)
            TRY(sb_lit(sb, ", "));
        TRY(sb_lit(sb, "\""));
        TRY(sb_put(sb, counters[i], (Py_ssize_t)strlen(counters[i])));
        TRY(sb_lit(sb, "\": "));
        if (stat_index[i] < 0 || !has_stats) {
            TRY(sb_lit(sb, "null"));
        } else {
            uint64_t v;
            memcpy(&v, payload(b, &l->top, A_STATS64) + 8 * stat_index[i], 8);
            TRY(sb_uint(sb, v));
        }
    }
    TRY(sb_lit(sb, "}"));
    for (unsigned key = 4; key >= 3; key--) { /* ingress (4) first, then egress (3) */
        PyObject *map = qos_map(b, &l->data, key);
        int rc = map ? 0 : -1;
        if (rc == 0)
            rc = sb_put(sb, key == 4 ? ", \"ingress_map\": " : ", \"egress_map\": ",
                        key == 4 ? 17 : 16);
        if (rc == 0)
            rc = sb_value(sb, map);
        Py_XDECREF(map);
        TRY(rc);
    }
    return 0;
}

static int bridge_facts(SB *sb, const Buf *b, const Link *l, PyObject *operstate) {
    static const char *const modes[3] = {"off", "kernel", "user"};
    const Table *d = &l->data;
    unsigned long state;
    TRY(sb_lit(sb, "\"operstate\": "));
    TRY(sb_value(sb, operstate));
    TRY(sb_lit(sb, ", "));
    TRY(mtu_address(sb, b, l));
    TRY(sb_lit(sb, ", \"stp\": {\"enabled\": "));
    if (get_u32(b, d, 5, &state)) {
        TRY(state ? sb_lit(sb, "true") : sb_lit(sb, "false"));
        TRY(sb_lit(sb, ", \"mode\": \""));
        if (state < 3)
            TRY(sb_put(sb, modes[state], (Py_ssize_t)strlen(modes[state])));
        else
            TRY(sb_uint(sb, state));
        TRY(sb_lit(sb, "\""));
    } else {
        TRY(sb_lit(sb, "null, \"mode\": null"));
    }
    TRY(sb_lit(sb, ", \"priority\": "));
    TRY(u16_json(sb, b, d, 6));
    TRY(sb_lit(sb, ", \"bridge_id\": "));
    TRY(bridge_id_json(sb, b, d, 11));
    TRY(sb_lit(sb, ", \"root_id\": "));
    TRY(bridge_id_json(sb, b, d, 10));
    TRY(sb_lit(sb, ", \"root_port\": "));
    TRY(u16_json(sb, b, d, 12));
    TRY(sb_lit(sb, ", \"root_path_cost\": "));
    TRY(u32_json(sb, b, d, 13));
    TRY(sb_lit(sb, ", \"forward_delay_s\": "));
    TRY(seconds_json(sb, b, d, 1));
    TRY(sb_lit(sb, ", \"hello_time_s\": "));
    TRY(seconds_json(sb, b, d, 2));
    TRY(sb_lit(sb, ", \"max_age_s\": "));
    TRY(seconds_json(sb, b, d, 3));
    TRY(sb_lit(sb, ", \"topology_change\": "));
    TRY(flag_json(sb, b, d, 14));
    TRY(sb_lit(sb, "}, \"ageing_time_s\": "));
    TRY(seconds_json(sb, b, d, 4));
    TRY(sb_lit(sb, ", \"vlan_filtering\": "));
    return flag_json(sb, b, d, 7);
}

static int port_facts(SB *sb, const Buf *b, const Link *l, PyObject *state,
                      PyObject *operstate) {
    TRY(sb_lit(sb, "\"stp_state\": "));
    TRY(sb_value(sb, state));
    TRY(sb_lit(sb, ", \"priority\": "));
    TRY(u16_json(sb, b, &l->slave, 2));
    TRY(sb_lit(sb, ", \"path_cost\": "));
    TRY(u32_json(sb, b, &l->slave, 3));
    TRY(sb_lit(sb, ", \"operstate\": "));
    TRY(sb_value(sb, operstate));
    TRY(sb_lit(sb, ", "));
    return mtu_address(sb, b, l);
}

/* A fragment written by `write`, as a str; NULL (exception set) on failure. */
#define FRAGMENT(slot, write)                                                               \
    do {                                                                                    \
        if ((write) < 0 || (slot = sb_take(&sb)) == NULL)                                   \
            goto done;                                                                      \
    } while (0)

/* The row of a link read by read_link(); `name`, `kind`, `slave_kind` are borrowed. */
PyObject *status_row(const Buf *b, const Link *l, PyObject *name, PyObject *kind,
                     PyObject *slave_kind) {
    enum { N = 17 };
    PyObject *item[N] = {NULL};
    PyObject *row = NULL;
    unsigned long v = 0;
    SB sb = {NULL, 0, 0};
    item[0] = Py_NewRef(name);
    item[1] = PyLong_FromUnsignedLong(l->index);
    item[2] = Py_NewRef(kind);
    item[3] = Py_NewRef(slave_kind);
    item[4] = py_u32(b, &l->top, A_MASTER);
    item[5] = l->top.pos[A_NETNSID] < 0 ? py_u32(b, &l->top, A_LINK) : Py_NewRef(Py_None);
    int ok = get_u8(b, &l->top, A_OPERSTATE, &v);
    item[6] = name_of(OPERSTATES, COUNT(OPERSTATES), ok, v);
    item[7] = py_u32(b, &l->top, A_MTU);
    item[8] = py_mac(b, &l->top, A_ADDRESS);
    ok = l->slave_bridge && get_u8(b, &l->slave, 1, &v) && v < COUNT(PORT_STATES);
    item[9] = ok ? Py_NewRef(PORT_STATES[v]) : Py_NewRef(Py_None);
    for (int i = 1; i < 10; i++)
        if (item[i] == NULL)
            goto done;
    FRAGMENT(item[10], sb_str(&sb, name));
    FRAGMENT(item[11], link_facts(&sb, b, l, kind, item[6]));
    FRAGMENT(item[12], link_counters(&sb, b, l));
    if (l->is_vlan) {
        PyObject *protocol = vlan_protocol(b, &l->data);
        int rc = protocol ? 0 : -1;
        if (rc == 0) {
            rc = sb_lit(&sb, "\"protocol\": ");
            if (rc == 0)
                rc = sb_value(&sb, protocol);
            Py_DECREF(protocol);
        }
        if (rc == 0)
            rc = sb_lit(&sb, ", \"operstate\": ");
        if (rc == 0)
            rc = sb_value(&sb, item[6]);
        FRAGMENT(item[14], rc);
        FRAGMENT(item[13], sb_lit(&sb, "\"vid\": ") < 0 ? -1 : u16_json(&sb, b, &l->data, 1));
        FRAGMENT(item[15], vlan_rest(&sb, b, l));
    } else if (l->is_bridge) {
        FRAGMENT(item[13], bridge_facts(&sb, b, l, item[6]));
    }
    if (l->slave_bridge)
        FRAGMENT(item[16], port_facts(&sb, b, l, item[9], item[6]));
    row = PyTuple_New(N);
    if (row == NULL)
        goto done;
    for (int i = 0; i < N; i++) {
        PyTuple_SET_ITEM(row, i, item[i] ? item[i] : Py_NewRef(Py_None));
        item[i] = NULL;
    }
done:
    for (int i = 0; i < N; i++)
        Py_XDECREF(item[i]);
    PyMem_Free(sb.p);
    return row;
}
