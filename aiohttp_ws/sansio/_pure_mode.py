"""Stands in for the ``cython`` module when Cython is not installed: the
sources Cython compiles (``frames.py``) test ``cython.compiled``, which Cython
reads as True at compile time and which is False here."""

compiled = False
