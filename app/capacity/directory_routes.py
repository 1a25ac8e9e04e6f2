"""Pages of the 24/7 directory (every country's points of contact per network, their
verification and tests, the networks) and of the industry contact list. Never public: only
those ``can_read_directory`` allows read them; the country's officials and coordinators keep a
country's contacts."""

from __future__ import annotations

import re

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app.capacity import bp, directory
from app.capacity.directory_forms import (
    ContactForm,
    NetworkForm,
    NetworkSettingsForm,
    ProviderForm,
    TestForm,
    VerifyForm,
)
from app.core.errors import Invalid, ServiceError
from app.core.permissions import Role, can_read_directory, require
from app.extensions import db
from app.i18n import by_country_name, country_name
from app.models import Contact, ContactNetwork, Country, Provider, User

#: Labels of the fields a revision names (the history pages).
FIELD_LABELS = {
    "unit": ContactForm.unit.args[0],
    "unit_type": ContactForm.unit_type.args[0],
    "phone": ContactForm.phone.args[0],
    "email": ContactForm.email.args[0],
    "secure_channel": ContactForm.secure_channel.args[0],
    "languages": ContactForm.languages.args[0],
    "can_preserve": ContactForm.can_preserve.args[0],
    "can_disclose_in_emergency": ContactForm.can_disclose_in_emergency.args[0],
    "mla_authority": ContactForm.mla_authority.args[0],
    "verified_on": VerifyForm.on.args[0],
    "verified_how": VerifyForm.how.args[0],
    "verified_by_id": None,  # shown with verified_on
    "name": ProviderForm.name.args[0],
    "established_in": ProviderForm.established_in.args[0],
    "portal_url": ProviderForm.portal_url.args[0],
    "request_kinds": ProviderForm.request_kinds.args[0],
    "countries": ProviderForm.countries.args[0],
    "emergency_channel": ProviderForm.emergency_channel.args[0],
    "interval_months": ProviderForm.interval_months.args[0],
}


def _networks() -> list[ContactNetwork]:
    """Every network (the standard ones added, and committed, on first use)."""
    added: list[ContactNetwork] = []
    networks = directory.ensure_networks(added)
    if added:
        db.session.commit()
    return networks


def _put_error(form, error: ServiceError) -> None:
    """Put a refusal's message next to its field (or at the top of the form)."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None and field.type not in ("HiddenField", "CSRFTokenField"):
        field.errors = [*field.errors, str(error.message)]
    else:
        form.form_errors.append(str(error.message))


def _refused(error: ServiceError) -> None:
    """Roll back; a refusal that is about who may act (403, 404) stays an error page."""
    db.session.rollback()
    if error.status in (403, 404):
        abort(error.status)


def _country(code: str) -> Country:
    return db.first_or_404(select(Country).where(Country.code == code.upper()))


def _names(contacts) -> dict[int, str]:
    return {contact.country_id: country_name(contact.country) for contact in contacts}


# --- The whole directory ---------------------------------------------------------------------


def _filters(networks: list[ContactNetwork]):
    """Read the filters of the URL: network (key), region (M49) and overdue (``1``)."""
    key = request.args.get("network", "")
    network = next((n for n in networks if n.key == key), None)
    region = request.args.get("region", "")
    if region not in directory_regions():
        region = ""
    only_overdue = request.args.get("overdue") == "1"
    return network, region, only_overdue


def directory_regions():
    from app.core.labels import REGION_LABELS

    return REGION_LABELS


@bp.get("/directory")
@require(can_read_directory)
def directory_index():
    """Every country's 24/7 contacts, filtered by network, region and overdue (in the URL)."""
    networks = _networks()
    network, region, only_overdue = _filters(networks)
    today = directory.today()
    contacts = directory.list_contacts(
        network=network, region=region or None, only_overdue=only_overdue, on=today
    )
    contacts = by_country_name(contacts, lambda contact: contact.country)
    arguments = {
        key: value
        for key, value in (
            ("network", network.key if network else None),
            ("region", region or None),
            ("overdue", "1" if only_overdue else None),
        )
        if value
    }
    return render_template(
        "capacity/directory.html",
        networks=networks,
        network=network,
        region=region,
        only_overdue=only_overdue,
        contacts=contacts,
        overdue={contact.id for contact in contacts if directory.overdue(contact, today)},
        arguments=arguments,
        regions=directory_regions(),
        keeps_networks=current_user.role in (Role.COORDINATOR, Role.ADMIN),
        d=directory,
    )


