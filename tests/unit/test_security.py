"""Pure helpers: safe redirects, the password policy, token digests."""

import pytest

from app.core.security import is_safe_redirect, new_token, password_problems, token_digest


@pytest.mark.parametrize(
    ("target", "safe"),
    [
        ("/", True),
        ("/account?tab=security", True),
        ("/countries/XAA", True),
        (None, False),
        ("", False),
        ("//evil.example", False),
        ("/\\evil.example", False),
        ("\\\\evil.example", False),
        ("https://evil.example", False),
        ("http:/evil.example", False),
        ("javascript:alert(1)", False),
        ("/\t/evil.example", False),
        ("/%0d%0aSet-Cookie:x", True),  # stays on this site; the header is never split
        ("evil.example", False),
    ],
)
def test_is_safe_redirect(target, safe):
    assert is_safe_redirect(target) is safe


def test_password_policy(app):
    with app.test_request_context():
        assert password_problems("a long unusual passphrase", "olga@xaa.example.org") == []
        assert password_problems("Password1234", None)  # common, case-insensitively
        assert password_problems("olga@xaa.example.org", "Olga@XAA.example.org")
        assert password_problems("olgaolgaolga", "olgaolgaolga@xaa.example.org")
        assert password_problems("x" * 11, None) == ["Use at least 12 characters."]
        assert password_problems("x" * 128, None) == []


def test_tokens_are_random_and_only_their_digest_is_kept():
    token, digest = new_token()
    other, _ = new_token()
    assert token != other and len(token) >= 40
    assert digest == token_digest(token) and token not in digest and len(digest) == 64
