"""``python -m promocast.cli``: the same as the ``promocast`` command."""

from promocast.cli import main

main()
