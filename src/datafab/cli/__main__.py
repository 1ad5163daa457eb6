"""``python -m datafab.cli …``: the ``datafab`` command."""

from datafab.cli import main

main()
