# Cython declarations for the compiled twin of _fast.py (built as aiohttp_ws.sansio._fast_c).
from aiohttp_ws.sansio._mask cimport build_frame_c

cdef class FastPath:
    cdef public object state
    cdef public object is_client
    cdef public object close_received
    cdef public object close_sent
    cdef public object exception
    cdef public object codec
    cdef public object _parser
    cdef public object _frag_opcode
    cdef public object _partial_used
    cdef public object _sending_fragmented

    # C calls only (no Python override lookups): the receive loop's inner steps.
    cdef bint _done_receiving(self) except -1
    cdef list _receive(self)
