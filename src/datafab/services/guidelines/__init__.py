"""Guidelines that change: a changelog per version, and for a material change an
acknowledgement (optionally after a short quiz of gold items) that every contributor who
worked under an earlier version gives before their next lease.

``changes`` records a version's changelog when a project's guidelines are patched; ``gate``
is the one check the lease path makes; ``acknowledge`` is the contributor's side (what is
pending, the quiz, the acknowledgement) and the requester's roster of who acknowledged.
"""
