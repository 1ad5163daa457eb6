"""An organization's own primitives: definitions stored by version (``catalog``) and resolved
for the projects pinned to them (``resolve``). Private: every read names the organization, and
another organization's primitive is not found, never forbidden."""
