"""Field-level encryption at rest: AES-256-GCM under a rotatable keyring, plus keyed digests for lookups.

A token is self-describing, ``fc1:<key id>:<nonce>:<ciphertext+tag>`` (URL-safe base64), so rows written under
an older key stay readable after rotation and ``needs_rotation`` can find them. The caller's ``context`` (for
example ``"credit_application:42:id_number"``) is authenticated with the ciphertext, so a token copied into
another row or column fails to decrypt instead of quietly showing someone else's data.

Nothing here logs, and no repr shows plaintext or key bytes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
from decimal import Decimal, InvalidOperation

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

TOKEN_VERSION = "fc1"
KEY_BYTES = 32  # AES-256
NONCE_BYTES = 12  # the 96-bit nonce AES-GCM is designed for; random, so a key should seal < 2**32 values
MIN_INDEX_KEY_BYTES = 32
DEV_KEY_ID = "dev"
KEY_ID_PATTERN = re.compile(r"[a-z0-9]{1,16}")
# Distinct HKDF labels keep the development data key and the blind-index key independent of each other.
DEV_DATA_KEY_INFO = b"forecourt/field-encryption/dev-data-key/v1"
INDEX_KEY_INFO = b"forecourt/field-encryption/blind-index-key/v1"


class DecryptionError(ValueError):
    """A token that cannot be opened; the message gives the reason, never the data or the key."""


def _hkdf(secret: str, info: bytes) -> bytes:
    if not secret:
        raise ValueError("cannot derive a key from an empty secret")
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=info).derive(secret.encode("utf-8"))


def derive_index_key(secret: str) -> bytes:
    """The blind-index key, derived from the app secret. It is deliberately not a data key: rotating data keys
    must not change the digests that rows are looked up by."""
    return _hkdf(secret, INDEX_KEY_INFO)


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii")


def _b64decode(text: str) -> bytes:
    # validate=True refuses stray characters that the lenient default would silently drop.
    return base64.b64decode(text.encode("ascii"), altchars=b"-_", validate=True)


class Keyring:
    """Data keys by id; the first is current (it encrypts), every one decrypts."""

    def __init__(self, keys: list[tuple[str, bytes]]) -> None:
        if not keys:
            raise ValueError("a keyring needs at least one key")
        self._ciphers: dict[str, AESGCM] = {}
        for position, (key_id, key) in enumerate(keys, start=1):
            _check_key(position, key_id, key, seen=self._ciphers)
            self._ciphers[key_id] = AESGCM(key)
        self.current_key_id = keys[0][0]

    @classmethod
    def parse(cls, text: str) -> Keyring:
        """Read ``"k2:<base64 key>,k1:<base64 key>"`` (current key first), as kept in the settings."""
        entries = [entry.strip() for entry in text.split(",") if entry.strip()]
        if not entries:
            raise ValueError("the keyring is empty; expected 'id:<base64 32-byte key>' entries separated by commas")
        return cls([_parse_entry(position, entry) for position, entry in enumerate(entries, start=1)])

    @classmethod
    def derived_from_secret(cls, secret: str) -> Keyring:
        """A single development key (id "dev") derived from the app secret, for when no data keys are set."""
        return cls([(DEV_KEY_ID, _hkdf(secret, DEV_DATA_KEY_INFO))])

    @staticmethod
    def generate_key_text(key_id: str) -> str:
        """A fresh ``id:<base64 key>`` entry for operators to put at the front of the keyring setting."""
        if not KEY_ID_PATTERN.fullmatch(key_id):
            raise ValueError(f"key id {key_id!r} must be 1-16 lower-case letters or digits")
        return f"{key_id}:{base64.b64encode(AESGCM.generate_key(bit_length=KEY_BYTES * 8)).decode('ascii')}"

    @property
    def key_ids(self) -> tuple[str, ...]:
        return tuple(self._ciphers)

    def cipher_for(self, key_id: str) -> AESGCM | None:
        return self._ciphers.get(key_id)

    @property
    def current_cipher(self) -> AESGCM:
        return self._ciphers[self.current_key_id]

    def __repr__(self) -> str:
        return f"Keyring(current={self.current_key_id!r}, key_ids={list(self._ciphers)!r})"


def _parse_entry(position: int, entry: str) -> tuple[str, bytes]:
    key_id, separator, encoded = entry.partition(":")
    if not separator:
        raise ValueError(f"keyring entry {position} must look like 'id:<base64 key>' (no ':' found)")
    try:
        key = base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"keyring entry {position} ({_describe_id(key_id)}): the key is not valid base64") from None
    return key_id.strip(), key


def _describe_id(key_id: str) -> str:
    # An entry written the wrong way round ("<key>:k1") would otherwise echo the key as its "id".
    return f"id {key_id.strip()!r}" if len(key_id.strip()) <= 16 else f"an id of {len(key_id.strip())} characters"


def _check_key(position: int, key_id: str, key: bytes, *, seen: dict[str, AESGCM]) -> None:
    if not KEY_ID_PATTERN.fullmatch(key_id):
        raise ValueError(f"keyring entry {position}: {_describe_id(key_id)} must be 1-16 lower-case letters or digits")
    if key_id in seen:
        raise ValueError(f"keyring entry {position}: key id {key_id!r} appears more than once")
    if len(key) != KEY_BYTES:
        raise ValueError(f"keyring entry {position} (id {key_id!r}): the key must be {KEY_BYTES} bytes, got {len(key)}")


class FieldCipher:
    """Encrypts single field values into tokens and computes blind indexes.

    ``index_key`` comes from the app secret (see ``derive_index_key``), not from the keyring, so digests used for
    lookups survive data-key rotation.
    """

    def __init__(self, keyring: Keyring, *, index_key: bytes) -> None:
        if len(index_key) < MIN_INDEX_KEY_BYTES:
            raise ValueError(f"the blind-index key must be at least {MIN_INDEX_KEY_BYTES} bytes")
        self.keyring = keyring
        self._index_key = index_key

    def __repr__(self) -> str:
        return f"FieldCipher({self.keyring!r})"

    def encrypt(self, plaintext: str, *, context: str) -> str:
        key_id = self.keyring.current_key_id
        associated_data = _associated_data(key_id, context)
        nonce = os.urandom(NONCE_BYTES)
        sealed = self.keyring.current_cipher.encrypt(nonce, plaintext.encode("utf-8"), associated_data)
        return f"{TOKEN_VERSION}:{key_id}:{_b64encode(nonce)}:{_b64encode(sealed)}"

    def decrypt(self, token: str, *, context: str) -> str:
        key_id, nonce, sealed = _split_token(token)
        cipher = self.keyring.cipher_for(key_id)
        if cipher is None:
            raise DecryptionError(f"no key with id {key_id!r} in the keyring")
        try:
            plaintext = cipher.decrypt(nonce, sealed, _associated_data(key_id, context))
        except InvalidTag:
            raise DecryptionError("the token failed authentication (tampered, or from another field)") from None
        return plaintext.decode("utf-8")

    def needs_rotation(self, token: str) -> bool:
        key_id, _, _ = _split_token(token)
        return key_id != self.keyring.current_key_id

    def rotate(self, token: str, *, context: str) -> str:
        """The same value under the current key; a token already under it is checked and returned unchanged."""
        plaintext = self.decrypt(token, context=context)
        return self.encrypt(plaintext, context=context) if self.needs_rotation(token) else token

    def encrypt_decimal(self, amount: Decimal, *, context: str) -> str:
        if not isinstance(amount, Decimal) or not amount.is_finite():
            raise ValueError("only finite Decimal amounts can be encrypted (floats would lose cents)")
        # str() round-trips a Decimal exactly, trailing zeros included: "8500.00" stays "8500.00".
        return self.encrypt(str(amount), context=context)

    def decrypt_decimal(self, token: str, *, context: str) -> Decimal:
        text = self.decrypt(token, context=context)
        try:
            amount = Decimal(text)
        except InvalidOperation:
            raise DecryptionError("the token does not hold a decimal amount") from None
        if not amount.is_finite():
            raise DecryptionError("the token does not hold a finite decimal amount")
        return amount

    def blind_index(self, value: str, *, purpose: str) -> str:
        """A keyed SHA-256 digest (hex) of ``value`` for equality lookups without decrypting. Normalise the value
        first (e.g. upper-case the X of an ID number); ``purpose`` keeps indexes of different fields unrelated."""
        if not purpose:
            raise ValueError("a blind index needs a purpose, such as 'credit_application.id_number'")
        # Length-prefixing the purpose makes ("a:b", "c") and ("a", "b:c") hash differently.
        message = f"{len(purpose)}:{purpose}:{value}".encode()
        return hmac.new(self._index_key, message, hashlib.sha256).hexdigest()


def _associated_data(key_id: str, context: str) -> bytes:
    if not context:
        raise ValueError("a context such as 'credit_application:42:id_number' is required")
    return f"{TOKEN_VERSION}:{key_id}:{context}".encode()


def _split_token(token: str) -> tuple[str, bytes, bytes]:
    parts = token.split(":") if isinstance(token, str) else []
    if len(parts) != 4 or parts[0] != TOKEN_VERSION or not KEY_ID_PATTERN.fullmatch(parts[1]):
        raise DecryptionError(f"not a {TOKEN_VERSION} token")
    try:
        nonce, sealed = _b64decode(parts[2]), _b64decode(parts[3])
    except (binascii.Error, ValueError):
        raise DecryptionError(f"not a {TOKEN_VERSION} token (bad base64)") from None
    if len(nonce) != NONCE_BYTES or len(sealed) < 16:
        raise DecryptionError(f"not a {TOKEN_VERSION} token (wrong nonce or tag length)")
    return parts[1], nonce, sealed


def field_cipher_from_config(data_keys: str, secret_key: str) -> FieldCipher:
    """The cipher the app uses: the configured keyring, or a key derived from the secret when none is set
    (development and tests only; production settings should refuse an empty keyring)."""
    keyring = Keyring.parse(data_keys) if data_keys.strip() else Keyring.derived_from_secret(secret_key)
    return FieldCipher(keyring, index_key=derive_index_key(secret_key))