def _export(kind: str):
    networks = _networks()
    network, region, only_overdue = _filters(networks)
    contacts = directory.list_contacts(
        network=network, region=region or None, only_overdue=only_overdue
    )
    contacts = by_country_name(contacts, lambda contact: contact.country)
    names = _names(contacts)
    stem = "directory-247" + (f"-{network.key}" if network else "")
    if kind == "csv":
        body = "\ufeff" + directory.export_csv(contacts, current_user, network=network, names=names)
        mimetype, name = "text/csv; charset=utf-8", f"{stem}.csv"
    else:
        body = directory.export_vcard(contacts, current_user, network=network, names=names)
        mimetype, name = "text/vcard; charset=utf-8", f"{stem}.vcf"
    db.session.commit()
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/directory/export.csv")
@require(can_read_directory)
def export_directory_csv():
    """The directory (with the page's filters) as CSV; audited."""
    return _export("csv")


@bp.get("/directory/export.vcf")
@require(can_read_directory)
def export_directory_vcard():
    """The directory (with the page's filters) as vCard 3.0 cards; audited."""
    return _export("vcard")


# --- A country's contacts --------------------------------------------------------------------


def _contact_form(network: ContactNetwork, contact: Contact | None) -> ContactForm:
    form = ContactForm(formdata=None, prefix=f"n{network.id}", obj=contact)
    form.version.data = str(contact.version if contact else 0)
    return form


def _country_page(country: Country, refused: tuple[str, int, object] | None = None, status=200):
    """Render a country's directory page; ``refused``: (kind, id, form) of the form refused,
    shown with its errors and what was typed."""
    networks = [network for network in _networks() if network.active]
    contacts = {c.network_id: c for c in directory.list_contacts(country=country)}
    tests = directory.tests_of(contacts.values())
    keeps = directory.may_keep(current_user, country)
    today = directory.today()
    sections = []
    for network in networks:
        contact = contacts.get(network.id)
        forms = {}
        if keeps:
            forms["contact"] = _contact_form(network, contact)
            if contact is not None:
                forms["verify"] = VerifyForm(formdata=None, prefix=f"v{contact.id}")
                forms["verify"].on.data = today.isoformat()
                forms["test"] = TestForm(formdata=None, prefix=f"t{contact.id}")
                forms["test"].on.data = today.isoformat()
        if refused is not None:
            kind, key, form = refused
            # A refused contact form is keyed by its network; verification and test forms by
            # their contact.
            if key == (
                network.id if kind not in ("verify", "test") else getattr(contact, "id", None)
            ):
                forms[kind] = form
        sections.append(
            {
                "network": network,
                "contact": contact,
                "tests": tests.get(contact.id, []) if contact else [],
                "overdue": contact is not None and directory.overdue(contact, today),
                "due": directory.due_on(contact) if contact else None,
                "forms": forms,
            }
        )
    return render_template(
        "capacity/directory_country.html",
        country=country,
        sections=sections,
        keeps=keeps,
        refused_form=refused[2] if refused else None,
        offer_prefill=keeps and not contacts,
        d=directory,
    ), status


@bp.get("/countries/<code>/directory")
@require(can_read_directory)
def country_directory(code: str):
    """A country's 24/7 contacts per network: edit, verify and test forms for those who keep
    them, the test log and links to the history."""
    return _country_page(_country(code))


def _keeper_of(country: Country) -> None:
    """404 for another country's officials (its records are not theirs to keep), 403 for other
    readers."""
    if not directory.may_keep(current_user, country):
        abort(404 if current_user.role is Role.OFFICIAL else 403)


@bp.post("/countries/<code>/directory/networks/<int:network_id>")
@require(can_read_directory)
def save_contact(code: str, network_id: int):
    """Create or change the country's contact in a network."""
    country = _country(code)
    _keeper_of(country)
    network = db.get_or_404(ContactNetwork, network_id)
    form = ContactForm(prefix=f"n{network.id}")
    if not form.validate_on_submit():
        return _country_page(country, ("contact", network.id, form), 400)
    values = {name: getattr(form, name).data for name in directory.CONTACT_FIELDS}
    try:
        directory.save_contact(
            country, network, values, version=form.version.data, user=current_user
        )
    except ServiceError as error:
        _refused(error)
        _put_error(form, error)
        return _country_page(country, ("contact", network.id, form), error.status)
    db.session.commit()
    flash(_("The contact in “%(network)s” is saved.", network=network.name), "success")
    return redirect(url_for("capacity.country_directory", code=country.code) + f"#n-{network.id}")


