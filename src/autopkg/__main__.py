"""``python -m autopkg`` runs the command line."""

from autopkg.cli.main import main

main()
