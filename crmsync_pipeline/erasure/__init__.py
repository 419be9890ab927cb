"""Erasure (GDPR): a person erased from both CRMs and from the state file, detected when a CRM erased
them first, and never re-created from a stale copy."""
