# Cython declarations for the compiled twin of _hotpath.py (built as aiohttp_ws._hotpath_c).
# _write_paused is deliberately not a field: aiohttp_server._HostedConnection makes it a property.

cdef class HotPath:
    cdef public object core
    cdef public object transport
    cdef public object _loop
    cdef public object _inbox
    cdef public object _log
    cdef public object _waiter
    cdef public object _heartbeat
    cdef public object _last_rx
    cdef public object _deflate_lock
    cdef public object _parts_sent

    # C calls only (no Python override lookups): the receive path's inner steps.
    cdef _on_messages(self, list messages)
    cdef _put(self, object msg)
