"""Masking the contact details buyers write into reviews (phone numbers, e-mail addresses).

Buyers write "加我微信 138 1234 5678" or "联系 zhang.san@qq.com" into a review. The audit needs
the complaint, not the person: before review text reaches a report, phone numbers and e-mail
addresses are masked the way Chinese platforms show them — a mobile keeps its first 3 and last
4 digits (``138****5678``), a landline its area code and last 4 digits (``0571-****8888``), an
e-mail address its first character and domain (``z***@qq.com``).

Whole columns are rewritten with three regular expressions (pandas ``str.replace`` with
template replacements, no Python call per row). Order numbers (18 digits), SKU codes, prices
and dates are left alone: a number is only a phone number when no other digit, letter or
hyphen touches it on either side.
"""

from __future__ import annotations

import pandas as pd

# Edges a phone number may not touch: another digit (an 18-digit order id holds 11-digit runs),
# a Latin letter, '_' or '-' (SKU codes such as SKU-13812345678), '.' (prices, decimals).
_NOT_AFTER = r"(?<![\dA-Za-z_\-.])"
_NOT_BEFORE = r"(?![\dA-Za-z_]|[.\-]\d)"

# A mobile: 1[3-9]x xxxx xxxx, optionally after +86 / 0086 / 86, with spaces or hyphens
# between the groups of 3-4-4 (also full-width digits, which \d matches).
_MOBILE = (
    _NOT_AFTER
    + r"(?P<country>(?:\+|00)?86[\s\-]?)?"
    + r"(?P<head>[1１][3-9３-９]\d)[\s\-]?\d{4}[\s\-]?(?P<tail>\d{4})"
    + _NOT_BEFORE
)
_MOBILE_MASK = r"\g<country>\g<head>****\g<tail>"

# A landline: area code 0xx or 0xxx, a separator ('-', space or a closing bracket), then 7 or 8
# digits. The separator is required, so plain digit runs are never taken for one.
_LANDLINE = (
    _NOT_AFTER
    + r"(?P<area>\(?0\d{2,3}\)?)(?P<separator>[\s\-]|(?<=\)))"
    + r"\d{3,4}[\s\-]?(?P<tail>\d{4})"
    + _NOT_BEFORE
)
_LANDLINE_MASK = r"\g<area>\g<separator>****\g<tail>"

# An e-mail address: the local part's first character and the whole domain are kept.
_EMAIL = (
    r"(?<![A-Za-z0-9._%+\-])(?P<first>[A-Za-z0-9])[A-Za-z0-9._%+\-]*"
    r"@(?P<domain>[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,})"
)
_EMAIL_MASK = r"\g<first>***@\g<domain>"
_CANDIDATE = r"@|[0-9０-９]{3}"


def mask_contacts(texts: pd.Series) -> pd.Series:
    """A copy of ``texts`` with phone numbers and e-mail addresses masked.

    Missing values stay missing; values that are not text are returned unchanged.
    """
    if not (pd.api.types.is_string_dtype(texts) or pd.api.types.is_object_dtype(texts)):
        return texts.copy()
    is_text = texts.str.len().notna()
    # Only texts with an '@' or a run of 3 digits can hold a contact: a cheap scan (RE2 under
    # pyarrow-backed strings) spares the look-behind patterns, which need Python's re, the
    # bulk of the reviews.
    candidates = is_text & texts.str.contains(_CANDIDATE, regex=True).fillna(False).astype(bool)
    if not candidates.any():
        return texts.copy()
    chosen = texts[candidates]
    # E-mail first: a QQ address such as 13812345678@qq.com is an address, not a mobile.
    masked = (
        chosen.str.replace(_EMAIL, _EMAIL_MASK, regex=True)
        .str.replace(_MOBILE, _MOBILE_MASK, regex=True)
        .str.replace(_LANDLINE, _LANDLINE_MASK, regex=True)
    )
    result = texts.copy()
    result[candidates] = masked
    return result


def mask_buyer_ids(ids: pd.Series) -> pd.Series:
    """Buyer ids as platforms show them: the first and last character kept (``t***8``); an id
    of one or two characters keeps only its first (``张*``). Missing values stay missing."""
    text = ids.astype("string").str.strip()
    length = text.str.len()
    long = text.str[0] + "***" + text.str[-1]
    short = text.str[0] + "*"
    masked = long.where(length > 2, short)
    return masked.where(text.notna() & (length > 0), pd.NA)
