"""Countries: the tenants of the application."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import UTCDateTime, utcnow
from app.extensions import db


class Country(db.Model):
    __tablename__ = "countries"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: ISO 3166-1 alpha-3 code; demo countries use the user-assigned range XAA–XZZ.
    code: Mapped[str] = mapped_column(String(3), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    #: UN M49 region code (002 Africa, 019 Americas, 142 Asia, 150 Europe, 009 Oceania).
    region: Mapped[str | None] = mapped_column(String(3))
    #: Takes part in the Task Force's assessment cycles.
    participating: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def is_demo(self) -> bool:
        """Return whether the code is in the user-assigned range kept for demo countries."""
        return len(self.code) == 3 and self.code[0] == "X" and self.code[1:].isalpha()

    def __repr__(self) -> str:
        return f"<Country {self.code}>"
