"""Test harness shared by Folio's end-to-end tests (see harness/edge.py)."""
