"""Notifications: the outbox written in the caller's transaction, its delivery and sweep, the emails, and absolute links."""
