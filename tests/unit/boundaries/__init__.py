"""Tests of autopkg.boundaries."""
