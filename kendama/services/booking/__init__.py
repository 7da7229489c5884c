"""Booking: availability, free slots and their cache, who may book, the policy, and a session's life from hold to end."""
