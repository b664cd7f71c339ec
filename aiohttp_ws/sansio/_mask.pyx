# cython: language_level=3, boundscheck=False, wraparound=False
"""RFC 6455 §5.3 masking in C, eight bytes at a time, and the byte work of
``frames.py``'s compiled twin that pure-mode Cython cannot express (optional
accelerator; ``frames.py`` holds the pure-Python equivalents).

Buffers are taken with the plain buffer protocol (``PyObject_GetBuffer``),
which costs a few nanoseconds, and the GIL is released only for payloads of
``NOGIL_SIZE`` bytes or more: for a small frame releasing it would cost more
than the masking itself.

The C-level functions declared in ``_mask.pxd`` (``build_frame_c``,
``frame_payload``, ``new_message``) are called by ``_frames_c`` directly:
a frame is built in one allocation (header, masking key and masked payload
written in place), a received payload is copied once out of the read buffer,
and a message tuple is made without going through ``tuple.__new__``.
"""

import os

from cpython.buffer cimport PyBUF_SIMPLE, PyBuffer_Release, PyObject_GetBuffer
from cpython.bytearray cimport PyByteArray_AS_STRING, PyByteArray_GET_SIZE
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from cpython.ref cimport Py_INCREF
from cpython.tuple cimport PyTuple_SET_ITEM
from cpython.type cimport PyType_IsSubtype
from libc.stdint cimport uint32_t, uint64_t
from libc.string cimport memcpy

cdef extern from "Python.h":
    ctypedef struct _AllocType "PyTypeObject":
        object (*tp_alloc)(_AllocType*, Py_ssize_t)

#: Payloads at least this long (bytes) are masked with the GIL released.
NOGIL_SIZE = 16 * 1024
cdef Py_ssize_t _NOGIL_SIZE = NOGIL_SIZE


cdef inline void _xor(unsigned char* dst, const unsigned char* src, Py_ssize_t n, const unsigned char* key) noexcept nogil:
    """dst[i] = src[i] ^ key[i % 4], eight bytes per step."""
    cdef Py_ssize_t i = 0
    cdef uint32_t k32
    cdef uint64_t k64, word
    memcpy(&k32, key, 4)
    k64 = (<uint64_t>k32 << 32) | k32
    while i + 8 <= n:
        memcpy(&word, src + i, 8)
        word ^= k64
        memcpy(dst + i, &word, 8)
        i += 8
    while i < n:
        dst[i] = src[i] ^ key[i & 3]
        i += 1


cdef inline void _xor_maybe_nogil(unsigned char* dst, const unsigned char* src, Py_ssize_t n, const unsigned char* key):
    if n >= _NOGIL_SIZE:
        with nogil:
            _xor(dst, src, n, key)
    else:
        _xor(dst, src, n, key)


cdef inline void _get_key(object key, unsigned char* out) except *:
    cdef Py_buffer view
    if type(key) is bytes and PyBytes_GET_SIZE(key) == 4:
        memcpy(out, PyBytes_AS_STRING(key), 4)
        return
    PyObject_GetBuffer(key, &view, PyBUF_SIMPLE)
    try:
        if view.len != 4:
            raise ValueError("the masking key is 4 bytes")
        memcpy(out, view.buf, 4)
    finally:
        PyBuffer_Release(&view)


def apply_mask(object data not None, object key not None):
    """XOR *data* (any contiguous buffer) with the 4-byte *key* repeated; returns bytes."""
    return mask_frame(b"", data, key)


def mask_frame(bytes prefix not None, object data not None, object key not None):
    """``prefix + apply_mask(data, key)`` in one allocation: a frame's header and
    masking key, then its masked payload. Raises ``ValueError`` unless *key* is 4 bytes."""
    cdef unsigned char k[4]
    cdef Py_buffer view
    cdef Py_ssize_t p = PyBytes_GET_SIZE(prefix)
    _get_key(key, k)
    PyObject_GetBuffer(data, &view, PyBUF_SIMPLE)
    try:
        out = PyBytes_FromStringAndSize(NULL, p + view.len)
        dst = <unsigned char*>PyBytes_AS_STRING(out)
        memcpy(dst, PyBytes_AS_STRING(prefix), p)
        if view.len:
            _xor_maybe_nogil(dst + p, <const unsigned char*>view.buf, view.len, k)
    finally:
        PyBuffer_Release(&view)
    return out


def mask_into(bytearray out not None, Py_ssize_t offset, object data not None, object key not None):
    """Write ``apply_mask(data, key)`` into ``out[offset:offset + len(data)]``
    without allocating; *out* must already be that long (``ValueError`` if not)."""
    cdef unsigned char k[4]
    cdef Py_buffer view
    _get_key(key, k)
    PyObject_GetBuffer(data, &view, PyBUF_SIMPLE)
    try:
        if offset < 0 or offset + view.len > PyByteArray_GET_SIZE(out):
            raise ValueError("out is too small for the masked payload")
        if view.len:
            _xor_maybe_nogil(<unsigned char*>PyByteArray_AS_STRING(out) + offset, <const unsigned char*>view.buf, view.len, k)
    finally:
        PyBuffer_Release(&view)


