"""Command-line interface: ``flask --app app users|countries|seed-demo ...``.

Bad input prints one line (``Error: ...``) and exits with status 2, having written nothing.
"""

from __future__ import annotations

import csv
import json
import sys
from importlib import resources
from pathlib import Path

import click
import pycountry
from email_validator import EmailNotValidError, validate_email
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import select

from app import demo
from app.auth import services as accounts
from app.auth.notifications import send_invitation
from app.core import audit
from app.core.permissions import Role
from app.core.security import password_problems, verify_password
from app.extensions import db
from app.frameworks import store
from app.frameworks.coverage import as_json, coverage
from app.frameworks.library import read_library
from app.models import Country, TokenPurpose


class BadInput(click.ClickException):
    """A one-line error with exit status 2 (like a usage error, without the usage text)."""

    exit_code = 2


class OneLineCommand(click.Command):
    """A command whose usage errors (missing argument, unknown option) are one line too."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as error:
            raise BadInput(error.format_message()) from None


users_cli = AppGroup("users", help="Create and deactivate accounts.")
questionnaires_cli = AppGroup(
    "questionnaires", help="Check, load and measure the questionnaire and framework files."
)
countries_cli = AppGroup("countries", help="Keep the list of countries.")


def _email(value: str) -> str:
    try:
        return validate_email(value, check_deliverability=False).normalized.lower()
    except EmailNotValidError as error:
        raise BadInput(f"invalid e-mail address {value!r}: {error}") from None


def _role(value: str) -> Role:
    try:
        return Role(value.strip().lower())
    except ValueError:
        choices = ", ".join(role.value for role in Role)
        raise BadInput(f"unknown role {value!r}; choose one of: {choices}") from None


def _country(code: str | None) -> Country | None:
    if not code:
        return None
    country = db.session.scalar(select(Country).where(Country.code == code.strip().upper()))
    if country is None:
        raise BadInput(
            f"unknown country {code!r}; give an ISO 3166 alpha-3 code of a country in the "
            "database (run `flask countries sync` to load them)"
        )
    return country


def _password(password: str, email: str) -> str:
    problems = password_problems(password, email)
    if problems:
        raise BadInput("password refused: " + " ".join(problems))
    return password


@users_cli.command("create", cls=OneLineCommand)
@click.argument("email")
@click.option("--role", "role_name", required=True, help="official, reviewer, coordinator or admin")
@click.option("--country", "country_code", help="ISO 3166 alpha-3 code; required for officials")
@click.option("--name", default="", help="Display name (default: the part before the @)")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from standard input; without it an invitation link is printed.",
)
def create_user(
    email: str, role_name: str, country_code: str | None, name: str, password_stdin: bool
) -> None:
    """Create an account, with a password or an invitation link."""
    email = _email(email)
    role = _role(role_name)
    country = _country(country_code)
    if role is Role.OFFICIAL and country is None:
        raise BadInput("an official belongs to one country: give --country ISO3")
    if role is not Role.OFFICIAL and country is not None:
        raise BadInput(f"only officials belong to a country; drop --country for a {role.value}")
    password = None
    if password_stdin:
        password = _password(sys.stdin.readline().rstrip("\r\n"), email)
    try:
        user = accounts.create_user(email, name, role, country, password=password)
    except accounts.AccountError as error:
        db.session.rollback()
        raise BadInput(str(error.message)) from None
    link = None
    if password is None:
        token = accounts.issue_token(user, TokenPurpose.INVITATION)
        link = send_invitation(user, token, None)
    db.session.commit()
    where = f" of {country.code}" if country else ""
    click.echo(f"Created {role.value}{where}: {user.email}")
    if link:
        click.echo(f"Invitation link (valid once): {link}")


@users_cli.command("deactivate", cls=OneLineCommand)
@click.argument("email")
def deactivate_user(email: str) -> None:
    """Deactivate an account and end its sessions."""
    user = accounts.find_user_by_email(email)
    if user is None:
        raise BadInput(f"no account with e-mail {email!r}")
    try:
        accounts.set_active(user, False, actor=None)
    except accounts.AccountError as error:
        db.session.rollback()
        raise BadInput(str(error.message)) from None
    db.session.commit()
    click.echo(f"Deactivated {user.email}; its sessions are ended.")


def load_regions() -> dict[str, str]:
    """Return the UN M49 region code of each ISO 3166 alpha-3 code (bundled data)."""
    text = resources.files("app.core").joinpath("data/m49_regions.csv").read_text()
    return {row["alpha3"]: row["region"] for row in csv.DictReader(text.splitlines())}


def sync_countries() -> tuple[int, int]:
    """Add or update every ISO 3166-1 country from pycountry; return (added, updated)."""
    regions = load_regions()
    existing = {country.code: country for country in db.session.scalars(select(Country))}
    added = updated = 0
    for entry in pycountry.countries:
        name = getattr(entry, "common_name", None) or entry.name
        region = regions.get(entry.alpha_3) or None
        country = existing.get(entry.alpha_3)
        if country is None:
            db.session.add(Country(code=entry.alpha_3, name=name, region=region))
            added += 1
        elif (country.name, country.region) != (name, region):
            country.name, country.region = name, region
            updated += 1
    if added or updated:
        audit.record("countries.synced", object_type="countries", added=added, updated=updated)
    return added, updated


@countries_cli.command("sync", cls=OneLineCommand)
def sync_countries_command() -> None:
    """Add or update the ISO 3166 countries (names from pycountry, regions from UN M49)."""
    added, updated = sync_countries()
    db.session.commit()
    total = db.session.scalar(select(db.func.count(Country.id)))
    click.echo(f"Countries: {added} added, {updated} updated, {total} in all.")


DEMO_COUNTRIES = [
    ("XAA", "Demoland", "150", True),
    ("XAB", "Exampleland", "002", True),
    ("XAC", "Sampleland", "019", True),
    ("XAD", "Testland", "142", False),
]

DEMO_USERS = [
    ("admin@demo.example.org", "Ada Admin", Role.ADMIN, None),
    ("coordinator@demo.example.org", "Camille Coordinator", Role.COORDINATOR, None),
    ("reviewer@demo.example.org", "Rafael Reviewer", Role.REVIEWER, None),
    ("official.xaa@demo.example.org", "Olga Official", Role.OFFICIAL, "XAA"),
    ("official2.xaa@demo.example.org", "Otto Official", Role.OFFICIAL, "XAA"),
    ("official.xab@demo.example.org", "Beatriz Official", Role.OFFICIAL, "XAB"),
]

DEFAULT_DEMO_PASSWORD = "demo-budapest-2001"  # noqa: S105 - the documented demo password


@click.command("seed-demo", cls=OneLineCommand)
@click.option(
    "--password",
    default=DEFAULT_DEMO_PASSWORD,
    show_default=True,
    help="The password of every demo account.",
)
@with_appcontext
def seed_demo(password: str) -> None:
    """Load demo countries (XAA–XAD), accounts and two assessment rounds; safe to run again."""
    if current_app.config["APP_ENV"] == "production":
        raise BadInput("seed-demo creates accounts with a known password: not in production")
    demo_users = [*DEMO_USERS, *demo.ACCOUNTS]
    for email, *_ in demo_users:
        _password(password, email)
    sync_countries()
    countries = {}
    for code, name, region, participating in DEMO_COUNTRIES:
        country = db.session.scalar(select(Country).where(Country.code == code))
        if country is None:
            country = Country(code=code, name=name, region=region, participating=participating)
            db.session.add(country)
        countries[code] = country
    db.session.flush()
    users = {}
    for email, name, role, code in demo_users:
        user = accounts.find_user_by_email(email)
        if user is None:
            user = accounts.create_user(
                email, name, role, countries.get(code), password=password, action="user.seeded"
            )
        elif not verify_password(user.password_hash, password):
            accounts.set_password(user, password, actor=None, action="user.seeded")
        user.active = True
        users[email] = user
    folder = Path(current_app.config["QUESTIONNAIRES_DIR"])
    # The archived versions first (earlier rounds used them), then the current files, which are
    # thereby the newest versions.
    library = read_library([*sorted((folder / "archive").glob("*.yaml")), folder])
    if not library.ok:
        raise BadInput(f"the shipped questionnaire files have problems: {library.problems[0]}")
    store.load(library)
    created = demo.seed_rounds(users, countries)
    db.session.commit()
    click.echo(f"Demo data ready. Every demo account signs in with the password: {password}")
    click.echo(f"{'ROLE':<12} {'COUNTRY':<8} E-MAIL")
    for email, _name, role, code in demo_users:
        click.echo(f"{role.value:<12} {code or '-':<8} {email}")
    if created:
        click.echo(f"Created: {', '.join(created)}.")
    click.echo("Try first:")
    click.echo(f"  {demo.OLGA:<32} Demoland's official: the open 2027 round, under way")
    click.echo(f"  {demo.REVIEWER:<32} the review queue: Exampleland's 2027 review to carry on")
    click.echo(f"  {demo.COORDINATOR:<32} both rounds, assigning reviewers, publishing")


def _library_paths(paths: tuple[str, ...]) -> tuple[str, ...]:
    return paths or (current_app.config["QUESTIONNAIRES_DIR"],)


def _checked_library(paths: tuple[str, ...]):
    library = read_library(_library_paths(paths))
    for problem in library.problems:
        click.echo(str(problem))
    return library


@questionnaires_cli.command("validate", cls=OneLineCommand)
@click.argument("paths", nargs=-1)
def validate_library(paths: tuple[str, ...]) -> None:
    """Check files (folders give their *.yaml); print FILE:LINE: path: message per problem."""
    library = _checked_library(paths)
    files = len(library.sources)
    if not library.ok:
        click.echo(f"{len(library.problems)} problem(s) found.", err=True)
        raise SystemExit(1)
    questions = sum(
        len(section.questions) for q in library.questionnaires for section in q.sections
    )
    click.echo(
        f"OK: {len(library.frameworks)} framework(s), {len(library.questionnaires)} "
        f"questionnaire(s), {questions} question(s) in {files} file(s)."
    )


@questionnaires_cli.command("load", cls=OneLineCommand)
@click.argument("paths", nargs=-1)
def load_library(paths: tuple[str, ...]) -> None:
    """Check the files, then store each as an immutable version keyed by its content hash."""
    library = _checked_library(paths)
    if not library.ok:
        click.echo(f"{len(library.problems)} problem(s) found; nothing was loaded.", err=True)
        raise SystemExit(1)
    for result in store.load(library):
        click.echo(str(result))
    db.session.commit()


@questionnaires_cli.command("coverage", cls=OneLineCommand)
@click.option("--format", "output", type=click.Choice(["text", "json"]), default="text")
@click.argument("paths", nargs=-1)
def coverage_report(output: str, paths: tuple[str, ...]) -> None:
    """Show, per framework, the questions that evidence each provision, and what is uncovered."""
    library = read_library(_library_paths(paths))
    if not library.ok:
        for problem in library.problems:
            click.echo(str(problem), err=True)
        raise SystemExit(1)
    result = coverage(library.frameworks, library.questionnaires)
    if output == "json":
        click.echo(json.dumps(as_json(result), indent=2, ensure_ascii=False))
        return
    for framework_id, cover in result.items():
        covered = len(cover.provisions) - len(cover.uncovered)
        click.echo(f"{framework_id}: {covered} of {len(cover.provisions)} provisions covered")
        for provision_id, questions in cover.provisions.items():
            listed = ", ".join(questions) if questions else "UNCOVERED"
            click.echo(f"  {framework_id}:{provision_id}: {listed}")
        for element in cover.uncovered_elements:
            click.echo(f"  element without a question: {element}")


def register(app: Flask) -> None:
    """Add the command groups to ``app.cli``."""
    app.cli.add_command(users_cli)
    app.cli.add_command(questionnaires_cli)
    app.cli.add_command(countries_cli)
    app.cli.add_command(seed_demo)
