"""Field encryption: round trips, tamper and context binding, key rotation, keyring parsing, blind indexes."""

from __future__ import annotations

import base64
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from forecourt.core.crypto import (
    DecryptionError,
    FieldCipher,
    Keyring,
    derive_index_key,
    field_cipher_from_config,
)

KEY_1 = bytes(range(32))
KEY_2 = bytes(range(100, 132))
SECRET = "s" * 48
INDEX_KEY = derive_index_key(SECRET)
CONTEXT = "credit_application:42:id_number"
ID_NUMBER = "11010519491231002X"


def entry(key_id: str, key: bytes) -> str:
    return f"{key_id}:{base64.b64encode(key).decode()}"


def cipher(keyring_text: str) -> FieldCipher:
    return FieldCipher(Keyring.parse(keyring_text), index_key=INDEX_KEY)


@pytest.fixture
def k1_cipher() -> FieldCipher:
    return cipher(entry("k1", KEY_1))


@pytest.fixture
def k2_k1_cipher() -> FieldCipher:
    return cipher(f"{entry('k2', KEY_2)},{entry('k1', KEY_1)}")


def flip_byte(token: str, part: int, index: int) -> str:
    parts = token.split(":")
    raw = bytearray(base64.urlsafe_b64decode(parts[part]))
    raw[index] ^= 0x01
    parts[part] = base64.urlsafe_b64encode(bytes(raw)).decode()
    return ":".join(parts)


def test_round_trip_and_token_shape(k1_cipher: FieldCipher) -> None:
    token = k1_cipher.encrypt(ID_NUMBER, context=CONTEXT)
    version, key_id, nonce, sealed = token.split(":")
    assert (version, key_id, len(base64.urlsafe_b64decode(nonce))) == ("fc1", "k1", 12)
    assert ID_NUMBER not in token
    assert k1_cipher.decrypt(token, context=CONTEXT) == ID_NUMBER


@given(st.text())
def test_round_trip_of_any_text(plaintext: str) -> None:
    field_cipher = cipher(entry("k1", KEY_1))
    assert field_cipher.decrypt(field_cipher.encrypt(plaintext, context=CONTEXT), context=CONTEXT) == plaintext


def test_equal_plaintexts_get_different_nonces(k1_cipher: FieldCipher) -> None:
    tokens = {k1_cipher.encrypt(ID_NUMBER, context=CONTEXT) for _ in range(20)}
    assert len(tokens) == 20
    assert len({token.split(":")[2] for token in tokens}) == 20


@pytest.mark.parametrize(("part", "index"), [(2, 0), (3, 0), (3, -1)], ids=["nonce", "ciphertext", "tag"])
def test_tampered_token_fails(k1_cipher: FieldCipher, part: int, index: int) -> None:
    token = k1_cipher.encrypt(ID_NUMBER, context=CONTEXT)
    with pytest.raises(DecryptionError, match="authentication"):
        k1_cipher.decrypt(flip_byte(token, part, index), context=CONTEXT)


def test_token_copied_to_another_row_fails(k1_cipher: FieldCipher) -> None:
    token = k1_cipher.encrypt(ID_NUMBER, context=CONTEXT)
    with pytest.raises(DecryptionError):
        k1_cipher.decrypt(token, context="credit_application:43:id_number")


@pytest.mark.parametrize(
    "token",
    [
        "",
        "plain text",
        "fc1:k1:abc",
        "fc2:k1:AAAAAAAAAAAAAAAA:AAAAAAAAAAAAAAAAAAAAAA==",
        "fc1:K1:AAAA:AAAA",
        "fc1:k1:!!!!:AAAA",
        "fc1:k1:AAAA:AAAAAAAAAAAAAAAAAAAAAA==",
        "fc1:k1:AAAAAAAAAAAAAAAA:AAAA",
        "fc1:k1:ÄÄÄÄ:AAAA",
    ],
)
def test_malformed_tokens_fail_cleanly(k1_cipher: FieldCipher, token: str) -> None:
    with pytest.raises(DecryptionError, match="not a fc1 token"):
        k1_cipher.decrypt(token, context=CONTEXT)


