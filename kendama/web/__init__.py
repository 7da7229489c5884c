"""What every request passes through: error pages, security headers and limits, the input guard,
request logging, cookie sessions and who is signed in, htmx, template helpers, URL converters,
the fragment cache, the loopback check and the trusted-proxy set-up."""
