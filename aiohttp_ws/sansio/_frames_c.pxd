# Cython declarations for the compiled twin of frames.py (built as aiohttp_ws.sansio._frames_c).
cimport cython
from aiohttp_ws.sansio._mask cimport build_frame_c, frame_payload, masking_key_c as c_masking_key, new_message

cdef class FrameParser:
    cdef bytearray _buf
    cdef Py_ssize_t _pos
    cdef Py_ssize_t _end
    cdef bint _in_scratch
    cdef int _expect_mask
    cdef int _rsv_forbidden
    cdef public object max_payload
    cdef public object max_compressed_payload
    cdef object _pending

    @cython.locals(avail=Py_ssize_t, pos=Py_ssize_t, received=Py_ssize_t, start=Py_ssize_t, end=Py_ssize_t,
                   b0=int, b1=int, opcode=int, masked=int, length=Py_ssize_t)
    cpdef object next_frame(self)
    cpdef _check_header(self, int b0, int b1, int opcode, Py_ssize_t length)

    @cython.locals(buf=bytearray, pos=Py_ssize_t, received=Py_ssize_t, expect_mask=int, b0=int, b1=int,
                   length=Py_ssize_t, start=Py_ssize_t, end=Py_ssize_t, payload=bytes)
    cpdef Py_ssize_t read_messages(self, list out, object message, object binary, object text) except -1


@cython.locals(b0=int, mbit=int)
cpdef bytes frame_header(int opcode, Py_ssize_t n, bint mask, bint fin, bint rsv1)

cpdef bytes build_frame(int opcode, object payload, bint mask, bint fin=*, bint rsv1=*)

cdef inline bytes _payload(bytearray buf, Py_ssize_t start, Py_ssize_t end, int masked)
cdef inline object _message(object message, object tp, object data)

cpdef bytes masking_key()  # the C pool of _mask.pyx (the pure pool's code is dead here)

cdef unsigned long _last_thread
cdef object _last_pair

@cython.locals(ident="unsigned long")
cdef tuple _scratch_buffer()
