"""Password hashing (Argon2id), the password policy, one-time tokens and safe redirects."""

from __future__ import annotations

import gzip
import hashlib
import secrets
from functools import cache
from importlib import resources
from urllib.parse import urlsplit

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import lazy_gettext as _l

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 128


def password_hasher() -> PasswordHasher:
    """Return an Argon2id hasher with the parameters of the current configuration."""
    config = current_app.config
    return _hasher(
        config["ARGON2_TIME_COST"], config["ARGON2_MEMORY_COST"], config["ARGON2_PARALLELISM"]
    )


@cache
def _hasher(time_cost: int, memory_cost: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)


def hash_password(password: str) -> str:
    """Return the Argon2id hash of ``password``."""
    return password_hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Return whether ``password`` matches ``password_hash`` (False when there is no hash)."""
    if not password_hash:
        # Spend about the same time as a real check, so that timing does not reveal accounts.
        password_hasher().hash(password)
        return False
    try:
        return password_hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Return whether the hash was made with other parameters than the configured ones."""
    return password_hasher().check_needs_rehash(password_hash)


@cache
def common_passwords() -> frozenset[str]:
    """Return the bundled list of 20,000 common passwords, lower-cased."""
    data = resources.files("app.core").joinpath("data/common-passwords.txt.gz").read_bytes()
    return frozenset(gzip.decompress(data).decode().split())


def password_problems(password: str, email: str | None = None) -> list[str]:
    """Return what is wrong with ``password`` as translated messages (empty when acceptable)."""
    problems = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(_l("Use at least %(num)d characters.", num=MIN_PASSWORD_LENGTH))
    elif len(password) > MAX_PASSWORD_LENGTH:
        problems.append(_l("Use at most %(num)d characters.", num=MAX_PASSWORD_LENGTH))
    folded = password.strip().lower()
    if email and (folded == email.strip().lower() or folded == email.split("@")[0].lower()):
        problems.append(_l("Do not use your e-mail address as your password."))
    if folded in common_passwords():
        problems.append(_l("This password is too common; choose one that is harder to guess."))
    return [str(problem) for problem in problems]


def new_token() -> tuple[str, str]:
    """Return a random URL-safe token and the SHA-256 digest that is stored in its place."""
    token = secrets.token_urlsafe(32)
    return token, token_digest(token)


def token_digest(token: str) -> str:
    """Return the hex SHA-256 digest of ``token``."""
    return hashlib.sha256(token.encode()).hexdigest()


def is_safe_redirect(target: str | None) -> bool:
    """Return whether ``target`` is a same-site relative path (never another host or scheme)."""
    if not target or not target.startswith("/"):
        return False
    if target.startswith("//") or "\\" in target:
        return False
    if any(ord(char) < 32 or ord(char) == 127 for char in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc
