"""Loaded by the peer taps' interpreters (this directory is on their PYTHONPATH): rewrites the CRMs'
public URLs to the sandbox's, below `requests`, so the taps run unchanged. EMU_REWRITE holds
`https://api.hubapi.com=http://127.0.0.1:PORT,...` pairs."""

import os

_pairs = [p.split("=", 1) for p in os.environ.get("EMU_REWRITE", "").split(",") if "=" in p]
if _pairs:
    import requests.adapters as _ra

    _orig = _ra.HTTPAdapter.send

    def _send(self, request, *a, **kw):
        for src, dst in _pairs:
            if request.url.startswith(src):
                request.url = dst + request.url[len(src) :]
                break
        return _orig(self, request, *a, **kw)

    _ra.HTTPAdapter.send = _send
