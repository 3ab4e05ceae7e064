"""Staging data: fixtures loaded with COPY, template resets, snapshots, and the dump sanitizer."""
