"""Tests of autopkg.packaging."""