# -- masking keys (RFC 6455 §5.3, §10.3) ------------------------------------

cdef enum:
    _POOL = 1024

cdef unsigned char _pool[_POOL]
cdef Py_ssize_t _pool_pos = _POOL


cdef inline int _next_key(unsigned char* out) except -1:
    """Copy the next unused 4-byte key of the pool to *out*, refilling the
    pool from ``os.urandom`` 1 KiB at a time."""
    global _pool_pos
    if _pool_pos >= _POOL:
        fresh = os.urandom(_POOL)
        memcpy(_pool, PyBytes_AS_STRING(fresh), _POOL)
        _pool_pos = 0
    memcpy(out, _pool + _pool_pos, 4)
    _pool_pos += 4
    return 0


def _reset_key_pool():
    """Drop the pool (in a forked child: two processes never share keys)."""
    global _pool_pos
    _pool_pos = _POOL


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_key_pool)


cdef bytes masking_key_c():
    """A fresh 4-byte masking key, never reused (``frames.masking_key``)."""
    cdef bytes out = PyBytes_FromStringAndSize(NULL, 4)
    _next_key(<unsigned char*>PyBytes_AS_STRING(out))
    return out


# -- frames -------------------------------------------------------------------

cdef bytes build_frame_c(int b0, object payload, bint mask):
    """One frame in one allocation: first byte *b0* (FIN, RSV1, opcode), the
    payload length in the shortest encoding (RFC 6455 §5.2), then, if *mask*,
    a fresh masking key and the masked payload, else the payload."""
    cdef Py_buffer view
    cdef Py_ssize_t n, head, i
    cdef unsigned char* dst
    cdef unsigned char mbit = 0x80 if mask else 0
    cdef bytes out
    PyObject_GetBuffer(payload, &view, PyBUF_SIMPLE)
    try:
        n = view.len
        head = 2 if n < 126 else (4 if n < 65536 else 10)
        out = PyBytes_FromStringAndSize(NULL, head + (4 if mask else 0) + n)
        dst = <unsigned char*>PyBytes_AS_STRING(out)
        dst[0] = <unsigned char>b0
        if n < 126:
            dst[1] = mbit | <unsigned char>n
        elif n < 65536:
            dst[1] = mbit | 126
            dst[2] = <unsigned char>(n >> 8)
            dst[3] = <unsigned char>n
        else:
            dst[1] = mbit | 127
            for i in range(8):
                dst[2 + i] = <unsigned char>((<uint64_t>n) >> (56 - 8 * i))
        if mask:
            _next_key(dst + head)
            if n:
                _xor_maybe_nogil(dst + head + 4, <const unsigned char*>view.buf, n, dst + head)
        elif n:
            memcpy(dst + head, view.buf, n)
    finally:
        PyBuffer_Release(&view)
    return out


cdef bytes frame_payload(bytearray buf, Py_ssize_t start, Py_ssize_t end, bint masked):
    """``buf[start:end]`` as bytes; if *masked*, its first 4 bytes are the
    masking key and the rest is returned unmasked. The caller guarantees
    ``0 <= start <= end <= len(buf)`` (and ``end - start >= 4`` if masked)."""
    cdef Py_ssize_t n = end - start - (4 if masked else 0)
    cdef Py_buffer view
    cdef bytes out
    if not masked:
        return PyBytes_FromStringAndSize(PyByteArray_AS_STRING(buf) + start, n)
    out = PyBytes_FromStringAndSize(NULL, n)
    if n >= _NOGIL_SIZE:  # exported while the GIL is released: nobody can resize it
        PyObject_GetBuffer(buf, &view, PyBUF_SIMPLE)
        try:
            _xor_maybe_nogil(<unsigned char*>PyBytes_AS_STRING(out), <const unsigned char*>view.buf + start + 4,
                             n, <const unsigned char*>view.buf + start)
        finally:
            PyBuffer_Release(&view)
    elif n:
        src = <const unsigned char*>PyByteArray_AS_STRING(buf) + start
        _xor(<unsigned char*>PyBytes_AS_STRING(out), src + 4, n, src)
    return out


cdef object new_message(type cls, object tp, object data):
    """``tuple.__new__(cls, (tp, data, None))`` for a tuple subclass *cls*
    (``WSMessage``), allocated directly as ``tuple.__new__`` itself does."""
    if not PyType_IsSubtype(cls, tuple):
        raise TypeError(f"{cls!r} is not a tuple type")
    cdef _AllocType* t = <_AllocType*><void*>cls
    obj = t.tp_alloc(t, 3)
    Py_INCREF(tp)
    PyTuple_SET_ITEM(obj, 0, tp)
    Py_INCREF(data)
    PyTuple_SET_ITEM(obj, 1, data)
    Py_INCREF(None)
    PyTuple_SET_ITEM(obj, 2, None)
    return obj
