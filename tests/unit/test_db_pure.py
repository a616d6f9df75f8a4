"""Pure parts of db/: migration file discovery, record validation, JSON-safe rows, text cleaning."""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

import pytest

from db.calls import validate_call
from db.migrate import load_migrations
from db.records import OUTCOMES, CallRecord
from db.serialize import clean_text, json_row

T0 = datetime(2021, 8, 19, 8, 0, tzinfo=timezone.utc)


def test_migrations_are_numbered_in_order():
    migrations = load_migrations()
    assert [m.version for m in migrations] == list(range(1, len(migrations) + 1))
    assert migrations[0].name == "001_calls" and all(m.sql.strip() for m in migrations)


@pytest.mark.parametrize("names,problem", [(["1_x.sql"], "NNN"), (["001_a.sql", "001_b.sql"], "share")])
def test_bad_migration_files_are_refused(tmp_path, names, problem):
    for name in names:
        (tmp_path / name).write_text("SELECT 1;")
    with pytest.raises(ValueError, match=problem):
        load_migrations(tmp_path)


@pytest.mark.parametrize("changes,problem", [
    ({"outcome": "lost"}, "outcome"), ({"branch": 5}, "branch"), ({"hangup_by": "cat"}, "hangup_by"),
    ({"wait_s": float("nan")}, "wait_s"), ({"talk_s": -1.0}, "talk_s"), ({"linkedid": ""}, "linkedid"),
])
def test_validate_call_names_the_problem(changes, problem):
    record = CallRecord(**{"linkedid": "1629360000.1", "started_at": T0, **changes})
    with pytest.raises(ValueError, match=problem):
        validate_call(record)


def test_outcomes_are_the_nine_docs_metrics_md_defines():
    assert len(OUTCOMES) == len(set(OUTCOMES)) == 9


@pytest.mark.parametrize("outcome", OUTCOMES)
def test_validate_call_accepts_every_outcome(outcome):
    record = CallRecord(linkedid="1629360000.1", started_at=T0, outcome=outcome, branch=1)
    assert validate_call(record) is None      # raises ValueError naming the problem otherwise


def test_json_row_is_json_safe():
    naive = datetime(2021, 8, 19, 8, 0)
    assert json_row({"at": naive, "n": Decimal("1.500"), "b": b"\x01", "s": "x", "none": None}) == {
        "at": "2021-08-19T08:00:00+00:00", "n": 1.5, "b": "01", "s": "x", "none": None}


def test_clean_text_keeps_everything_postgres_can_store():
    hostile = "<script>'\";--</script> Đặng \t\n \ufffd 🙂"
    assert clean_text(hostile) == hostile
    assert clean_text("a\x00b\udcffc") == "a\ufffdb\ufffdc"
