"""The languages a player can say they teach in: ISO 639-1 codes with their English names.

No language database is installed (Babel, pycountry), so this is a short explicit list of the
languages most spoken in the kendama community and beyond; add a code here to offer it.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..errors import InvalidInput

LANGUAGES: dict[str, str] = {
    "ar": "Arabic",
    "bn": "Bengali",
    "cs": "Czech",
    "da": "Danish",
    "de": "German",
    "el": "Greek",
    "en": "English",
    "es": "Spanish",
    "fi": "Finnish",
    "fr": "French",
    "he": "Hebrew",
    "hi": "Hindi",
    "hu": "Hungarian",
    "id": "Indonesian",
    "it": "Italian",
    "ja": "Japanese",
    "ko": "Korean",
    "ms": "Malay",
    "nl": "Dutch",
    "no": "Norwegian",
    "pl": "Polish",
    "pt": "Portuguese",
    "ro": "Romanian",
    "ru": "Russian",
    "sk": "Slovak",
    "sv": "Swedish",
    "th": "Thai",
    "tl": "Tagalog",
    "tr": "Turkish",
    "uk": "Ukrainian",
    "vi": "Vietnamese",
    "zh": "Chinese",
}
MAX_LANGUAGES = 10


def name_of(code: str) -> str:
    """The English name of a known code (the code itself for one no longer offered)."""
    return LANGUAGES.get(code, code)


def choices() -> list[tuple[str, str]]:
    """(code, name) pairs in the order people look for them: by name."""
    return sorted(LANGUAGES.items(), key=lambda item: item[1])


def names(codes: Iterable[str]) -> list[str]:
    """The English names of `codes`, alphabetically ("English, Japanese")."""
    return sorted(name_of(code) for code in codes)


def is_known(code: object) -> bool:
    return isinstance(code, str) and code in LANGUAGES


def checked_codes(codes: Iterable[object], *, field: str = "languages") -> list[str]:
    """The codes as a sorted list without repeats, or InvalidInput naming the unknown ones."""
    given = list(codes)
    unknown = sorted({str(code) for code in given if not is_known(code)})
    if unknown:
        raise InvalidInput(
            {field: f"Unknown language code: {', '.join(unknown)}. Use ISO 639-1 codes such as en or ja."}
        )
    wanted = sorted(set(given))
    if len(wanted) > MAX_LANGUAGES:
        raise InvalidInput({field: f"Choose at most {MAX_LANGUAGES} languages."})
    return wanted


def check_filter(code: str | None) -> str | None:
    """A discovery filter's language code (None: any), or InvalidInput on `language`."""
    if code is None or code == "":
        return None
    if not is_known(code):
        raise InvalidInput({"language": "Unknown language code. Use an ISO 639-1 code such as en or ja."})
    return code
