"""Uploaded files: the checks every import form makes, and storage for a background job (an import, a
department load) to read."""

from __future__ import annotations

import uuid
from pathlib import Path, PurePath
from typing import Any

from django import forms
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


def checked_upload(upload: Any, extensions: tuple[str, ...], verb: str = "导入") -> Any:
    """An import form's file, refused (ValidationError in Chinese) when its type is not one of
    ``extensions``, it is larger than JINGZHUN_MAX_IMPORT_BYTES or it is empty. ``verb``: 导入 or 上传."""
    if PurePath(upload.name or "").suffix.lower() not in extensions:
        names = "、".join(extensions[:-1]) + " 或 " + extensions[-1] if len(extensions) > 1 else extensions[0]
        raise forms.ValidationError(f"只能{verb} {names} 文件")
    limit = settings.JINGZHUN_MAX_IMPORT_BYTES
    if upload.size > limit:
        raise forms.ValidationError(f"文件太大：最大 {limit // (1024 * 1024)} MB，请拆分后分批{verb}")
    if upload.size == 0:
        raise forms.ValidationError("文件是空的")
    return upload
