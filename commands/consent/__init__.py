"""Consent: what both parties share changes only with both (proposals, and their decisions)."""
