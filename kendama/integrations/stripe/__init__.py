"""Stripe: the adapter (gateway.py) and the offline sandbox that stands in for it (sandbox/)."""
