"""The security family: the attacks issue 14 probed, kept as tests that fail if a defence regresses.

Here, one module per kind of attack:
- test_idor.py: another user's id (session, recording, share, join, receipt, payment, refund)
  gets 404 and none of the data; every route with an id must say who may use it.
- test_mass_assignment.py: extra fields in every JSON body and form (role, is_admin,
  verification_state, price_amount, status, player_share_amount, ...) change nothing.
- test_xss.py: what users write (names, bios, notes, reasons, comments, calendar addresses) is
  escaped on every page and email that shows it.
- test_sql_injection.py: quotes, LIKE wildcards, backslashes and `' OR 1=1 --` in every search
  and filter answer like a harmless string, never a 500.
- test_ssrf.py: the calendar import never reaches loopback, private, link-local or
  metadata addresses, however the address is written, redirected or resolved.
- test_path_traversal.py: file routes (avatars, static files, the sandboxes' files and the
  development outbox) never serve a file outside their folder.
- test_open_redirect.py: `next=` never leads off the site, however it is written or encoded.

Elsewhere, and not repeated here (docs/security.md lists every defence with its test):
- who may use which route: tests/integration/test_authorization_matrix.py (test_idor.py checks
  that it covers every route with an id, and that what it refuses leaks nothing);
- CSRF on every unsafe form: tests/integration/test_csrf_everywhere.py;
- webhook forgery, replay and trusting a signed event's content: payments/test_checkout.py and
  test_video_recordings.py; rate limits behind a proxy: test_trusted_proxies.py and
  tests/e2e/test_behind_nginx.py; session fixation, signed links, headers, avatars:
  test_security_checks.py.
"""
