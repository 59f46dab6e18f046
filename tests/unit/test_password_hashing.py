"""Passwords are hashed with argon2id at argon2-cffi's default cost outside the tests; the test
configuration lowers the cost only (still argon2id), and a hash made at one cost still verifies."""
from __future__ import annotations

from civicsante import create_app
from civicsante.accounts import passwords


def test_production_hashes_at_the_default_cost_and_tests_at_the_lowest():
    try:
        passwords.use_hashing_profile("standard")
        standard = passwords.hash_password("un long mot de passe")
        assert standard.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
        passwords.use_hashing_profile("fast")
        fast = passwords.hash_password("un long mot de passe")
        assert fast.startswith("$argon2id$v=19$m=1024,t=1,p=1$")
        # Parameters travel in the hash: either verifies whatever the current profile.
        assert passwords.verify_password(standard, "un long mot de passe")
        assert not passwords.verify_password(standard, "un autre mot de passe")
        assert passwords.needs_rehash(standard)  # a login would re-hash at the current cost
    finally:
        passwords.use_hashing_profile("fast")


def test_each_configuration_names_its_profile(monkeypatch):
    from civicsante.config import CONFIGS

    assert CONFIGS["production"].PASSWORD_HASHING == "standard"
    assert CONFIGS["development"].PASSWORD_HASHING == "standard"
    assert CONFIGS["testing"].PASSWORD_HASHING == "fast"
    monkeypatch.setenv("SECRET_KEY", "x" * 32)
    create_app("development")
    assert passwords.hash_password("un long mot de passe").startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    create_app({})
    assert passwords.hash_password("un long mot de passe").startswith("$argon2id$v=19$m=1024,t=1,p=1$")
