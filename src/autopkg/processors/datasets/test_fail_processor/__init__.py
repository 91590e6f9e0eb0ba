"""Test fixture processor that always fails."""
