"""``python -m commonground``: the same as the ``commonground`` command."""

from commonground.cli import main

main()
