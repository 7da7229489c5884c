"""Password hashing with Argon2id (argon2-cffi) and strength with zxcvbn; never hand-rolled."""

from __future__ import annotations

import re
from collections.abc import Iterable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024
# zxcvbn's score 3 is "safely unguessable: moderate protection from offline slow-hash attacks"
# (about 10^8 guesses or more); 0-2 are the passwords a guessing attack tries first.
MIN_PASSWORD_SCORE = 3
# zxcvbn refuses longer input (its matching grows fast with length), so a longer password is
# judged by its first 72 characters: what follows can only make it stronger.
SCORED_LENGTH = 72
# Words anyone attacking this site would try first, whoever the user is.
SITE_WORDS = ("kendama", "kendamalive", "live", "session", "sessions", "lesson", "lessons")

_production_hasher = PasswordHasher()
# The test suite creates thousands of users; the same algorithm with a small cost keeps it fast.
_test_hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def _hasher() -> PasswordHasher:
    return _test_hasher if current_app.config.get("PASSWORD_HASH_FAST") else _production_hasher


def hash_password(password: str) -> str:
    """Hash a password for storage."""
    return _hasher().hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    """Check a password against its stored hash in constant time."""
    try:
        return _production_hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """True when a hash was made with weaker settings than today's (it is upgraded at sign-in)."""
    try:
        return _hasher().check_needs_rehash(stored_hash)
    except InvalidHashError:
        return True


def password_problem(password: str, user_inputs: Iterable[str] = ()) -> str | None:
    """The reason a new password is not acceptable, or None.

    `user_inputs` are what the account says about its owner (email, name): a password made of
    them is among the first an attacker who knows the account tries.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Use at least {MIN_PASSWORD_LENGTH} characters."
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"Use at most {MAX_PASSWORD_LENGTH} characters."
    # Imported where a password is judged: its word lists are 14 MB of every web worker otherwise.
    from zxcvbn import zxcvbn

    result = zxcvbn(password[:SCORED_LENGTH], user_inputs=[*SITE_WORDS, *_words_of(user_inputs)])
    if result["score"] >= MIN_PASSWORD_SCORE:
        return None
    feedback = result["feedback"]
    advice = " ".join(part for part in (feedback["warning"], *feedback["suggestions"]) if part)
    return f"This password is too easy to guess. {advice or 'Add another word or two. Uncommon words are better.'}"


def _words_of(user_inputs: Iterable[str]) -> list[str]:
    """Each input whole and in its words (an email's local part and domain, a name's parts)."""
    words: list[str] = []
    for text in user_inputs:
        if text:
            words.append(text.lower())
            words.extend(word for word in re.split(r"[^\w]+", text.lower()) if len(word) >= 3)
    return words
