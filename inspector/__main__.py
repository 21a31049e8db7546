"""``python -m inspector``: the same as the ``inspect`` command (which inspect-ai also installs)."""

from .cli import main

main(prog_name="inspect")
