"""The domain: every rule lives here once, shared by the HTML pages and the JSON API."""
