"""The ``autopkg`` command line (typer), one module per command group.

``cli.main`` imports a command's module only when that command runs (or ``--help``
lists it), and the modules import the database, web, job and GDAL stacks inside the
command functions, so ``autopkg clip`` and ``--help`` start without loading what they
do not use.
"""
