"""Template helpers for languages, dates and the shared labels."""

from __future__ import annotations

import unicodedata
from datetime import UTC
from functools import cache

import pycountry
from babel import Locale
from flask import Flask
from flask_babel import format_date, get_locale

from app.core import labels
from app.core.labels import ACCOUNT_STATES, REGION_LABELS, ROLE_LABELS, account_state
from app.forms import ActionForm
from app.frameworks.words import human_size, localized
from app.main.forms import LANGUAGE_NAMES, LanguageForm


@cache
def _alpha2(alpha3: str) -> str | None:
    country = pycountry.countries.get(alpha_3=alpha3)
    return country.alpha_2 if country else None


def country_name(country) -> str:
    """Return the country's name in the user's language (ISO names through CLDR)."""
    alpha2 = _alpha2(country.code)
    if alpha2:
        name = Locale.parse(str(get_locale())).territories.get(alpha2)
        if name:
            return name
    return country.name


@cache
def _medium_datetime(code: str):
    locale = Locale.parse(code)
    combined = locale.datetime_formats["medium"].replace("'", "")
    return locale, combined, locale.date_formats["medium"], locale.time_formats["medium"]


def name_key(text: str) -> tuple[str, str]:
    """Return a sort key for names in the reader's order: accents and case count only to break
    ties, so "Åland Islands" sorts among the A's and "Égypte" among the E's."""
    plain = "".join(
        char for char in unicodedata.normalize("NFKD", text) if not unicodedata.combining(char)
    )
    return plain.casefold(), text


def by_country_name(items, country=lambda item: item) -> list:
    """Return ``items`` sorted by their country's name as the user reads it."""
    return sorted(items, key=lambda item: name_key(country_name(country(item))))


def datetime_utc(value) -> str:
    """Format a timestamp in the user's language, in UTC, with the zone named.

    Babel's patterns are looked up once per language (a section page formats dozens of times).
    """
    if value is None:
        return "—"
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    locale, combined, date_pattern, time_pattern = _medium_datetime(str(get_locale()))
    text = combined.replace("{1}", date_pattern.apply(value, locale))
    return text.replace("{0}", time_pattern.apply(value, locale)) + " UTC"


def register(app: Flask) -> None:
    """Expose the helpers to every template."""
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.filters["country_name"] = country_name
    app.jinja_env.filters["datetime_utc"] = datetime_utc
    app.jinja_env.filters["t"] = localized
    app.jinja_env.filters["format_date"] = format_date
    app.jinja_env.filters["file_size"] = human_size

    # Environment globals are visible in imported macros too (context processors are not).
    app.jinja_env.globals.update(
        ROLE_LABELS=ROLE_LABELS,
        REGION_LABELS=REGION_LABELS,
        ACCOUNT_STATES=ACCOUNT_STATES,
        labels=labels,
        account_state=account_state,
        LANGUAGE_NAMES=LANGUAGE_NAMES,
        language_form=LanguageForm,
        action_form_class=ActionForm,
    )

    @app.context_processor
    def _request_globals() -> dict:
        return {"current_locale": str(get_locale())}
