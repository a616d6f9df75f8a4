"""agent_console/openapi_rules.py: the served document states the rules the middlewares apply."""
from __future__ import annotations

import re

from agent_console.input_guard import bad_character
from agent_console.openapi import DOCUMENT
from agent_console.openapi_rules import NO_CONTROL, SOME_TEXT, TEXT_LINES, TEXT_LINES_OPTIONAL, finished


def matches(pattern: str, text: str) -> bool:
    """JSON Schema's (ECMA) reading: its `$` is the end of the text, Python's also matches before a last newline."""
    assert pattern.endswith("$")
    return re.search(pattern[:-1] + r"\Z", text) is not None


def test_patterns_refuse_exactly_what_the_guard_refuses():
    for code in range(0x200):
        ch = chr(code)
        assert matches(NO_CONTROL, ch) == (bad_character(ch) is None), hex(code)


def test_text_patterns():
    assert matches(SOME_TEXT, " hỏi đáp ") and not matches(SOME_TEXT, "   ")
    assert not matches(SOME_TEXT, "a\nb")
    assert matches(TEXT_LINES, "dòng 1\n\tdòng 2") and not matches(TEXT_LINES, "\n\t ")
    assert not matches(TEXT_LINES, "a\x0bb") and not matches(TEXT_LINES, "a\x85b")
    assert matches(TEXT_LINES_OPTIONAL, "") and not matches(TEXT_LINES_OPTIONAL, "a\rb")


def test_every_operation_documents_the_guard_and_the_token():
    document = finished(DOCUMENT)
    for path, item in document["paths"].items():
        for method, operation in item.items():
            assert "400" in operation["responses"], (method, path)
            if operation.get("security") != []:
                assert "401" in operation["responses"], (method, path)


def test_strings_sent_by_clients_get_the_pattern_but_responses_do_not():
    document = finished(DOCUMENT)
    [agent] = [p for p in document["paths"]["/api/v1/calls"]["get"]["parameters"] if p["name"] == "agent"]
    assert agent["schema"]["pattern"] == NO_CONTROL
    login = document["paths"]["/api/v1/auth/login"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert login["properties"]["username"]["pattern"] == NO_CONTROL
    assert login["additionalProperties"] == {"$ref": "#/components/schemas/PlainJson"}
    assert "pattern" not in document["components"]["schemas"]["Call"]["properties"]["caller"]
    assert "pattern" not in DOCUMENT["components"]["schemas"]["LoginRequest"]["properties"]["username"]  # a copy
