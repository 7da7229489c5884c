"""Accounts: registration and sign-in, passwords, browsers' sign-ins, API tokens, signed links and player profiles."""
