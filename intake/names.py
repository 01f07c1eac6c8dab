"""Name keys and similarity, for patient search and duplicate detection.

A key is what two spellings of one name have in common: lower case, without accents, and
without hyphens, spaces, apostrophes or other punctuation ("Zoë O'Brien-Smith" and
"zoe obrien smith" share keys). Two names are *similar* when their keys are equal or one edit
apart (a letter added, dropped, changed, or two neighbours swapped), in the same order or with
first and last name swapped. Search ranks keys by trigram similarity, as PostgreSQL's pg_trgm
does (``trigram_similarity``, ``word_similarity``: the same numbers, so SQLite can compute them
too). Also how every page names a user (``person_name``). Pure functions: no Django, no
database.
"""

from __future__ import annotations

import unicodedata
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

# Letters that do not decompose into a base letter plus an accent.
_FOLDED = str.maketrans(
    {
        "ß": "ss",
        "æ": "ae",
        "œ": "oe",
        "ø": "o",
        "ł": "l",
        "đ": "d",
        "ð": "d",
        "þ": "th",
        "\u0131": "i",
    }
)


def name_key(text: str) -> str:
    """The comparable form of a name: lower case, no accents, letters and digits only."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_FOLDED))
    return "".join(ch for ch in decomposed if ch.isalnum() and not unicodedata.combining(ch))


def within_one_edit(a: str, b: str) -> bool:
    """True when ``a`` and ``b`` are equal or one edit apart (Damerau: a swap counts as one)."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diffs = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
        if len(diffs) == 1:
            return True
        return (
            len(diffs) == 2
            and diffs[1] == diffs[0] + 1
            and a[diffs[0]] == b[diffs[1]]
            and a[diffs[1]] == b[diffs[0]]
        )
    shorter, longer = (a, b) if len(a) < len(b) else (b, a)
    for i, ch in enumerate(shorter):
        if ch != longer[i]:
            return shorter[i:] == longer[i + 1 :]
    return True  # the longer one has one extra letter at the end


def similar_names(first_a: str, last_a: str, first_b: str, last_b: str) -> bool:
    """Whether two (first, last) names may be the same person's, as typed by a busy desk.

    Compares keys, so case, accents, hyphens and spaces never matter; allows one typo in each
    part, the two parts swapped, and a space typed in the wrong place ("Mary Ann" + "Lee" against
    "Maryann" + "Lee", "De La Cruz" against "Delacruz").
    """
    fa, la, fb, lb = (name_key(part) for part in (first_a, last_a, first_b, last_b))
    if not (fa or la) or not (fb or lb):
        return False
    same_order = within_one_edit(fa, fb) and within_one_edit(la, lb)
    swapped = within_one_edit(fa, lb) and within_one_edit(la, fb)
    joined = within_one_edit(fa + la, fb + lb) or within_one_edit(fa + la, lb + fb)
    return same_order or swapped or joined


def names_swapped(first_a: str, last_a: str, first_b: str, last_b: str) -> bool:
    """Whether name a is name b with first and last name the other way round (a typo in each
    part allowed), and not also similar in the same order: what the desk is told to check."""
    fa, la, fb, lb = (name_key(part) for part in (first_a, last_a, first_b, last_b))
    if not (fa and la and fb and lb):
        return False
    same_order = within_one_edit(fa, fb) and within_one_edit(la, lb)
    return not same_order and within_one_edit(fa, lb) and within_one_edit(la, fb)


def _trigrams(key: str) -> list[str]:
    """pg_trgm's trigrams of one word, in order: padded with two spaces before, one after."""
    if not key:
        return []
    padded = f"  {key} "
    return [padded[i : i + 3] for i in range(len(padded) - 2)]


def trigram_similarity(a: str, b: str) -> float:
    """pg_trgm's ``similarity(a, b)`` of two keys: shared trigrams over all trigrams of both."""
    ta, tb = set(_trigrams(a)), set(_trigrams(b))
    if not ta or not tb:
        return 0.0
    common = len(ta & tb)
    return common / (len(ta) + len(tb) - common)


def word_similarity(a: str, b: str) -> float:
    """pg_trgm's ``word_similarity(a, b)`` for keys: how well ``a`` matches the best stretch of
    ``b`` ("holo" matches the "hol" that "holloway" begins with, 0.6).

    A port of pg_trgm's ``iterate_word_similarity`` (PostgreSQL 15): the extent of ``b``'s
    trigrams is grown to each trigram ``a`` shares and its start moved on while that helps, so
    the figure is pg_trgm's own, not an estimate.
    """
    wanted = set(_trigrams(a))
    ordered = _trigrams(b)
    if not wanted or not ordered:
        return 0.0
    ulen1 = len(wanted)
    last_pos: dict[str, int] = {}
    ulen2 = count = 0
    lower = -1
    best = 0.0
    for i, trigram in enumerate(ordered):
        found = trigram in wanted
        if lower >= 0 or found:
            if last_pos.get(trigram, -1) < 0:
                ulen2 += 1
                if found:
                    count += 1
            last_pos[trigram] = i
        if not found:
            continue
        upper = i
        if lower == -1:
            lower = i
            ulen2 = 1
        current = count / (ulen1 + ulen2 - count)
        tmp_count, tmp_ulen2, prev_lower = count, ulen2, lower
        for tmp_lower in range(lower, upper + 1):
            candidate = tmp_count / (ulen1 + tmp_ulen2 - tmp_count)
            if candidate > current:
                current, ulen2, lower, count = candidate, tmp_ulen2, tmp_lower, tmp_count
            dropped = ordered[tmp_lower]
            if last_pos.get(dropped, -1) == tmp_lower:
                tmp_ulen2 -= 1
                if dropped in wanted:
                    tmp_count -= 1
        best = max(best, current)
        for tmp_lower in range(prev_lower, lower):
            dropped = ordered[tmp_lower]
            if last_pos.get(dropped, -1) == tmp_lower:
                last_pos[dropped] = -1
    return best


def person_name(user: AbstractBaseUser | None, *, nobody: str = "") -> str:
    """A user as pages name them (a physician who decided, a desk that screened): the full
    name, else the username; ``nobody`` when there is no user (a case assigned to nobody, a
    re-screen the system made)."""
    if user is None:
        return nobody
    return user.get_full_name() or user.get_username()  # type: ignore[attr-defined]


def person_name_from_columns(first: str | None, last: str | None, username: str | None) -> str:
    """``person_name`` of a user read as columns (an export's ``values()`` row, no user
    object): the full name, else the username; "" for no user. A test holds the two equal."""
    return f"{first or ''} {last or ''}".strip() or (username or "")
