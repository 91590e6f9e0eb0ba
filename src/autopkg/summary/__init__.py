"""Summaries: the numbers analysts compute first, from the files of a package."""
