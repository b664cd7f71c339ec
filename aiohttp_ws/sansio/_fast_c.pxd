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
    # Set and used in Python only (protocol.py, reassembly.py), declared so that
    # an instance needs no __dict__ (memory per connection).
    cdef public object max_fragments
    cdef public object max_msg_size
    cdef public object autoping
    cdef public object autoclose
    cdef public object close_code
    cdef public object close_reason
    cdef public object failing
    cdef public object _out
    cdef public object _pongs
    cdef public object _frag_compressed
    cdef public object _frag_parts
    cdef public object _frag_size
    cdef public object _frag_count
    cdef public object _frag_text
    cdef public object _sending_compressed

    # C calls only (no Python override lookups): the receive loop's inner steps.
    cdef bint _done_receiving(self) except -1
    cdef list _receive(self)
