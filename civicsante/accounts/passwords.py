"""Password hashing (argon2id) and the password rules.

Rules follow NIST SP 800-63B / ANSSI advice: 8 to 128 characters, refused when it appears in a
list of common passwords or repeats the account's own e-mail or pseudonym, and no composition
rules (they make passwords harder to remember, not harder to guess).
"""
from __future__ import annotations

import gzip
from functools import lru_cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask_babel import lazy_gettext as _l

MIN_LENGTH = 8
MAX_LENGTH = 128
_HERE = Path(__file__).parent
# Argon2id with argon2-cffi's defaults (RFC 9106 low-memory profile). The test configuration
# asks for the "fast" profile — argon2id still, at the lowest cost — so that the suite's
# hundreds of logins do not spend minutes of CPU; every other configuration keeps "standard".
HASHING_PROFILES = {
    "standard": {},
    "fast": {"time_cost": 1, "memory_cost": 1024, "parallelism": 1},
}
_hasher = PasswordHasher()
# Verified against when no account matches, so a login for an unknown e-mail costs the same time.
_DUMMY_HASH = _hasher.hash("civicsante-dummy-password")
_profile = "standard"


def use_hashing_profile(profile: str) -> None:
    """Select the argon2id cost for new hashes and verifications (config PASSWORD_HASHING)."""
    global _hasher, _DUMMY_HASH, _profile
    if profile == _profile:
        return
    _hasher = PasswordHasher(**HASHING_PROFILES[profile])
    _DUMMY_HASH = _hasher.hash("civicsante-dummy-password")
    _profile = profile


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """~20,000 common passwords (Django's list, BSD licence) plus French ones we add."""
    with gzip.open(_HERE / "common-passwords.txt.gz", "rt", encoding="utf-8") as f:
        words = {line.strip().lower() for line in f if line.strip()}
    extra = (_HERE / "common-passwords-fr.txt").read_text(encoding="utf-8").splitlines()
    words.update(w.strip().lower() for w in extra if w.strip() and not w.startswith("#"))
    return frozenset(words)


def password_problems(password: str, *, email: str | None = None, pseudonym: str | None = None) -> list:
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(_l("The password must be at least %(n)s characters long.", n=MIN_LENGTH))
    elif len(password) > MAX_LENGTH:
        problems.append(_l("The password must be at most %(n)s characters long.", n=MAX_LENGTH))
    lowered = password.lower()
    if lowered in common_passwords():
        problems.append(_l("This password is too common: choose one that is harder to guess."))
    else:
        for personal in (email, (email or "").split("@")[0], pseudonym):
            if personal and len(personal) >= 4 and personal.lower() in lowered:
                problems.append(_l("The password must not contain your e-mail address or pseudonym."))
                break
    return problems


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
