# Cython declarations for the compiled twin of _hotpath.py (built as aiohttp_ws._hotpath_c).
# _write_paused is a field for storage only: _HostedConnection (aiohttp_server.py) overrides it with a
# property, so the compiled methods read it by name (getattr), never from the struct.

cdef extern from *:
    """
    #include <sys/socket.h>
    #ifndef MSG_NOSIGNAL
    #define MSG_NOSIGNAL 0
    #endif
    /* One send(2) of n bytes: the count sent, or -1 (errno says why; the caller hands the bytes to write()). */
    static Py_ssize_t aiohttp_ws_send_now(int fd, const char *data, Py_ssize_t n) {
        return (Py_ssize_t)send(fd, data, (size_t)n, MSG_NOSIGNAL);
    }
    """
    Py_ssize_t send_now "aiohttp_ws_send_now" (int fd, const char *data, Py_ssize_t n)

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
    cdef public int _fd  # the socket for HotPath._send_now, or -1
    # Set and used in Python only (connection.py and its parts), declared so that
    # an instance needs no __dict__ (memory per connection).
    cdef public object _write_paused
    cdef public object exception
    cdef public object _pings
    cdef public object _drain_waiters
    cdef public object _closed_fut
    cdef public object _lost_fut
    cdef public object _close_timeout
    cdef public object _linger
    cdef public object _ending
    cdef public object _hb_handle
    cdef public object _ping_at
    cdef public object _resumed_at
    cdef public object lost_callbacks
    cdef public object _failure_timer
    cdef public object get_buffer  # the parser's bound get_buffer (asyncio.BufferedProtocol)

    # C calls only (no Python override lookups): the receive path's inner steps.
    cdef _on_messages(self, list messages)
    cdef _put(self, object msg)
    cdef _write_frame(self, bytes data)
    cdef _send_now(self, object transport, bytes data)
