"""Talking to the CRMs through their official clients: the same code path for sandbox and production."""
