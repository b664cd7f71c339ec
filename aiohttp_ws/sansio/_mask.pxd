# C-level functions of _mask.pyx, called directly by _frames_c (the compiled twin of frames.py).

cdef bytes build_frame_c(int b0, object payload, bint mask)
cdef bytes frame_payload(bytearray buf, Py_ssize_t start, Py_ssize_t end, bint masked)
cdef object new_message(type cls, object tp, object data)
cdef bytes masking_key_c()
