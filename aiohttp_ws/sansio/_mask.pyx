# cython: language_level=3, boundscheck=False, wraparound=False
"""RFC 6455 §5.3 masking in C, eight bytes at a time (optional accelerator)."""

from cpython.bytearray cimport PyByteArray_AS_STRING, PyByteArray_GET_SIZE
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize
from libc.stdint cimport uint32_t, uint64_t
from libc.string cimport memcpy


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


def apply_mask(const unsigned char[::1] data not None, const unsigned char[::1] key not None):
    """XOR *data* (any contiguous buffer) with the 4-byte *key* repeated; returns bytes."""
    return mask_frame(b"", data, key)


def mask_frame(bytes prefix not None, const unsigned char[::1] data not None, const unsigned char[::1] key not None):
    """``prefix + apply_mask(data, key)`` in one allocation: a frame's header and
    masking key, then its masked payload."""
    cdef Py_ssize_t p = len(prefix)
    cdef Py_ssize_t n = data.shape[0]
    if key.shape[0] != 4:
        raise ValueError("the masking key is 4 bytes")
    out = PyBytes_FromStringAndSize(NULL, p + n)
    cdef unsigned char* dst = <unsigned char*>PyBytes_AS_STRING(out)
    memcpy(dst, PyBytes_AS_STRING(prefix), p)
    if n:
        with nogil:
            _xor(dst + p, &data[0], n, &key[0])
    return out


def mask_into(bytearray out not None, Py_ssize_t offset, const unsigned char[::1] data not None, const unsigned char[::1] key not None):
    """Write ``apply_mask(data, key)`` into ``out[offset:offset + len(data)]``
    without allocating; *out* must already be that long (``ValueError`` if not)."""
    cdef Py_ssize_t n = data.shape[0]
    if key.shape[0] != 4:
        raise ValueError("the masking key is 4 bytes")
    if offset < 0 or offset + n > PyByteArray_GET_SIZE(out):
        raise ValueError("out is too small for the masked payload")
    cdef unsigned char* dst = <unsigned char*>PyByteArray_AS_STRING(out)
    if n:
        with nogil:
            _xor(dst + offset, &data[0], n, &key[0])
