"""Files taken out of a message, and their untrusted names made safe."""

from __future__ import annotations

import re

_UNSAFE_FILENAME = re.compile(r'[\x00-\x1f\x7f<>:"|?*]')




def safe_filename(name: str) -> str:
    """An untrusted filename made harmless: no path, no control or shell-hostile characters."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE_FILENAME.sub("_", name).strip().lstrip(".").strip()
    if len(name) > 200:
        stem, dot, ext = name.rpartition(".")
        name = (stem[:190] + dot + ext[:9]) if dot else name[:200]
    return name
