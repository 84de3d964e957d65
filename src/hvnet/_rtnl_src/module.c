/* The module hvnet._rtnl: its two entry points over a receive buffer (see rtnl.h). */
#include "rtnl.h"

#include <stdio.h>

typedef int (*OnLink)(const Buf *b, const Link *l, PyObject *name, PyObject *kind,
                      PyObject *slave_kind, void *ctx);

/* Walk the messages of one recv(): each usable link goes to on_link. 1 once NLMSG_DONE
 * was seen, 0 if more is to come, -1 with an exception set (OSError for NLMSG_ERROR). */
static int each_link(const Buf *b, OnLink on_link, void *ctx) {
    Py_ssize_t pos = 0;
    Link l;
    while (pos + 16 <= b->size) {
        uint32_t length = rd32(b, pos);
        uint16_t mtype = rd16(b, pos + 4);
        if (length < 16)
            break;
        if (mtype == RTM_NEWLINK_T) {
            Py_ssize_t end = pos + (Py_ssize_t)length;
            if (read_link(b, pos + 16, end < b->size ? end : b->size, &l)) {
                PyObject *name = py_text(b, &l.top, A_IFNAME);
                if (name == NULL)
                    return -1;
                int rc = 0;
                if (PyUnicode_GET_LENGTH(name) > 0) {
                    PyObject *kind = l.has_info ? py_text(b, &l.info, I_KIND) : Py_NewRef(Py_None);
                    PyObject *slave_kind =
                        l.has_info ? py_text(b, &l.info, I_SLAVE_KIND) : Py_NewRef(Py_None);
                    rc = kind && slave_kind ? on_link(b, &l, name, kind, slave_kind, ctx) : -1;
                    Py_XDECREF(kind);
                    Py_XDECREF(slave_kind);
                }
                Py_DECREF(name);
                if (rc < 0)
                    return -1;
            }
        } else if (mtype == NLMSG_DONE_T) {
            return 1;
        } else if (mtype == NLMSG_ERROR_T) {
            int32_t code = pos + 20 <= b->size ? (int32_t)rd32(b, pos + 16) : 0;
            if (code) {
                char text[128];
                snprintf(text, sizeof text, "netlink link dump: %s", strerror(-code));
                PyObject *exc = PyObject_CallFunction(PyExc_OSError, "is", -code, text);
                if (exc != NULL) {
                    PyErr_SetObject(PyExc_OSError, exc);
                    Py_DECREF(exc);
                }
                return -1;
            }
        }
        pos += ((Py_ssize_t)length + 3) & ~(Py_ssize_t)3;
    }
    return 0;
}

typedef struct {
    PyObject *out, *bonds;
    Factories f;
} Ctx;

static int append_raw(const Buf *b, const Link *l, PyObject *name, PyObject *kind,
                      PyObject *slave_kind, void *ctx) {
    Ctx *c = ctx;
    PyObject *raw = raw_link(b, l, name, kind, slave_kind, &c->f);
    int rc = raw ? PyList_Append(c->out, raw) : -1;
    Py_XDECREF(raw);
    return rc;
}

static int append_row(const Buf *b, const Link *l, PyObject *name, PyObject *kind,
                      PyObject *slave_kind, void *ctx) {
    Ctx *c = ctx;
    PyObject *row = status_row(b, l, name, kind, slave_kind);
    int rc = row ? PyList_Append(c->out, row) : -1;
    Py_XDECREF(row);
    if (rc == 0 && (l->is_bond || l->slave_bond))
        rc = append_raw(b, l, name, kind, slave_kind, &(Ctx){c->bonds, NULL, c->f});
    return rc;
}

/* Common argument handling: buffer, size, a list, [a list,] factories. */
static PyObject *run(PyObject *const *args, Py_ssize_t nargs, int rows) {
    const char *usage = rows ? "status_rows(buffer, size, rows, bond_links, factories)"
                             : "decode_dump(buffer, size, out, factories)";
    Ctx c = {NULL, NULL, {NULL, NULL, NULL}};
    if (nargs != (rows ? 5 : 4)) {
        PyErr_SetString(PyExc_TypeError, usage);
        return NULL;
    }
    Py_ssize_t size = PyLong_AsSsize_t(args[1]);
    if (size == -1 && PyErr_Occurred())
        return NULL;
    c.out = args[2];
    c.bonds = rows ? args[3] : NULL;
    if (!PyList_Check(c.out) || (rows && !PyList_Check(c.bonds))) {
        PyErr_SetString(PyExc_TypeError, usage);
        return NULL;
    }
    if (!PyArg_ParseTuple(args[rows ? 4 : 3], "OOO", &c.f.raw_link, &c.f.vlan_flags,
                          &c.f.lacp_state))
        return NULL;
    Py_buffer view;
    if (PyObject_GetBuffer(args[0], &view, PyBUF_SIMPLE) < 0)
        return NULL;
    if (size < 0 || size > view.len)
        size = size < 0 ? 0 : view.len;
    Buf b = {(const uint8_t *)view.buf, size & ~(Py_ssize_t)3};
    int done = each_link(&b, rows ? append_row : append_raw, &c);
    PyBuffer_Release(&view);
    if (done < 0)
        return NULL;
    return Py_NewRef(done ? Py_True : Py_False);
}

static PyObject *decode_dump(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    (void)self;
    return run(args, nargs, 0);
}

static PyObject *status_rows(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    (void)self;
    return run(args, nargs, 1);
}

PyDoc_STRVAR(decode_dump_doc,
"decode_dump(buffer, size, out, factories) -> bool\n\n"
"Decode one recv() worth of RTM_GETLINK dump messages into ``out`` (RawLink objects, as\n"
"hvnet.status.rtnl.decode_dump_py); True once NLMSG_DONE was seen. ``factories`` is\n"
"(RawLink, VlanFlags, LacpPortState.from_int). Raises OSError for an NLMSG_ERROR.");

PyDoc_STRVAR(status_rows_doc,
"status_rows(buffer, size, rows, bond_links, factories) -> bool\n\n"
"Like decode_dump, but appends a status row per link to ``rows`` (see hvnet/_rtnl_src/\n"
"rows.c and hvnet.status.fastjson) and RawLinks of bonds and bond slaves only to\n"
"``bond_links``.");

static PyMethodDef methods[] = {
    {"decode_dump", (PyCFunction)(void (*)(void))decode_dump, METH_FASTCALL, decode_dump_doc},
    {"status_rows", (PyCFunction)(void (*)(void))status_rows, METH_FASTCALL, status_rows_doc},
    {"snapshot_links", (PyCFunction)(void (*)(void))snapshot_links, METH_FASTCALL,
     "snapshot_links(buffer, size, seq, out, Msg) -> bool: see hvnet/_rtnl_src/snaplink.c"},
    {"settled_bytes", (PyCFunction)(void (*)(void))settled_bytes, METH_FASTCALL,
     "settled_bytes(buffer, size, out, bonds) -> bool: see hvnet/_rtnl_src/settled.c"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "hvnet._rtnl",
    "rtnetlink link dumps decoded in C (see hvnet/_rtnl_src/rtnl.h).", -1, methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__rtnl(void) {
    if (intern_strings() < 0)
        return NULL;
    return PyModule_Create(&module);
}
