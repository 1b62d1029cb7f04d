"""The gateway: a small process that owns the editor-facing port and forwards to llm-link's private port.

It exists because llm-link grants every web origin (`Access-Control-Allow-Origin: *`) and serves its
unauthenticated `/api/config/*` routes on the same port as the editor API: any web page could redirect the
provider key to itself. The gateway checks Host and Origin, answers preflights itself, hides the management
routes, enforces the editor-facing key, holds requests while no llm-link serves, flips between llm-link
instances without refusing a request, and counts real traffic for the tray. See docs/SECURITY.md.

Run as `python -m app.gateway` (see `__main__`). It imports only asyncio, h11 and the standard library, so
that an idle gateway stays small; keep it that way (tests/gateway/test_process.py checks the imports).
"""
