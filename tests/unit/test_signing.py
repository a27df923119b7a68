"""Standard Webhooks signing: receivers verify with the `standardwebhooks` package itself."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from datetime import UTC, datetime, timedelta, timezone

import pytest
from standardwebhooks.webhooks import Webhook as Receiver
from standardwebhooks.webhooks import WebhookVerificationError

from integration.domain.signing import message_body, sign, webhook_headers
from integration.domain.webhooks import new_signing_secret

MESSAGE_ID = "msg_01JD3Z8Q4X5Y6Z7A8B9C0D1E2F"
USER_AGENT = "integration-webhooks/1.0"
BODY = message_body("WebhookCreated", datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC), {"webhookId": "wh_1", "name": "orders"})
# The Standard Webhooks specification's published test vector (also in Svix's libraries).
SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SPEC_MESSAGE_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
SPEC_TIMESTAMP = 1614265330
SPEC_BODY = b'{"test": 2432232314}'
SPEC_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def now() -> int:
    """The receiver rejects timestamps more than 5 minutes from its clock, so sign with the real time."""
    return int(time.time())


def headers(
    *, secrets: list[str], message_id: str = MESSAGE_ID, timestamp: int | None = None, body: bytes = BODY
) -> dict[str, str]:
    return webhook_headers(
        message_id=message_id,
        timestamp=now() if timestamp is None else timestamp,
        body=body,
        secrets=secrets,
        user_agent=USER_AGENT,
    )


# --- Receivers verify what we sign ---------------------------------------------------------


def test_a_receiver_verifies_the_signed_request_and_gets_the_payload() -> None:
    secret = new_signing_secret()

    payload = Receiver(secret).verify(BODY, headers(secrets=[secret]))

    assert payload == {
        "type": "WebhookCreated",
        "timestamp": "2030-01-02T03:04:05.000Z",
        "data": {"webhookId": "wh_1", "name": "orders"},
    }


def test_a_receiver_verifies_a_body_with_non_ascii_characters() -> None:
    secret = new_signing_secret()
    body = message_body("WebhookCreated", datetime.now(UTC), {"name": "Bestellungen – Zürich ✓"})

    assert Receiver(secret).verify(body, headers(secrets=[secret], body=body))["data"] == {"name": "Bestellungen – Zürich ✓"}


def test_a_receiver_with_another_secret_rejects_the_request() -> None:
    request = headers(secrets=[new_signing_secret()])

    with pytest.raises(WebhookVerificationError, match="No matching signature"):
        Receiver(new_signing_secret()).verify(BODY, request)


def test_a_tampered_body_fails_verification() -> None:
    secret = new_signing_secret()
    request = headers(secrets=[secret])
    tampered = BODY.replace(b'"orders"', b'"invoice"')
    assert tampered != BODY

    with pytest.raises(WebhookVerificationError, match="No matching signature"):
        Receiver(secret).verify(tampered, request)


def test_a_tampered_message_id_fails_verification() -> None:
    secret = new_signing_secret()
    request = headers(secrets=[secret])
    request["webhook-id"] = "msg_01JD3Z8Q4X5Y6Z7A8B9C0D1E2G"

    with pytest.raises(WebhookVerificationError, match="No matching signature"):
        Receiver(secret).verify(BODY, request)


def test_a_tampered_timestamp_fails_verification() -> None:
    secret = new_signing_secret()
    signed_at = now()
    request = headers(secrets=[secret], timestamp=signed_at)
    request["webhook-timestamp"] = str(signed_at - 1)  # still within the receiver's tolerance

    with pytest.raises(WebhookVerificationError, match="No matching signature"):
        Receiver(secret).verify(BODY, request)


def test_a_request_signed_too_long_ago_is_rejected_so_each_attempt_must_be_signed_afresh() -> None:
    secret = new_signing_secret()
    request = headers(secrets=[secret], timestamp=now() - int(timedelta(hours=1).total_seconds()))

    with pytest.raises(WebhookVerificationError, match="too old"):
        Receiver(secret).verify(BODY, request)


# --- Secret rotation: new and old sign side by side ----------------------------------------


def test_with_two_secrets_a_receiver_holding_either_one_verifies() -> None:
    new, old = new_signing_secret(), new_signing_secret()
    request = headers(secrets=[new, old])

    assert Receiver(new).verify(BODY, request)["type"] == "WebhookCreated"
    assert Receiver(old).verify(BODY, request)["type"] == "WebhookCreated"
    with pytest.raises(WebhookVerificationError):
        Receiver(new_signing_secret()).verify(BODY, request)


def test_two_secrets_give_two_signatures_in_the_order_given_separated_by_one_space() -> None:
    new, old = new_signing_secret(), new_signing_secret()
    timestamp = now()

    both = sign(message_id=MESSAGE_ID, timestamp=timestamp, body=BODY, secrets=[new, old])

    only_new = sign(message_id=MESSAGE_ID, timestamp=timestamp, body=BODY, secrets=[new])
    only_old = sign(message_id=MESSAGE_ID, timestamp=timestamp, body=BODY, secrets=[old])
    assert both == f"{only_new} {only_old}"
    assert only_new != only_old


# --- Exactly what is signed ----------------------------------------------------------------


def test_the_signature_matches_the_standard_webhooks_published_test_vector() -> None:
    signature = sign(message_id=SPEC_MESSAGE_ID, timestamp=SPEC_TIMESTAMP, body=SPEC_BODY, secrets=[SPEC_SECRET])

    assert signature == SPEC_SIGNATURE


def test_the_signature_is_the_hmac_sha256_of_id_timestamp_and_body_computed_independently() -> None:
    key = bytes(range(32))
    secret = "whsec_" + base64.b64encode(key).decode()
    body = b'{"type":"X","data":{}}'
    expected_mac = hmac.new(key, b"msg_2." + b"1700000000." + body, hashlib.sha256).digest()

    signature = sign(message_id="msg_2", timestamp=1700000000, body=body, secrets=[secret])

    assert signature == "v1," + base64.b64encode(expected_mac).decode()


def test_the_headers_carry_id_timestamp_signature_content_type_and_user_agent() -> None:
    secret = new_signing_secret()

    result = webhook_headers(message_id=MESSAGE_ID, timestamp=1700000000, body=BODY, secrets=[secret], user_agent=USER_AGENT)

    assert result == {
        "webhook-id": MESSAGE_ID,
        "webhook-timestamp": "1700000000",
        "webhook-signature": sign(message_id=MESSAGE_ID, timestamp=1700000000, body=BODY, secrets=[secret]),
        "content-type": "application/json",
        "user-agent": USER_AGENT,
    }


# --- Refusals -----------------------------------------------------------------------------


def test_an_empty_secret_list_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one"):
        sign(message_id=MESSAGE_ID, timestamp=now(), body=BODY, secrets=[])


@pytest.mark.parametrize(
    "secret",
    [
        pytest.param(base64.b64encode(bytes(32)).decode(), id="no-prefix"),
        pytest.param("WHSEC_" + base64.b64encode(bytes(32)).decode(), id="wrong-case-prefix"),
        pytest.param("whsec_not*base64!", id="not-base64"),
        pytest.param("whsec_AAAA*AAAA", id="junk-a-lenient-decoder-would-skip"),
        pytest.param("whsec_AAAA AAAA", id="inner-space"),
        pytest.param("whsec_" + base64.b64encode(bytes(32)).decode()[:-1], id="bad-padding"),
        pytest.param("whsec_", id="empty-key"),
    ],
)
def test_a_malformed_secret_is_refused(secret: str) -> None:
    with pytest.raises(ValueError, match="secret"):
        sign(message_id=MESSAGE_ID, timestamp=now(), body=BODY, secrets=[secret])


def test_a_malformed_secret_is_refused_even_beside_a_good_one() -> None:
    with pytest.raises(ValueError, match="secret"):
        sign(message_id=MESSAGE_ID, timestamp=now(), body=BODY, secrets=[new_signing_secret(), "whsec_%%%"])


def test_a_single_string_instead_of_a_list_of_secrets_is_refused() -> None:
    with pytest.raises(TypeError, match="sequence"):
        sign(message_id=MESSAGE_ID, timestamp=now(), body=BODY, secrets=new_signing_secret())  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("message_id", "reason"),
    [
        ("msg.1", "'.'"),
        ("msg 1", "whitespace"),
        ("msg\t1", "whitespace"),
        ("msg_1\n", "whitespace"),
        ("", "empty"),
        ("msg_é", "ASCII"),
    ],
)
def test_a_message_id_that_would_make_the_signed_content_or_header_ambiguous_is_refused(message_id: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        sign(message_id=message_id, timestamp=now(), body=BODY, secrets=[new_signing_secret()])


def test_a_float_timestamp_is_refused_because_receivers_sign_whole_seconds() -> None:
    with pytest.raises(TypeError, match="int"):
        sign(message_id=MESSAGE_ID, timestamp=1700000000.0, body=BODY, secrets=[new_signing_secret()])  # type: ignore[arg-type]


def test_a_negative_timestamp_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        sign(message_id=MESSAGE_ID, timestamp=-1, body=BODY, secrets=[new_signing_secret()])


def test_webhook_headers_refuses_what_sign_refuses() -> None:
    with pytest.raises(ValueError, match="'.'"):
        webhook_headers(message_id="a.b", timestamp=now(), body=BODY, secrets=[new_signing_secret()], user_agent=USER_AGENT)


# --- The body ----------------------------------------------------------------------------


def test_the_body_is_compact_utf8_json_with_type_timestamp_and_data_in_that_order() -> None:
    body = message_body(
        "WebhookUpdated",
        datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC),
        {"webhookId": "wh_1", "changes": {"name": "Zürich", "events": ["*"]}},
    )

    assert (
        body
        == (
            '{"type":"WebhookUpdated","timestamp":"2030-01-02T03:04:05.000Z",'
            '"data":{"webhookId":"wh_1","changes":{"name":"Zürich","events":["*"]}}}'
        ).encode()
    )


def test_a_test_sample_s_body_ends_with_test_true_and_a_real_event_s_has_no_test_field() -> None:
    at = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    data = {"webhookId": "wh_1", "name": "orders"}

    real = message_body("WebhookCreated", at, data)
    sample = message_body("WebhookCreated", at, data, test=True)

    # A real event's bytes are what they were before test samples existed (signatures depend on them).
    assert real == b'{"type":"WebhookCreated","timestamp":"2030-01-02T03:04:05.000Z","data":{"webhookId":"wh_1","name":"orders"}}'
    assert message_body("WebhookCreated", at, data, test=False) == real
    assert sample == (
        b'{"type":"WebhookCreated","timestamp":"2030-01-02T03:04:05.000Z","data":{"webhookId":"wh_1","name":"orders"},"test":true}'
    )
    secret = new_signing_secret()
    signed = headers(secrets=[secret], body=sample)
    assert Receiver(secret).verify(sample, signed) == {**json.loads(real), "test": True}


def test_the_body_keeps_the_data_keys_in_the_order_given() -> None:
    at = datetime(2030, 1, 2, tzinfo=UTC)

    assert json.loads(message_body("X", at, {"b": 1, "a": 2}))["data"] == {"b": 1, "a": 2}
    assert list(json.loads(message_body("X", at, {"b": 1, "a": 2}))["data"]) == ["b", "a"]
    assert message_body("X", at, {"b": 1, "a": 2}) != message_body("X", at, {"a": 2, "b": 1})


def test_the_body_timestamp_is_converted_to_utc_with_milliseconds() -> None:
    at = datetime(2030, 1, 2, 5, 4, 5, 123456, tzinfo=timezone(timedelta(hours=2)))

    assert json.loads(message_body("X", at, {}))["timestamp"] == "2030-01-02T03:04:05.123Z"


def test_the_body_refuses_a_naive_timestamp() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        message_body("X", datetime(2030, 1, 2), {})


def test_the_body_refuses_values_json_cannot_represent() -> None:
    with pytest.raises(ValueError):
        message_body("X", datetime(2030, 1, 2, tzinfo=UTC), {"ratio": float("nan")})
