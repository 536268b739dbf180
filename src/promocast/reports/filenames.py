"""File names for series ids: distinct, recognisable and inside their folder for any id.

Ids come from the shop's data: Chinese ("商品3/北京店"), with path separators ("1/100"), dots
("..") or characters Windows refuses. A name keeps the id's letters in any script and replaces
only what a file system cannot hold or would read as a path: separators, control and format
characters, Windows' reserved ``<>:"|?*``; leading and trailing dots and spaces go (".." is
no name). When that leaves nothing, cuts a long id short, hits a reserved Windows device name
(``CON``, ``NUL``, ...) or gives two ids the same name (compared case-blind, as on Windows and
macOS), the name gets ``_`` and 8 hex digits of the id's SHA-256: stable from run to run.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

WINDOWS_FORBIDDEN = set('\\/<>:"|?*')
WINDOWS_DEVICES = {"CON", "PRN", "AUX", "NUL", *(f"COM{k}" for k in range(1, 10)),
                   *(f"LPT{k}" for k in range(1, 10))}
MAX_STEM_BYTES = 150  # UTF-8 bytes of a stem; file systems allow 255 per name, suffixes aside


def id_hash(text: str, digits: int = 8) -> str:
    """A short stable fingerprint of ``text`` (hex digits of its SHA-256)."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:digits]


def _unsafe(char: str) -> bool:
    category = unicodedata.category(char)
    return char in WINDOWS_FORBIDDEN or category[0] == "C" or category in ("Zl", "Zp")


def clean_stem(text: str) -> tuple[str, bool]:
    """The id with every run of unsafe characters as one ``_``, trimmed; and whether it needs
    the hash to stay distinct from others (empty, cut short, or a Windows device name)."""
    text = unicodedata.normalize("NFC", text)
    stem = re.sub("\x00+", "_", "".join("\x00" if _unsafe(c) else c for c in text))
    stem = stem.strip(" ._")
    needs_hash = not stem
    while len(stem.encode("utf-8")) > MAX_STEM_BYTES:
        stem, needs_hash = stem[:-1].rstrip(" ."), True
    if stem.split(".")[0].strip().upper() in WINDOWS_DEVICES:
        needs_hash = True
    return stem, needs_hash


def file_stems(ids: Iterable[str]) -> dict[str, str]:
    """A distinct file stem per id. Among ids that clean to the same name, the one spelled
    exactly as that name keeps it (the first in sorted order if several differ only in case)
    and the others get the hash, so the result does not depend on the order of ``ids``."""
    ids = list(dict.fromkeys(str(i) for i in ids))
    cleaned = {uid: clean_stem(uid) for uid in ids}
    groups: dict[str, list[str]] = defaultdict(list)
    for uid in ids:
        groups[cleaned[uid][0].casefold()].append(uid)
    stems = {}
    for members in groups.values():
        exact = sorted(uid for uid in members if cleaned[uid] == (uid, False))
        for uid in members:
            stem, needs_hash = cleaned[uid]
            plain = not needs_hash and (len(members) == 1 or (exact and uid == exact[0]))
            stems[uid] = stem if plain else f"{stem or 'series'}_{id_hash(uid)}"
    taken: set[str] = set()
    # a hashed name equal to another id's plain name: plain names first, then count on
    for uid in sorted(ids, key=lambda u: (stems[u] != cleaned[u][0], u)):
        stem, k = stems[uid], 1
        while stem.casefold() in taken:
            k += 1
            stem = f"{stems[uid]}_{k}"
        stems[uid] = stem
        taken.add(stem.casefold())
    return {uid: stems[uid] for uid in ids}


def path_in(folder: Path, stem: str, suffix: str) -> Path:
    """``folder/stem+suffix``, refused if it would land anywhere but directly in ``folder``."""
    name = f"{stem}{suffix}"
    if name in ("", ".", "..") or any(c in name for c in "/\\\x00") or Path(name).name != name:
        raise ValueError(f"file name {name!r} would leave the folder {folder}")
    return folder / name
