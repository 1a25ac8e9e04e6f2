"""Where uploaded files live. One interface — ``put``, ``open``, ``path``, ``delete``, ``exists`` —
and a local-folder backend today; an object store can be another backend later. Files are named by
random ids chosen by the caller, never by what a user typed."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import BinaryIO, Protocol

from flask import current_app

NAME = re.compile(r"^[0-9a-f]{16,64}$")


class Storage(Protocol):
    def put(self, name: str, data: bytes) -> None: ...
    def open(self, name: str) -> BinaryIO: ...
    def exists(self, name: str) -> bool: ...
    def delete(self, name: str) -> None: ...


class LocalStorage:
    """Files in one folder (outside the static folder), written atomically."""

    def __init__(self, folder: str | os.PathLike[str]):
        self.folder = Path(folder)

    def path(self, name: str) -> Path:
        """Return the file's path; refuses names that are not random hex ids."""
        if not NAME.match(name):
            raise ValueError("storage names are hex ids")
        return self.folder / name

    def put(self, name: str, data: bytes) -> None:
        """Store ``data`` under ``name``: a reader sees the whole file or none of it."""
        target = self.path(name)
        self.folder.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=self.folder, prefix=".upload-")
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def open(self, name: str) -> BinaryIO:
        """Return the stored file opened for reading."""
        return self.path(name).open("rb")

    def exists(self, name: str) -> bool:
        """Return whether a file is stored under ``name``."""
        return self.path(name).is_file()

    def delete(self, name: str) -> None:
        """Remove a stored file (nothing happens when there is none)."""
        self.path(name).unlink(missing_ok=True)


def storage() -> LocalStorage:
    """Return the application's file store (the ``UPLOAD_FOLDER``)."""
    return LocalStorage(current_app.config["UPLOAD_FOLDER"])