@bp.post("/countries/<code>/directory/prefill")
@require(can_read_directory)
def prefill_contacts(code: str):
    """Take the country's contacts from its latest submitted assessment's answers."""
    country = _country(code)
    _keeper_of(country)
    if not VerifyForm().validate_on_submit():  # an empty form: the CSRF token
        abort(400)
    target = url_for("capacity.country_directory", code=country.code)
    try:
        result = directory.prefill_from_assessment(country, current_user)
    except ServiceError as error:
        _refused(error)
        flash(str(error.message), "danger")
        return redirect(target)
    db.session.commit()
    flash(
        _(
            "The contacts are filled from the answers of “%(cycle)s”. Check them and verify them.",
            cycle=result.assessment.cycle.name,
        ),
        "success",
    )
    for why in result.skipped.values():
        flash(_("Not taken from the answers: %(why)s", why=why), "warning")
    return redirect(target)


def _contact(contact_id: int) -> Contact:
    return db.get_or_404(Contact, contact_id)


def _contact_step(contact_id: int, kind: str, form_class, step, success):
    contact = _contact(contact_id)
    _keeper_of(contact.country)
    form = form_class(prefix=f"{kind[0]}{contact.id}")
    if not form.validate_on_submit():
        return _country_page(contact.country, (kind, contact.id, form), 400)
    try:
        step(contact, form)
    except ServiceError as error:
        _refused(error)
        _put_error(form, error)
        return _country_page(contact.country, (kind, contact.id, form), error.status)
    db.session.commit()
    flash(success, "success")
    url = url_for("capacity.country_directory", code=contact.country.code)
    return redirect(f"{url}#n-{contact.network_id}")


@bp.post("/directory/contacts/<int:contact_id>/verification")
@require(can_read_directory)
def verify_contact(contact_id: int):
    """Record the contact's verification: the date and how."""
    return _contact_step(
        contact_id,
        "verify",
        VerifyForm,
        lambda contact, form: directory.verify(contact, form.on.data, form.how.data, current_user),
        _("The verification is recorded."),
    )


@bp.post("/directory/contacts/<int:contact_id>/tests")
@require(can_read_directory)
def record_contact_test(contact_id: int):
    """Log a reachability test of the contact."""
    return _contact_step(
        contact_id,
        "test",
        TestForm,
        lambda contact, form: directory.record_test(
            contact,
            form.on.data,
            form.channel.data,
            form.response_minutes.data,
            form.outcome.data,
            form.notes.data,
            current_user,
        ),
        _("The test is recorded."),
    )


