"""Address texts read in bulk for the reference index build (private to
:mod:`geo_heart.geocode.reference` and :mod:`geo_heart.geocode.history_guide`).

:func:`numbered_many` is :func:`~geo_heart.geocode.address.numbered_address` of many texts at
once (pyarrow's RE2 splits the common form); :func:`_point_texts` joins the address layers' point
texts, kept in pyarrow when every layer read them that way.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from geo_heart.geocode.address import numbered_address

#: ``address._RE_FAST`` as RE2 (pyarrow) reads it; used only while the two patterns agree
_FAST_PATTERN = r"^(\d{1,6}) ([A-Z][A-Z0-9 ]*[A-Z0-9])$"
_FAST_RE2 = r"^(?P<n>\d{1,6}) (?P<s>[A-Z][A-Z0-9 ]*[A-Z0-9])$"


def numbered_many(texts) -> tuple[np.ndarray, np.ndarray, list]:
    """:func:`~geo_heart.geocode.address.numbered_address` of many texts (a list, or a pyarrow
    string array), as ``(numbers, key codes, keys)``: text ``i`` reads as number ``numbers[i]``
    on street ``keys[codes[i]]``, or is no numbered address (``codes[i] == -1``); the same
    answer as ``numbered_address`` gives every text.

    The common ``1200 N DUKE ST`` form is split for all texts at once by pyarrow (RE2) and each
    distinct street read once; every other text (and any text RE2 does not read as Python's
    ``re`` does: a Unicode digit, a final newline, one longer than the parser takes) goes
    through ``numbered_address`` itself. RE2's ``\\d`` and ``$`` match a subset of what
    Python's do on this pattern, so a text RE2 splits is split the same way by Python.
    """
    from geo_heart.geocode import address as A

    n = len(texts)
    nums = np.zeros(n, dtype=np.int64)
    codes = np.full(n, -1, dtype=np.int64)
    keys: list = []
    rest = range(n)
    arr = _as_arrow_text(texts)
    if n and arr is not None and A._RE_FAST.pattern == _FAST_PATTERN:
        import pyarrow as pa
        import pyarrow.compute as pc

        m = pc.extract_regex(arr, _FAST_RE2)
        ok = pc.and_(pc.is_valid(m), pc.less_equal(pc.utf8_length(arr), A.MAX_ADDRESS_CHARS))
        mask = pa.array(ok.fill_null(False).to_numpy(zero_copy_only=False))
        rows = np.flatnonzero(mask.to_numpy(zero_copy_only=False))
        st = m.field("s").filter(mask).dictionary_encode()
        keys = [A._fast_street(v, " ", "") for v in st.dictionary.to_pylist()]
        code = st.indices.to_numpy(zero_copy_only=False).astype(np.int64)
        num = pc.cast(m.field("n").filter(mask), pa.int64()).to_numpy(zero_copy_only=False)
        fast = np.array([k is not None for k in keys], dtype=bool)
        good = fast[code] if len(code) else np.zeros(0, dtype=bool)
        codes[rows[good]] = code[good]
        nums[rows[good]] = num[good]
        done = np.zeros(n, dtype=bool)
        done[rows[good]] = True
        rest = np.flatnonzero(~done).tolist()
    if isinstance(texts, list):
        rest_texts = [texts[i] for i in rest]
    else:  # a pyarrow array: only the texts left are made Python strings
        rest_texts = texts.take(np.asarray(rest, dtype=np.int64)).to_pylist()
    for i, text in zip(rest, rest_texts, strict=True):
        na = numbered_address(text)
        if na is not None:
            nums[i], codes[i] = na[0], len(keys)
            keys.append(na[2])
    return nums, codes, keys


def _as_arrow_text(texts):
    """``texts`` as one pyarrow string array, or None when they are not all text."""
    try:
        import pyarrow as pa

        if isinstance(texts, pa.ChunkedArray):
            return texts.combine_chunks()
        if isinstance(texts, pa.Array):
            return texts
        return pa.array(texts, type=pa.string())
    except Exception:  # noqa: BLE001 - not all text: each read by numbered_address
        return None


def _point_texts(records: dict) -> tuple[Any, int]:
    """Every layer's address point texts in layer order (a pyarrow array when every layer that
    has points gave them as one, else a list), and how many."""
    import pyarrow as pa

    parts = [r.point_text for r in records.values() if len(r.point_text)]
    if parts and all(isinstance(p, (pa.Array, pa.ChunkedArray)) for p in parts):
        chunks = [c for p in parts for c in (p.chunks if isinstance(p, pa.ChunkedArray) else [p])]
        text = pa.chunked_array(chunks, type=pa.string()).combine_chunks()
    else:
        text = [t for p in parts for t in (p if isinstance(p, list) else p.to_pylist())]
    return text, len(text)
