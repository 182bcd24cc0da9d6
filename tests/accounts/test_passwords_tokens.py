"""Pure parts of accounts: argon2id hashing with rehash-on-parameter-change, password rules, token digests."""

from __future__ import annotations

import subprocess
import sys

import pytest
from argon2 import PasswordHasher

from forecourt.accounts import passwords
from forecourt.accounts.principal import Principal, RoleGrant, can_manage_store, managed_store_ids, staff_store_ids
from forecourt.accounts.tokens import digest, display_prefix, new_api_token, same_secret


def test_hash_is_argon2id_and_verifies():
    stored = passwords.hash_password("a long enough password")
    assert stored.startswith("$argon2id$")
    assert passwords.verify_password(stored, "a long enough password") == (True, None)
    assert passwords.verify_password(stored, "a long enough passworD") == (False, None)
    assert passwords.verify_password("not a hash", "whatever") == (False, None)


def test_production_hashes_with_rfc_9106_low_memory_argon2id():
    # The suite hashes at the smallest cost (tests/conftest.py): a fresh interpreter shows the module's own hasher.
    probe = "from forecourt.accounts import passwords as p; h = p._hasher; print(h.type.name, h.time_cost, h.memory_cost, h.parallelism)"
    shown = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.split()
    assert shown == ["ID", "3", "65536", "4"]
    assert passwords._hasher.time_cost == 1  # and this process runs the cheap one


def test_hash_with_old_parameters_is_replaced_on_verify():
    old = PasswordHasher(time_cost=1, memory_cost=8192).hash("a long enough password")
    ok, replacement = passwords.verify_password(old, "a long enough password")
    assert ok and replacement is not None and replacement != old
    assert passwords.verify_password(replacement, "a long enough password") == (True, None)


@pytest.mark.parametrize(
    ("password", "fragment"),
    [
        ("short", "at least 10"),
        ("x" * 129, "at most 128"),
        ("Li@Example.cn", "same as your email"),
        ("13800138000", "same as your email"),
    ],
)
def test_password_rules(password, fragment):
    assert fragment in passwords.password_problem(password, ["li@example.cn", "13800138000"])


def test_acceptable_password():
    assert passwords.password_problem("x" * 10, ["li@example.cn"]) is None
    assert passwords.password_problem("x" * 128, [None]) is None


def test_api_tokens_are_random_prefixed_and_stored_as_sha256():
    first, second = new_api_token(), new_api_token()
    assert first != second and first.startswith("fc_") and len(first) > 40
    assert display_prefix(first) == first[:8]
    assert len(digest(first)) == 64 and digest(first) == digest(first) != digest(second)
    assert same_secret(first, first) and not same_secret(first, second) and not same_secret(None, first)


def test_store_scopes():
    staff = Principal(
        1, "s", None, None, frozenset({RoleGrant("store_staff", 3), RoleGrant("store_staff", 4)}), "token"
    )
    admin = Principal(2, "a", None, None, frozenset({RoleGrant("admin")}), "token")
    assert staff_store_ids(staff) == {3, 4} and managed_store_ids(staff) == {3, 4}
    assert can_manage_store(staff, 3) and not can_manage_store(staff, 5)
    assert can_manage_store(admin, 5) and managed_store_ids(admin) is None and staff_store_ids(admin) == frozenset()