def _shown(name: str, value, people: dict[int, str]):
    """Return a revision's value as people read it."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if name == "unit_type":
        return directory.UNIT_TYPES.get(value, value)
    if name == "verified_how":
        return directory.VERIFICATION_METHODS.get(value, value)
    if name == "verified_by_id":
        return people.get(value, "—")
    if name == "request_kinds":
        return ", ".join(str(directory.REQUEST_KINDS.get(k, k)) for k in value)
    if name == "phone":
        return directory.display_phone(value)
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return value


def _history_rows(kind: str, record_id: int) -> list[dict]:
    revisions = directory.history(kind, record_id)
    ids = {
        value
        for revision in revisions
        for side in (revision.before or {}, revision.after or {})
        for name, value in side.items()
        if name == "verified_by_id" and value
    }
    people = {}
    if ids:
        query = select(User.id, User.display_name).where(User.id.in_(ids))
        people = dict(db.session.execute(query).all())
    rows = []
    for revision in revisions:
        after, before = revision.after or {}, revision.before or {}
        changes = [
            {
                "label": FIELD_LABELS.get(name) or _("Verified by"),
                "before": _shown(name, before.get(name), people) if revision.before else None,
                "after": _shown(name, after.get(name), people),
            }
            for name in after
        ]
        rows.append({"revision": revision, "created": revision.before is None, "changes": changes})
    return rows


@bp.get("/directory/contacts/<int:contact_id>/history")
@require(can_read_directory)
def contact_history(contact_id: int):
    """Every change of a contact: who, when, each field before and after."""
    contact = _contact(contact_id)
    return render_template(
        "capacity/directory_history.html",
        contact=contact,
        provider=None,
        rows=_history_rows("contact", contact.id),
    )


# --- Networks ----------------------------------------------------------------------------------


def _keeps_networks(user) -> bool:
    return can_read_directory(user) and user.role in (Role.COORDINATOR, Role.ADMIN)


def _networks_page(new_form: NetworkForm | None = None, refused=None, status=200):
    networks = _networks()
    counts = dict(
        db.session.execute(
            select(Contact.network_id, db.func.count(Contact.id)).group_by(Contact.network_id)
        ).all()
    )
    forms = {}
    for network in networks:
        if refused is not None and refused[0] == network.id:
            forms[network.id] = refused[1]
        else:
            form = NetworkSettingsForm(formdata=None, prefix=f"s{network.id}", obj=network)
            forms[network.id] = form
    return render_template(
        "capacity/directory_networks.html",
        networks=networks,
        counts=counts,
        forms=forms,
        new_form=new_form or NetworkForm(formdata=None),
        refused_form=new_form
        if new_form is not None and new_form.errors
        else (refused[1] if refused else None),
    ), status


@bp.route("/directory/networks", methods=["GET", "POST"])
@require(_keeps_networks)
def networks():
    """The networks of 24/7 contacts and their re-verification intervals; POST adds one."""
    if request.method == "GET":
        return _networks_page()
    form = NetworkForm()
    if not form.validate_on_submit():
        return _networks_page(form, status=400)
    try:
        network = directory.add_network(form.name.data, form.interval_months.data, current_user)
    except ServiceError as error:
        _refused(error)
        _put_error(form, error)
        return _networks_page(form, status=error.status)
    db.session.commit()
    flash(_("The network “%(name)s” is added.", name=network.name), "success")
    return redirect(url_for("capacity.networks"))


@bp.post("/directory/networks/<int:network_id>")
@require(_keeps_networks)
def update_network(network_id: int):
    """Set a network's re-verification interval and whether it is in use."""
    network = db.get_or_404(ContactNetwork, network_id)
    form = NetworkSettingsForm(prefix=f"s{network.id}")
    if not form.validate_on_submit():
        return _networks_page(refused=(network.id, form), status=400)
    try:
        changed = directory.update_network(
            network, form.interval_months.data, form.active.data, current_user
        )
    except ServiceError as error:
        _refused(error)
        _put_error(form, error)
        return _networks_page(refused=(network.id, form), status=error.status)
    db.session.commit()
    if changed:
        flash(_("The network “%(name)s” is saved.", name=network.name), "success")
    return redirect(url_for("capacity.networks"))


# --- Providers ---------------------------------------------------------------------------------


@bp.get("/providers")
@require(can_read_directory)
def providers():
    """The service providers' liaison points; ``?country=`` those serving that country."""
    code = request.args.get("country", "").upper()
    served = db.session.scalar(select(Country).where(Country.code == code)) if code else None
    found = directory.list_providers(served)
    today = directory.today()
    countries = by_country_name(
        db.session.scalars(select(Country).where(Country.participating.is_(True)))
    )
    return render_template(
        "capacity/providers.html",
        providers=found,
        served=served,
        countries=countries,
        overdue={p.id for p in found if directory.overdue(p, today)},
        may_add=directory.may_keep_provider(current_user),
        d=directory,
    )


def _country_choices(form: ProviderForm) -> None:
    countries = by_country_name(db.session.scalars(select(Country)))
    user = current_user
    if user.role is Role.OFFICIAL:  # officials add providers established in their country
        countries = [c for c in countries if c.id == user.country_id]
        none = []
    else:
        none = [("", _("— not stated —"))]
    form.established_in.choices = none + [
        (c.code, f"{country_name(c)} ({c.code})") for c in countries
    ]


CODES = re.compile(r"[A-Za-z]{3}")


def _provider_values(form: ProviderForm) -> dict:
    """Read the form into the service's values; unknown country codes are refused by name."""
    text = form.countries.data or ""
    codes = sorted({code.upper() for code in re.split(r"[\s,;]+", text) if code})
    found = {c.code: c for c in db.session.scalars(select(Country).where(Country.code.in_(codes)))}
    unknown = [code for code in codes if code not in found]
    if unknown:
        raise Invalid(
            _("Unknown country code: %(codes)s.", codes=", ".join(unknown)), field="countries"
        )
    established = form.established_in.data or ""
    established_in = (
        db.session.scalar(select(Country).where(Country.code == established))
        if established
        else None
    )
    if established and established_in is None:
        raise Invalid(_("Choose a country from the list."), field="established_in")
    return {
        "name": form.name.data,
        "established_in": established_in,
        "unit": form.unit.data,
        "portal_url": form.portal_url.data,
        "email": form.email.data,
        "phone": form.phone.data,
        "request_kinds": list(form.request_kinds.data or []),
        "countries": [found[code] for code in codes],
        "languages": form.languages.data,
        "emergency_channel": form.emergency_channel.data,
        "interval_months": form.interval_months.data,
    }


