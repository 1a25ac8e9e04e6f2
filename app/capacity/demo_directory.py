"""The demo's 24/7 directory and industry contact list: Exampleland's Art. 35 contact verified
recently with a reachability test logged, Demoland's verified eight months ago (overdue), none
for Sampleland, and two service providers' liaison points.

Everything goes through the directory services, so the history and the audit trail are those a
user would have left. Telephone numbers are in ranges kept for fiction (Ofcom's drama numbers,
ARCEP's and ACMA's); e-mail addresses and portals use reserved domains only.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta

from sqlalchemy import select

from app.capacity import directory
from app.extensions import db
from app.models import Contact, Country, Provider, User

OLGA = "official.xaa@demo.example.org"  # Demoland
BEATRIZ = "official.xab@demo.example.org"  # Exampleland

CONTACTS = {
    "XAB": {
        "unit": "High-Tech Crime Unit, Exampleland Police",
        "unit_type": "police",
        "phone": "+44 20 7946 0199",
        "email": "htcu247@police.exampleland.demo.example.org",
        "secure_channel": "Encrypted e-mail (PGP key on request)",
        "languages": "English, Spanish",
        "can_preserve": True,
        "can_disclose_in_emergency": True,
        "mla_authority": "Central Authority for Mutual Legal Assistance, Ministry of Justice",
    },
    "XAA": {
        "unit": "Cybercrime Division, Demoland National Police",
        "unit_type": "police",
        "phone": "+33 1 99 00 01 47",
        "email": "cyber247@police.demoland.demo.example.org",
        "languages": "Demolandic, English",
        "can_preserve": True,
        "can_disclose_in_emergency": False,
        "mla_authority": "Department of International Cooperation, Ministry of Justice",
    },
}

PROVIDERS = [
    {
        "name": "Examplemail Services",
        "established_in": "XAB",
        "unit": "Law Enforcement Response Team",
        "portal_url": "https://lers.examplemail.example/requests",
        "email": "lert@examplemail.example",
        "phone": "+44 20 7946 0321",
        "request_kinds": ["preservation", "subscriber_data", "emergency_disclosure"],
        "languages": "English, Spanish",
        "emergency_channel": "Emergency disclosure form on the portal, answered around the clock",
        "countries": ["XAA", "XAB", "XAC"],
        "verified": 30,
    },
    {
        "name": "Samplecloud Hosting",
        "established_in": None,
        "unit": "Legal Process Desk",
        "portal_url": None,
        "email": "legal-process@samplecloud.example",
        "phone": "+61 2 5550 1234",
        "request_kinds": ["preservation", "subscriber_data", "traffic_data", "content"],
        "languages": "English",
        "emergency_channel": "legal-process@samplecloud.example with “EMERGENCY” in the subject",
        "countries": ["XAA", "XAC"],
        "verified": 250,  # overdue: verified over six months ago
    },
]


def _country(code: str) -> Country:
    return db.session.scalar(select(Country).where(Country.code == code))


def seed(users: Mapping[str, User], coordinator: User, today: date) -> list[str]:
    """Add the demo's networks, contacts, a test and providers (once: skipped when a contact
    exists already); return what was done, in words."""
    if db.session.scalar(select(Contact.id).limit(1)) is not None:
        return ["The 24/7 directory is seeded already."]
    art35 = directory.network_by_key(directory.BUDAPEST)
    exampleland, demoland = _country("XAB"), _country("XAA")
    beatriz, olga = users[BEATRIZ], users[OLGA]
    done = []

    contact = directory.save_contact(
        exampleland, art35, CONTACTS["XAB"], version=None, user=beatriz
    )
    directory.verify(contact, today - timedelta(days=12), "call", beatriz)
    directory.record_test(
        contact,
        today - timedelta(days=12),
        "phone",
        4,
        "reached",
        "Duty officer answered; the preservation procedure was confirmed.",
        beatriz,
    )
    done.append("Exampleland's Art. 35 contact: verified 12 days ago, one test logged")

    contact = directory.save_contact(demoland, art35, CONTACTS["XAA"], version=None, user=olga)
    eight_months_ago = directory.add_months(today, -8)
    directory.verify(contact, eight_months_ago, "email", olga)
    done.append("Demoland's Art. 35 contact: verified eight months ago (overdue)")

    for item in PROVIDERS:
        values = dict(item)
        verified = values.pop("verified")
        code = values["established_in"]
        values["established_in"] = _country(code) if code else None
        values["countries"] = [_country(c) for c in values["countries"]]
        values["interval_months"] = directory.DEFAULT_INTERVAL
        provider: Provider = directory.save_provider(None, values, version=None, user=coordinator)
        directory.verify_provider(provider, today - timedelta(days=verified), "email", coordinator)
        done.append(f"Industry contact list: {provider.name}")
    db.session.flush()
    return done
