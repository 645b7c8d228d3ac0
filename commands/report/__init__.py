"""The audit report: one relationship's evidence for an ISO 44001 auditor, gathered read-only (`gather`)."""
