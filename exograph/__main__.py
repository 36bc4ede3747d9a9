"""``python -m exograph``."""

from .cli import main

main()
