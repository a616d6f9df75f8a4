"""The /metrics text itself, without a running controller: who may read it and how labels are escaped
(the running controller's figures are tests/integration/test_metrics.py)."""
from agent_console.api.metrics import _loopback, render


def test_only_loopback_clients_and_labels_are_escaped():
    assert _loopback("127.0.0.1") and _loopback("::1")
    assert not _loopback("10.0.0.5") and not _loopback(None) and not _loopback("junk")
    text = render([("ivr_queue_waiting", {"queue": 'a"b\\c\nd'}, 2.0), ("ivr_writer_backlog", {}, 0.5)])
    assert 'ivr_queue_waiting{queue="a\\"b\\\\c\\nd"} 2' in text and "ivr_writer_backlog 0.5" in text