def _provider_form(provider: Provider) -> ProviderForm:
    form = ProviderForm(formdata=None, obj=provider)
    form.established_in.data = provider.established_in.code if provider.established_in else ""
    form.countries.data = ", ".join(c.code for c in provider.countries)
    form.interval_months.data = str(provider.interval_months)
    form.version.data = str(provider.version)
    return form


def _provider_page(provider: Provider | None, form, verify_form=None, status=200, refused=None):
    if form is not None:
        _country_choices(form)
    return render_template(
        "capacity/providers_entry.html",
        provider=provider,
        form=form,
        verify_form=verify_form,
        refused_form=refused,
        overdue=provider is not None and directory.overdue(provider),
        due=directory.due_on(provider) if provider else None,
        d=directory,
    ), status


@bp.route("/providers/new", methods=["GET", "POST"])
@require(directory.may_keep_provider)
def new_provider():
    """Add a service provider's liaison point."""
    if request.method == "GET":
        form = ProviderForm(formdata=None)
        if current_user.role is Role.OFFICIAL and current_user.country is not None:
            form.established_in.data = current_user.country.code
        return _provider_page(None, form)
    form = ProviderForm()
    if not form.validate_on_submit():
        return _provider_page(None, form, status=400, refused=form)
    try:
        provider = directory.save_provider(
            None, _provider_values(form), version=None, user=current_user
        )
    except ServiceError as error:
        _refused(error)
        _put_error(form, error)
        return _provider_page(None, form, status=error.status, refused=form)
    db.session.commit()
    flash(_("“%(name)s” is added to the industry contact list.", name=provider.name), "success")
    return redirect(url_for("capacity.provider", provider_id=provider.id))


def _verify_form(provider: Provider) -> VerifyForm:
    form = VerifyForm(formdata=None, prefix="verify")
    form.on.data = directory.today().isoformat()
    return form


@bp.route("/providers/<int:provider_id>", methods=["GET", "POST"])
@require(can_read_directory)
def provider(provider_id: int):
    """A provider's liaison point; those who keep it change it (POST) and verify it."""
    provider = db.get_or_404(Provider, provider_id)
    keeps = directory.may_keep_provider(current_user, provider)
    if request.method == "GET":
        return _provider_page(
            provider,
            _provider_form(provider) if keeps else None,
            _verify_form(provider) if keeps else None,
        )
    if not keeps:
        abort(403)
    form = ProviderForm()
    if not form.validate_on_submit():
        return _provider_page(provider, form, _verify_form(provider), 400, refused=form)
    try:
        directory.save_provider(
            provider, _provider_values(form), version=form.version.data, user=current_user
        )
    except ServiceError as error:
        _refused(error)
        _put_error(form, error)
        return _provider_page(provider, form, _verify_form(provider), error.status, form)
    db.session.commit()
    flash(_("“%(name)s” is saved.", name=provider.name), "success")
    return redirect(url_for("capacity.provider", provider_id=provider.id))


@bp.post("/providers/<int:provider_id>/verification")
@require(can_read_directory)
def verify_provider(provider_id: int):
    """Record the verification of a provider's liaison point."""
    provider = db.get_or_404(Provider, provider_id)
    if not directory.may_keep_provider(current_user, provider):
        abort(403)
    form = VerifyForm(prefix="verify")
    if not form.validate_on_submit():
        return _provider_page(provider, _provider_form(provider), form, 400, refused=form)
    try:
        directory.verify_provider(provider, form.on.data, form.how.data, current_user)
    except ServiceError as error:
        _refused(error)
        _put_error(form, error)
        return _provider_page(provider, _provider_form(provider), form, error.status, form)
    db.session.commit()
    flash(_("The verification is recorded."), "success")
    return redirect(url_for("capacity.provider", provider_id=provider.id))


@bp.get("/providers/<int:provider_id>/history")
@require(can_read_directory)
def provider_history(provider_id: int):
    """Every change of a provider's liaison point."""
    provider = db.get_or_404(Provider, provider_id)
    return render_template(
        "capacity/directory_history.html",
        contact=None,
        provider=provider,
        rows=_history_rows("provider", provider.id),
    )
