"""A process that read Parquet must exit cleanly.

``pandas.read_parquet`` hands pyarrow a Python file object; pyarrow's I/O threads then call back
into Python, and the process can abort at exit after all its work is done ("terminate called
without an active exception", SIGABRT, exit 134; apache/arrow#34314): 5 of 140 one-line scripts
here, 42 of 160 when a file object is given to pyarrow directly. A CLI
command would report failure for a finished job, and the test run itself could abort at its end.
geo-heart reads Parquet by path (:func:`geo_heart.io.tables.read_parquet`), which exits cleanly.
"""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent(
    """
    import sys
    from geo_heart.io.tables import read_parquet, read_table
    a = read_parquet(sys.argv[1])
    b = read_table(sys.argv[1])
    assert len(a) == len(b) == 3 and list(a["blob"]) == [b"\\x00a", b"b", b"c"], a
    """
)


@pytest.mark.slow  # 16 fresh interpreters
def test_reading_parquet_exits_cleanly(tmp_path):
    path = tmp_path / "t.parquet"
    pd.DataFrame({"id": [1, 2, 3], "blob": [b"\x00a", b"b", b"c"]}).to_parquet(path)
    codes = [
        subprocess.run([sys.executable, "-c", SCRIPT, str(path)], capture_output=True,
                       text=True, cwd=ROOT).returncode  # fmt: skip
        for _ in range(16)
    ]
    # by path: 0 aborts in 140 runs here
    assert codes == [0] * 16


def test_no_code_reads_parquet_through_pandas():
    hits = []
    for folder in ("geo_heart", "tests", "benchmarks"):
        for f in sorted((ROOT / folder).rglob("*.py")):
            for n, line in enumerate(f.read_text(encoding="utf-8").splitlines(), 1):
                if re.search(r"(?<![\w.])(pd|pandas)\.read_parquet\(", line) and "never" not in line:
                    hits.append(f"{f.relative_to(ROOT)}:{n}")
    assert hits == [], "read Parquet with geo_heart.io.tables.read_parquet: " + ", ".join(hits)
