"""Tests of autopkg.storage."""
