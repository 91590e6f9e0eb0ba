"""The ``autopkg`` command line (typer), one module per command group.

Command modules import the database, web and job stacks inside the command functions,
so that ``autopkg clip`` and ``--help`` start without loading what they do not use.
"""
