"""Connecting to the broker: the `FORECOURT_MQTT_URL` setting and paho-mqtt 2.x clients built from it.

`mqtt://user:password@host:1883` connects in the clear (loopback, tests, `make fleet`); `mqtts://…:8883`
connects with TLS, verifying the broker against the system's CA store or `FORECOURT_MQTT_TLS_CA_FILE`, and
presents a client certificate when `FORECOURT_MQTT_TLS_CERT_FILE` and `…_KEY_FILE` are set.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

SESSION_EXPIRY_SECONDS = 7 * 24 * 3600  # the broker keeps an absent ingest session's queue this long


@dataclass(frozen=True)
class BrokerAddress:
    host: str
    port: int
    username: str | None
    password: str | None
    tls: bool

    @classmethod
    def parse(cls, url: str) -> BrokerAddress:
        parts = urlsplit(url)
        if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
            raise ValueError("FORECOURT_MQTT_URL must look like mqtt://user:password@host:1883 (or mqtts://)")
        tls = parts.scheme == "mqtts"
        return cls(
            host=parts.hostname,
            port=parts.port or (8883 if tls else 1883),
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            tls=tls,
        )

    def redacted(self) -> str:
        user = f"{self.username}:***@" if self.username else ""
        return f"{'mqtts' if self.tls else 'mqtt'}://{user}{self.host}:{self.port}"


@dataclass(frozen=True)
class TlsFiles:
    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None


def make_client(
    address: BrokerAddress,
    client_id: str,
    *,
    manual_ack: bool = False,
    tls: TlsFiles | None = None,
) -> mqtt.Client:
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2,
        client_id=client_id,
        protocol=MQTTProtocolVersion.MQTTv5,
        manual_ack=manual_ack,
    )
    if address.username is not None:
        client.username_pw_set(address.username, address.password)
    if address.tls:
        files = tls or TlsFiles()
        client.tls_set(
            ca_certs=files.ca_file,
            certfile=files.cert_file,
            keyfile=files.key_file,
            tls_version=ssl.PROTOCOL_TLS_CLIENT,
        )
    return client


def persistent_session(receive_maximum: int) -> Properties:
    """CONNECT properties of a session the broker keeps across disconnects (clean start off): messages that
    arrive while the ingest is away, or that it received but had not acknowledged, are delivered when it returns.
    Mosquitto has lost QoS 1 messages of shared subscribers without one (eclipse-mosquitto #2662)."""
    properties = Properties(PacketTypes.CONNECT)
    properties.SessionExpiryInterval = SESSION_EXPIRY_SECONDS
    properties.ReceiveMaximum = receive_maximum
    return properties
