/* RawLink objects, exactly as hvnet.status.rtnl.decode_dump_py builds them (see rtnl.h):
 * the same dicts with the same keys in the same order, the same spellings. */
#include "rtnl.h"

/* Steal `value` into d[key]; on any failure (value NULL included) return -1. */
static int put(PyObject *d, PyObject *key, PyObject *value) {
    if (value == NULL)
        return -1;
    int rc = PyDict_SetItem(d, key, value);
    Py_DECREF(value);
    return rc;
}

#define PUT(d, key, expr)                                                                   \
    do {                                                                                    \
        if (put((d), k_##key, (expr)) < 0)                                                  \
            goto fail;                                                                      \
    } while (0)

/* The bond's ARP targets: every attribute of the IFLA_BOND_ARP_IP_TARGET nest whose payload
 * is 4 bytes, in type order, the last of each type (as the Python decoder's dict). Types
 * are not limited to MAX_TYPE here: the nest is walked on its own. */
static PyObject *arp_targets(const Buf *b, const Table *d) {
    PyObject *list = PyList_New(0);
    if (list == NULL || d->pos[8] < 0)
        return list ? PyList_AsTuple(list) : NULL;
    Py_ssize_t start = d->pos[8] + 4, end = d->pos[8] + rd16(b, d->pos[8]);
    if (end > b->size)
        end = b->size;
    Py_ssize_t cap = end > start ? (end - start) / 4 + 1 : 1;
    int32_t *pos_of = PyMem_Calloc((size_t)cap, sizeof(int32_t) * 2); /* (type, pos) */
    Py_ssize_t n = 0;
    if (pos_of == NULL) {
        Py_DECREF(list);
        return PyErr_NoMemory();
    }
    for (Py_ssize_t i = start & ~(Py_ssize_t)1; i < (end & ~(Py_ssize_t)1) - 2;) {
        uint16_t length = rd16(b, i);
        if (length < 4)
            break;
        int32_t type = rd16(b, i + 2) & 0x3FFF;
        Py_ssize_t k = 0;
        while (k < n && pos_of[2 * k] != type)
            k++;
        pos_of[2 * k] = type; /* a repeated type keeps its slot, takes the later attribute */
        pos_of[2 * k + 1] = (int32_t)i;
        if (k == n)
            n++;
        i += (Py_ssize_t)((length + 3) >> 2) << 2;
    }
    for (Py_ssize_t k = 1; k < n; k++) { /* insertion sort by type: a handful of targets */
        int32_t type = pos_of[2 * k], at = pos_of[2 * k + 1];
        Py_ssize_t j = k;
        for (; j > 0 && pos_of[2 * (j - 1)] > type; j--) {
            pos_of[2 * j] = pos_of[2 * (j - 1)];
            pos_of[2 * j + 1] = pos_of[2 * (j - 1) + 1];
        }
        pos_of[2 * j] = type;
        pos_of[2 * j + 1] = at;
    }
    for (Py_ssize_t k = 0; k < n; k++) {
        Py_ssize_t at = pos_of[2 * k + 1];
        Py_ssize_t len = rd16(b, at);
        if (at + len > b->size)
            len = b->size - at;
        if (len - 4 != 4)
            continue;
        const uint8_t *a = b->buf + at + 4;
        PyObject *ip = PyUnicode_FromFormat("%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
        if (ip == NULL || PyList_Append(list, ip) < 0) {
            Py_XDECREF(ip);
            Py_DECREF(list);
            PyMem_Free(pos_of);
            return NULL;
        }
        Py_DECREF(ip);
    }
    PyMem_Free(pos_of);
    PyObject *tuple = PyList_AsTuple(list);
    Py_DECREF(list);
    return tuple;
}

static PyObject *bond_data(const Buf *b, const Table *d) {
    Table info;
    unsigned long v = 0;
    int ok;
    PyObject *out = PyDict_New();
    if (out == NULL)
        return NULL;
    walk_nest(b, d, 23, 0, &info);
    ok = get_u8(b, d, 1, &v);
    PUT(out, mode, name_of(BOND_MODES, COUNT(BOND_MODES), ok, v));
    PUT(out, active_slave, py_u32(b, d, 2));
    PUT(out, primary, py_u32(b, d, 11));
    PUT(out, miimon_ms, py_u32(b, d, 3));
    PUT(out, updelay_ms, py_u32(b, d, 4));
    PUT(out, downdelay_ms, py_u32(b, d, 5));
    PUT(out, use_carrier, py_u8(b, d, 6));
    PUT(out, arp_interval_ms, py_u32(b, d, 7));
    PUT(out, arp_ip_targets, arp_targets(b, d));
    ok = get_u32(b, d, 9, &v);
    PUT(out, arp_validate, name_of(ARP_VALIDATE, COUNT(ARP_VALIDATE), ok, v));
    ok = get_u32(b, d, 10, &v);
    PUT(out, arp_all_targets, name_of(ARP_ALL, COUNT(ARP_ALL), ok, v));
    ok = get_u8(b, d, 12, &v);
    PUT(out, primary_reselect, name_of(RESELECT, COUNT(RESELECT), ok, v));
    ok = get_u8(b, d, 13, &v);
    PUT(out, fail_over_mac, name_of(FOM, COUNT(FOM), ok, v));
    ok = get_u8(b, d, 14, &v);
    PUT(out, xmit_hash_policy, name_of(XMIT, COUNT(XMIT), ok, v));
    PUT(out, num_peer_notif, py_u8(b, d, 16));
    PUT(out, all_slaves_active, py_u8(b, d, 17));
    PUT(out, min_links, py_u32(b, d, 18));
    PUT(out, packets_per_slave, py_u32(b, d, 20));
    ok = get_u8(b, d, 21, &v);
    PUT(out, lacp_rate, name_of(LACP_RATE, COUNT(LACP_RATE), ok, v));
    ok = get_u8(b, d, 22, &v);
    PUT(out, ad_select, name_of(AD_SELECT, COUNT(AD_SELECT), ok, v));
    PUT(out, ad_aggregator, py_u16(b, &info, 1));
    PUT(out, ad_num_ports, py_u16(b, &info, 2));
    PUT(out, ad_actor_key, py_u16(b, &info, 3));
    PUT(out, ad_partner_key, py_u16(b, &info, 4));
    PUT(out, ad_partner_mac, py_mac(b, &info, 5));
    PUT(out, ad_actor_sys_prio, py_u16(b, d, 24));
    PUT(out, ad_user_port_key, py_u16(b, d, 25));
    PUT(out, ad_actor_system, py_mac(b, d, 26));
    PUT(out, tlb_dynamic_lb, py_u8(b, d, 27));
    PUT(out, peer_notif_delay_ms, py_u32(b, d, 28));
    ok = get_u8(b, d, 29, &v);
    PUT(out, lacp_active, name_of(OFF_ON, COUNT(OFF_ON), ok, v));
    PUT(out, arp_missed_max, py_u8(b, d, 30));
    return out;
fail:
    Py_DECREF(out);
    return NULL;
}

static PyObject *bridge_data(const Buf *b, const Table *d) {
    PyObject *out = PyDict_New();
    if (out == NULL)
        return NULL;
    PUT(out, forward_delay_s, py_seconds(b, d, 1));
    PUT(out, hello_time_s, py_seconds(b, d, 2));
    PUT(out, max_age_s, py_seconds(b, d, 3));
    PUT(out, ageing_time_s, py_seconds(b, d, 4));
    PUT(out, stp_state, py_u32(b, d, 5));
    PUT(out, priority, py_u16(b, d, 6));
    PUT(out, vlan_filtering, py_flag(b, d, 7));
    PUT(out, root_id, py_bridge_id(b, d, 10));
    PUT(out, bridge_id, py_bridge_id(b, d, 11));
    PUT(out, root_port, py_u16(b, d, 12));
    PUT(out, root_path_cost, py_u32(b, d, 13));
    PUT(out, topology_change, py_flag(b, d, 14));
    return out;
fail:
    Py_DECREF(out);
    return NULL;
}

static PyObject *vlan_data(const Buf *b, const Table *d, const Factories *f) {
    unsigned long flags = 0;
    PyObject *out = PyDict_New();
    if (out == NULL)
        return NULL;
    PUT(out, vid, py_u16(b, d, 1));
    PUT(out, protocol, vlan_protocol(b, d));
    if (get_u32(b, d, 2, &flags)) { /* struct ifla_vlan_flags {flags, mask}: flags first */
        PUT(out, flags,
            PyObject_CallFunction(f->vlan_flags, "OOOOO", (flags & 1) ? Py_True : Py_False,
                                  (flags & 2) ? Py_True : Py_False,
                                  (flags & 8) ? Py_True : Py_False,
                                  (flags & 4) ? Py_True : Py_False,
                                  (flags & 16) ? Py_True : Py_False));
    } else {
        PUT(out, flags, PyObject_CallNoArgs(f->vlan_flags));
    }
    PUT(out, egress_map, qos_map(b, d, 3));
    PUT(out, ingress_map, qos_map(b, d, 4));
    return out;
fail:
    Py_DECREF(out);
    return NULL;
}

static PyObject *lacp(const Factories *f, int present, unsigned long value) {
    if (!present)
        return Py_NewRef(Py_None);
    return PyObject_CallFunction(f->lacp_state, "k", value);
}

static PyObject *bond_slave_data(const Buf *b, const Table *d, const Factories *f) {
    unsigned long v = 0;
    int ok;
    PyObject *out = PyDict_New();
    if (out == NULL)
        return NULL;
    ok = get_u8(b, d, 1, &v);
    PUT(out, state, name_of(SLAVE_STATE, COUNT(SLAVE_STATE), ok, v));
    ok = get_u8(b, d, 2, &v);
    PUT(out, mii_status, name_of(SLAVE_MII, COUNT(SLAVE_MII), ok, v));
    PUT(out, link_failure_count, py_u32(b, d, 3));
    PUT(out, perm_hwaddr, py_mac(b, d, 4));
    PUT(out, queue_id, py_u16(b, d, 5));
    PUT(out, ad_aggregator_id, py_u16(b, d, 6));
    ok = get_u8(b, d, 7, &v);
    PUT(out, ad_actor_oper_port_state, lacp(f, ok, v));
    ok = get_u16(b, d, 8, &v);
    PUT(out, ad_partner_oper_port_state, lacp(f, ok && v <= 255, v));
    return out;
fail:
    Py_DECREF(out);
    return NULL;
}

static PyObject *bridge_port_data(const Buf *b, const Table *d) {
    unsigned long v = 0;
    PyObject *out = PyDict_New();
    if (out == NULL)
        return NULL;
    int ok = get_u8(b, d, 1, &v);
    PUT(out, state, ok ? PyLong_FromUnsignedLong(v) : Py_NewRef(Py_None));
    PUT(out, state_name,
        ok && v < COUNT(PORT_STATES) ? Py_NewRef(PORT_STATES[v]) : Py_NewRef(Py_None));
    PUT(out, priority, py_u16(b, d, 2));
    PUT(out, path_cost, py_u32(b, d, 3));
    return out;
fail:
    Py_DECREF(out);
    return NULL;
}

static PyObject *statistics(const Buf *b, const Table *top) {
    PyObject *out = PyDict_New();
    if (out == NULL || plen(b, top, A_STATS64) < 72)
        return out;
    PyObject *const keys[9] = {k_rx_packets, k_tx_packets, k_rx_bytes, k_tx_bytes, k_rx_errors,
                               k_tx_errors,  k_rx_dropped, k_tx_dropped, k_multicast};
    const uint8_t *p = payload(b, top, A_STATS64);
    for (int i = 0; i < 9; i++) {
        uint64_t v;
        memcpy(&v, p + 8 * i, 8);
        if (put(out, keys[i], PyLong_FromUnsignedLongLong(v)) < 0) {
            Py_DECREF(out);
            return NULL;
        }
    }
    return out;
}

static PyObject *link_dict(const Buf *b, const Link *l, PyObject *kind) {
    unsigned long v = 0, carrier = 0;
    const Table *top = &l->top;
    PyObject *link = PyDict_New();
    if (link == NULL)
        return NULL;
    PUT(link, ifindex, PyLong_FromUnsignedLong(l->index));
    PUT(link, iflink, py_u32(b, top, A_LINK));
    PUT(link, kind, Py_NewRef(kind));
    PUT(link, type, PyLong_FromUnsignedLong(l->type));
    int has_oper = get_u8(b, top, A_OPERSTATE, &v);
    PUT(link, operstate, name_of(OPERSTATES, COUNT(OPERSTATES), has_oper, v));
    /* sysfs refuses ``carrier`` of an admin-down link; reported the same way */
    PUT(link, carrier,
        get_u8(b, top, A_CARRIER, &carrier) && (l->flags & IFF_UP_FLAG)
            ? PyBool_FromLong(carrier != 0)
            : Py_NewRef(Py_None));
    PUT(link, carrier_changes, py_u32(b, top, A_CARRIER_CHANGES));
    PUT(link, mtu, py_u32(b, top, A_MTU));
    PUT(link, address, py_mac(b, top, A_ADDRESS));
    PUT(link, statistics, statistics(b, top));
    return link;
fail:
    Py_DECREF(link);
    return NULL;
}

/* The RawLink of a link read by read_link(); `name`, `kind`, `slave_kind` are borrowed. */
PyObject *raw_link(const Buf *b, const Link *l, PyObject *name, PyObject *kind,
                   PyObject *slave_kind, const Factories *f) {
    PyObject *link = NULL, *d = NULL, *sd = NULL, *link_index = NULL, *master = NULL,
             *index = NULL, *result = NULL;
    link = link_dict(b, l, kind);
    if (link == NULL)
        goto done;
    d = l->is_bond     ? bond_data(b, &l->data)
        : l->is_bridge ? bridge_data(b, &l->data)
        : l->is_vlan   ? vlan_data(b, &l->data, f)
                       : PyDict_New();
    sd = l->slave_bond     ? bond_slave_data(b, &l->slave, f)
         : l->slave_bridge ? bridge_port_data(b, &l->slave)
                           : PyDict_New();
    link_index = l->top.pos[A_NETNSID] < 0 ? py_u32(b, &l->top, A_LINK) : Py_NewRef(Py_None);
    master = py_u32(b, &l->top, A_MASTER);
    index = PyLong_FromUnsignedLong(l->index);
    if (d && sd && link_index && master && index) {
        PyObject *args[9] = {index, name, link, kind, link_index, master, d, slave_kind, sd};
        result = PyObject_Vectorcall(f->raw_link, args, 9, NULL);
    }
done:
    Py_XDECREF(link);
    Py_XDECREF(d);
    Py_XDECREF(sd);
    Py_XDECREF(link_index);
    Py_XDECREF(master);
    Py_XDECREF(index);
    return result;
}
