"""``python -m inspector.cli``: the ``inspect`` command, as it ran when the command line was one module."""

from . import main

main()
