"""Calendars: busy times imported from a player's calendar, and the feeds and invitations we publish."""