def test_context_is_required(k1_cipher: FieldCipher) -> None:
    with pytest.raises(ValueError, match="context"):
        k1_cipher.encrypt(ID_NUMBER, context="")


def test_rotation_to_a_new_current_key(k1_cipher: FieldCipher, k2_k1_cipher: FieldCipher) -> None:
    old = k1_cipher.encrypt(ID_NUMBER, context=CONTEXT)
    assert k2_k1_cipher.decrypt(old, context=CONTEXT) == ID_NUMBER
    assert k2_k1_cipher.needs_rotation(old) and not k1_cipher.needs_rotation(old)

    rotated = k2_k1_cipher.rotate(old, context=CONTEXT)
    assert rotated.split(":")[1] == "k2"
    assert not k2_k1_cipher.needs_rotation(rotated)
    assert k2_k1_cipher.decrypt(rotated, context=CONTEXT) == ID_NUMBER
    assert k2_k1_cipher.rotate(rotated, context=CONTEXT) == rotated

    k2_only = cipher(entry("k2", KEY_2))
    assert k2_only.decrypt(rotated, context=CONTEXT) == ID_NUMBER
    with pytest.raises(DecryptionError, match="no key with id 'k1'"):
        k2_only.decrypt(old, context=CONTEXT)


def test_rotate_checks_the_context_even_when_current(k2_k1_cipher: FieldCipher) -> None:
    token = k2_k1_cipher.encrypt(ID_NUMBER, context=CONTEXT)
    with pytest.raises(DecryptionError):
        k2_k1_cipher.rotate(token, context="credit_application:43:id_number")


def test_same_key_under_another_id_does_not_open_the_token(k1_cipher: FieldCipher) -> None:
    relabelled = k1_cipher.encrypt(ID_NUMBER, context=CONTEXT).replace(":k1:", ":k9:")
    with pytest.raises(DecryptionError):
        cipher(entry("k9", KEY_1)).decrypt(relabelled, context=CONTEXT)


@pytest.mark.parametrize("amount", ["8500.00", "0", "12345678.90", "-0.01", "1E+3", "0.10"])
def test_decimal_round_trip_keeps_exact_cents(k1_cipher: FieldCipher, amount: str) -> None:
    token = k1_cipher.encrypt_decimal(Decimal(amount), context=CONTEXT)
    restored = k1_cipher.decrypt_decimal(token, context=CONTEXT)
    assert restored == Decimal(amount) and str(restored) == amount


@pytest.mark.parametrize("amount", [Decimal("NaN"), Decimal("Infinity"), 8500.0])
def test_decimal_refuses_non_finite_and_floats(k1_cipher: FieldCipher, amount: object) -> None:
    with pytest.raises(ValueError, match="finite Decimal"):
        k1_cipher.encrypt_decimal(amount, context=CONTEXT)  # type: ignore[arg-type]


def test_decrypt_decimal_of_text_fails(k1_cipher: FieldCipher) -> None:
    with pytest.raises(DecryptionError, match="decimal"):
        k1_cipher.decrypt_decimal(k1_cipher.encrypt("a lot", context=CONTEXT), context=CONTEXT)


def test_blind_index_is_stable_across_rotation_and_separates_purposes(
    k1_cipher: FieldCipher, k2_k1_cipher: FieldCipher
) -> None:
    digest = k1_cipher.blind_index(ID_NUMBER, purpose="credit_application.id_number")
    assert len(digest) == 64 and ID_NUMBER not in digest
    assert k2_k1_cipher.blind_index(ID_NUMBER, purpose="credit_application.id_number") == digest
    assert k1_cipher.blind_index(ID_NUMBER, purpose="customer.id_number") != digest
    other_secret = FieldCipher(k1_cipher.keyring, index_key=derive_index_key("t" * 48))
    assert other_secret.blind_index(ID_NUMBER, purpose="credit_application.id_number") != digest


