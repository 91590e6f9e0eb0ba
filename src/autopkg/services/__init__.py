"""Read services over boundaries and packages, shared by the API and the CLI."""
