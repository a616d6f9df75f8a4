"""db/demo_data.csv: the one documented demo-credentials file, and its parser."""
from __future__ import annotations

from collections import Counter

import pytest

from db.demo import read_demo_data


def test_demo_file_has_one_shift_two_supervisors_one_admin():
    people = read_demo_data()
    roles = Counter(p.role for p in people)
    assert roles == {"agent": 16, "supervisor": 2, "admin": 1}
    assert [p.ext for p in people if p.role == "agent"] == [str(n) for n in range(1001, 1017)]
    assert {p.ext for p in people if p.role != "agent"} == {"2001", "2002", "9001"}
    assert len({p.sip_password for p in people}) == len(people)  # one SIP secret per phone


def test_every_agent_takes_emergencies_and_every_branch_is_staffed():
    agents = [p for p in read_demo_data() if p.role == "agent"]
    assert all(("emergency", 0) in p.branches for p in agents)
    first_line = Counter(queue for p in agents for queue, penalty in p.branches if penalty == 0)
    assert first_line["emergency"] == 16
    assert min(first_line[q] for q in ("cdc", "doctors", "violations")) >= 5


def test_names_are_vietnamese():
    assert all(any(ord(ch) > 127 for ch in p.name) for p in read_demo_data())


@pytest.mark.parametrize("row,problem", [
    ("12,Tên,agent,pw,sip,cdc:0", "3 to 6 digits"),
    ("1001,Tên,boss,pw,sip,cdc:0", "role"),
    ("1001,Tên,agent,pw,sip,sales:0", "branch"),
    ("1001,Tên,agent,pw,sip,cdc", "branch"),
    ("1001,Tên,agent,,sip,cdc:0", "required"),
])
def test_malformed_rows_are_rejected_with_the_reason(tmp_path, row, problem):
    path = tmp_path / "demo.csv"
    path.write_text("# comment\next,name,role,console_password,sip_password,branches\n" + row + "\n",
                    encoding="utf-8")
    with pytest.raises(ValueError, match=problem):
        read_demo_data(path)


def test_duplicate_extension_is_rejected(tmp_path):
    path = tmp_path / "demo.csv"
    path.write_text("ext,name,role,console_password,sip_password,branches\n"
                    "1001,A,agent,p,s,cdc:0\n1001,B,agent,p,s,cdc:0\n", encoding="utf-8")
    with pytest.raises(ValueError, match="twice"):
        read_demo_data(path)
