"""Uploaded files kept for a background job (an import, a department load) to read."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.utils.text import get_valid_filename


def save_upload(upload: Any) -> Path:
    """Store the upload as MEDIA_ROOT/uploads/<uuid>_<safe name> and return the path."""
    folder = Path(settings.MEDIA_ROOT) / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    try:
        safe = get_valid_filename(Path(upload.name).name)[-100:]
    except SuspiciousFileOperation:  # a name made only of unsafe characters
        safe = "upload" + Path(upload.name).suffix.lower()
    path = folder / f"{uuid.uuid4().hex}_{safe}"
    with path.open("wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    return path
