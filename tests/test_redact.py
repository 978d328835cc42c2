"""Redaction: configured secrets and credential shapes are masked, ordinary text is kept."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gate import redact as redact_module
from gate.redact import MASK, Redactor

GHP = "ghp_" + "A1b2C3d4" * 5
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"


@pytest.mark.parametrize(
    ("text", "kept", "hidden"),
    [
        ("Authorization: Bearer abc.def-123", "Authorization: Bearer ", "abc.def-123"),
        ('{"authorization": "Basic dXNlcjpwYXNz"}', '"authorization": "Basic ', "dXNlcjpwYXNz"),
        ("headers={'Proxy-Authorization': 'token s3cr3t'}", "Proxy-Authorization", "s3cr3t"),
        ("Cookie: session=abc; theme=dark", "Cookie: ", "session=abc"),
        ("Set-Cookie: sid=xyz123; HttpOnly", "Set-Cookie: ", "xyz123"),
        ("X-Api-Key: k-1234567890", "X-Api-Key: ", "k-1234567890"),
        ("GET /ws?token=abcd1234efgh HTTP/1.1", "token=", "abcd1234efgh"),
        ("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG", "aws_secret_access_key = ", "wJalrXUtn"),
        ("client_secret: 'q1w2e3r4t5'", "client_secret", "q1w2e3r4t5"),
        (f"pushed with {GHP} ok", "pushed with ", GHP),
        (f"glued:x{GHP}", "glued:x", GHP[4:]),
        ("github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz", "", "github_pat_11"),
        (f"jwt {JWT}", "jwt ", "eyJzdWIi"),
        ("got Bearer 9f8e7d6c5b4a", "got Bearer ", "9f8e7d6c5b4a"),
        ("AKIAIOSFODNN7EXAMPLE in env", " in env", "AKIAIOSFODNN7EXAMPLE"),
        ("xoxb-1234567890-abcdefghij", "", "xoxb-1234567890"),
        ("sk-proj-abcdefghijklmnopqrstuvwx", "", "abcdefghijklmnop"),
        ("npm_" + "a1" * 18, "", "a1a1a1a1"),
        ("https://bob:hunter2@db.example/x", "https://bob:", "hunter2"),
        ("postgres://:pw0rd@localhost/db", "postgres://:", "pw0rd"),
        (
            "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----",
            "",
            "MIIEow",
        ),
    ],
)
def test_credential_shapes_are_masked(text: str, kept: str, hidden: str) -> None:
    out = Redactor()(text)
    assert hidden not in out
    assert MASK in out
    assert kept in out


@pytest.mark.parametrize(
    "text",
    [
        "Bearer authentication failed: expected a token",
        "assert token == 'abc'",
        "http://127.0.0.1:8080/api/jobs@latest",
        "Tokens: 5, passwords reset: 2",
        "tests/test_auth.py::test_bad_token[expired]",
        "expected 201, got 500",
    ],
)
def test_ordinary_text_is_kept(text: str) -> None:
    assert Redactor()(text) == text


def test_configured_secrets_are_masked_longest_first() -> None:
    red = Redactor(["s3cret-value", "s3cret-value-longer", "abc"])
    assert red("x s3cret-value-longer y s3cret-value z") == "x *** y *** z"
    # Secrets shorter than 4 characters are ignored: masking them would destroy the text.
    assert red("abc abc") == "abc abc"


def test_empty_and_regex_special_secrets() -> None:
    red = Redactor(["", "a.b*c+(d)"])
    assert red("") == ""
    assert red("see a.b*c+(d) and aXbbc") == "see *** and aXbbc"


def test_hostile_input_is_handled_in_linear_time() -> None:
    # A long run that nearly matches the key=value pattern must not backtrack for ever.
    text = "a_" * 20_000 + "password"
    assert Redactor()(text) == text


@pytest.mark.parametrize(
    "text",
    [
        "truncated.xml: malformed or truncated XML: unclosed token: line 6, column 4",
        "token_count: 1234",
        "password_policy: strict, password_min_length=12",
        "secret: none",
        "token=abc",
        "the token: was missing",
    ],
)
def test_secret_looking_keys_with_ordinary_values_are_kept(text: str) -> None:
    """The key must end in the secret word and the value must look like a credential."""
    assert Redactor()(text) == text


@pytest.mark.parametrize(
    ("text", "kept", "hidden"),
    [
        ("password: 123456", "password: ", "123456"),
        ("pwd=s3cr", "pwd=", "s3cr"),
        ("SECRET_KEY=django-insecure-abc", "SECRET_KEY=", "django-insecure"),
        ("token: abcdefghij", "token: ", "abcdefghij"),
        ("accesstoken=q1w2e3r4", "accesstoken=", "q1w2e3r4"),
        ('{"api_key": "hunter2x"}', '"api_key": "', "hunter2x"),
    ],
)
def test_credential_values_after_secret_keys_are_masked(text: str, kept: str, hidden: str) -> None:
    out = Redactor()(text)
    assert hidden not in out
    assert kept + MASK in out


_TRIGGER_ALPHABET = "".join(sorted({c for w in redact_module._TRIGGERS for c in w} | set("xyz _")))


@settings(max_examples=500, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.sampled_from(redact_module._TRIGGERS).map(lambda w: w[: max(1, len(w) - 1)]),
            st.sampled_from(redact_module._TRIGGERS),
            st.text(alphabet=_TRIGGER_ALPHABET, max_size=8),
        ),
        max_size=6,
    ).map("".join)
)
def test_the_trigger_regex_finds_exactly_the_trigger_words(text: str) -> None:
    """The trie-shaped regex says what a plain substring search of every word says."""
    found = redact_module._TRIGGER.search(text) is not None
    assert found == any(word in text for word in redact_module._TRIGGERS)
