"""Entity tags for webhooks (RFC 9110): the ``ETag`` a GET, PUT or PATCH answers, and ``If-Match``.

A webhook's ETag is its version as a strong entity tag, ``"3"``: it changes whenever one of its
settings changes (a PUT, a PATCH, a rotation, the delivery function disabling it), so an
``If-Match`` guards against lost updates. Its health (``failing_since``) is delivery state, not a
setting: a run of failures beginning or ending does not change the ETag, so it does not turn a
tenant's next change into a 412. Clients treat it as opaque. ``If-Match`` is compared the strong way (RFC 9110
section 13.1.1): a weak tag (``W/"3"``) never matches; ``*`` matches any existing webhook.
"""

from __future__ import annotations

import re

from integration.domain.webhook_changes import VersionPrecondition

# etagc: %x21 / %x23-7E / obs-text, here any non-ASCII character. Written as the complement
# (not controls, space, DQUOTE or DEL): a class spanning to U+10FFFF is slow to compile.
_ETAGC = r"[^\x00-\x20\x22\x7f]"
_ENTITY_TAG = rf'(?:W/)?"{_ETAGC}*"'
_OWS = r"[ \t]*"
# #entity-tag: a comma-separated list, empty elements allowed (RFC 9110 section 5.6.1).
_LIST = re.compile(rf"(?:,{_OWS})*{_ENTITY_TAG}(?:{_OWS},(?:{_OWS},)*{_OWS}{_ENTITY_TAG})*(?:{_OWS},)*")
_TAG = re.compile(rf'(W/)?"({_ETAGC}*)"')
_VERSION = re.compile(r"0|[1-9][0-9]{0,17}")


def etag(version: int) -> str:
    """The strong entity tag of a webhook at ``version``."""
    return f'"{version}"'


def parse_if_match(value: str | None) -> VersionPrecondition | None:
    """``If-Match`` as the versions it names; None when the header is absent.

    A value that is not ``*`` or a list of entity tags gives a precondition that is never met
    (the request answers 412, writing nothing): a condition the caller meant to set is never
    ignored. Strong tags that are not this service's (``"abc"``) and weak tags match nothing.
    """
    if value is None:
        return None
    text = value.strip(" \t")
    if text == "*":
        return VersionPrecondition(any_version=True)
    if not _LIST.fullmatch(text):
        return VersionPrecondition(malformed=True)
    versions = frozenset(int(opaque) for weak, opaque in _TAG.findall(text) if not weak and _VERSION.fullmatch(opaque))
    return VersionPrecondition(versions=versions)
