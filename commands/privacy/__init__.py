"""Data protection: retention of check-in answers, erasure of a person's data, and a copy of it for them."""
