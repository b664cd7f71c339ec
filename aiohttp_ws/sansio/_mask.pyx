# cython: language_level=3, boundscheck=False, wraparound=False
"""RFC 6455 §5.3 masking in C, eight bytes at a time (optional accelerator).

Buffers are taken with the plain buffer protocol (``PyObject_GetBuffer``),
which costs a few nanoseconds, and the GIL is released only for payloads of
``NOGIL_SIZE`` bytes or more: for a small frame releasing it would cost more
than the masking itself.
"""

from cpython.buffer cimport PyBUF_SIMPLE, PyBuffer_Release, PyObject_GetBuffer
from cpython.bytearray cimport PyByteArray_AS_STRING, PyByteArray_GET_SIZE
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from libc.stdint cimport uint32_t, uint64_t
from libc.string cimport memcpy

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