def test_blind_index_key_must_be_long_enough() -> None:
    with pytest.raises(ValueError, match="at least 32 bytes"):
        FieldCipher(Keyring.derived_from_secret(SECRET), index_key=b"short")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        (f"K1:{base64.b64encode(KEY_1).decode()}", "id 'K1' must be 1-16"),
        (f"k-1:{base64.b64encode(KEY_1).decode()}", "id 'k-1' must be 1-16"),
        (f"{'k' * 17}:{base64.b64encode(KEY_1).decode()}", "must be 1-16"),
        (f"{entry('k1', KEY_1)},{entry('k1', KEY_2)}", "entry 2: key id 'k1' appears more than once"),
        (entry("k1", KEY_1[:16]), "must be 32 bytes, got 16"),
        ("k1:not base64!", "not valid base64"),
        (base64.b64encode(KEY_1).decode(), "no ':' found"),
        (f"{base64.b64encode(KEY_1).decode()}:k1", "an id of 44 characters"),
    ],
    ids=[
        "empty",
        "upper-case id",
        "dash in id",
        "long id",
        "duplicate id",
        "short key",
        "bad base64",
        "no id",
        "key and id swapped",
    ],
)
def test_keyring_parse_errors_never_show_key_material(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message) as raised:
        Keyring.parse(text)
    for key in (KEY_1, KEY_2, KEY_1[:16]):
        assert base64.b64encode(key).decode() not in str(raised.value)


def test_keyring_repr_shows_only_ids(k2_k1_cipher: FieldCipher) -> None:
    shown = repr(k2_k1_cipher) + repr(k2_k1_cipher.keyring) + str(vars(k2_k1_cipher.keyring))
    assert "'k2'" in shown and "'k1'" in shown
    for key in (KEY_1, KEY_2):
        assert base64.b64encode(key).decode() not in shown and key.hex() not in shown
    assert k2_k1_cipher.keyring.current_key_id == "k2" and k2_k1_cipher.keyring.key_ids == ("k2", "k1")


def test_generated_key_text_parses_and_is_fresh() -> None:
    first, second = Keyring.generate_key_text("k3"), Keyring.generate_key_text("k3")
    assert first != second and first.startswith("k3:")
    assert Keyring.parse(f"{first}, {entry('k2', KEY_2)}").key_ids == ("k3", "k2")
    with pytest.raises(ValueError, match="must be 1-16"):
        Keyring.generate_key_text("K 3")


def test_dev_keyring_is_derived_deterministically_from_the_secret() -> None:
    token = FieldCipher(Keyring.derived_from_secret(SECRET), index_key=INDEX_KEY).encrypt("8500.00", context=CONTEXT)
    assert token.split(":")[1] == "dev"
    assert FieldCipher(Keyring.derived_from_secret(SECRET), index_key=INDEX_KEY).decrypt(token, context=CONTEXT)
    with pytest.raises(DecryptionError):
        FieldCipher(Keyring.derived_from_secret("t" * 48), index_key=INDEX_KEY).decrypt(token, context=CONTEXT)
    with pytest.raises(ValueError, match="empty secret"):
        Keyring.derived_from_secret("")


def test_data_key_differs_from_index_key() -> None:
    # Deriving both from one secret is safe only because the HKDF labels differ.
    index_key_as_data_key = FieldCipher(Keyring([("dev", INDEX_KEY)]), index_key=INDEX_KEY)
    sealed_with_index_key = index_key_as_data_key.encrypt("x", context=CONTEXT)
    dev_cipher = FieldCipher(Keyring.derived_from_secret(SECRET), index_key=INDEX_KEY)
    with pytest.raises(DecryptionError):
        dev_cipher.decrypt(sealed_with_index_key, context=CONTEXT)


def test_field_cipher_from_config() -> None:
    configured = field_cipher_from_config(f"{entry('k2', KEY_2)},{entry('k1', KEY_1)}", SECRET)
    assert configured.keyring.key_ids == ("k2", "k1")
    assert field_cipher_from_config("  ", SECRET).keyring.key_ids == ("dev",)
    derived = field_cipher_from_config("", SECRET)
    assert configured.blind_index("x", purpose="p") == derived.blind_index("x", purpose="p")
