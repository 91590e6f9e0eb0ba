"""The ``autopkg`` command line (typer), one module per command group."""
