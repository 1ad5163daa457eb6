"""Leak tracing: marks in the text each contributor receives, and finding who received a
text that turned up outside.

* ``policy`` — which projects may carry marks (a workforce policy's ``watermark``).
* ``marking`` — the keyed mark put into item text on its way to a contributor (lease answers,
  workbench pages) and taken out of what comes back (submitted answers).
* ``leaks`` — reading a found file (text, JSONL or CSV) into the texts to trace.
* ``sources`` — ranking the project's contributors by the evidence a leak holds.

The maths is in ``datafab.marks``; the SQL in ``store.tracing``.
"""
