"""The snapshot helper itself: it must never pass silently on a snapshot nobody reviewed."""

from __future__ import annotations

import pytest

from tests.cards import snapshot

CARD = {"type": "AdaptiveCard", "version": "1.5",
        "body": [{"type": "TextBlock", "text": "Grüße"}]}


@pytest.fixture
def snapshot_dir(tmp_path, monkeypatch):
    monkeypatch.setattr(snapshot, "SNAPSHOT_DIR", tmp_path)
    monkeypatch.delenv("UPDATE_SNAPSHOTS", raising=False)
    return tmp_path


def test_a_missing_snapshot_is_written_and_the_check_fails_asking_for_review(snapshot_dir):
    with pytest.raises(pytest.fail.Exception, match="review it and commit it"):
        snapshot.assert_snapshot("new", CARD)
    written = (snapshot_dir / "new.json").read_text(encoding="utf-8")
    assert written == snapshot.serialise(CARD)
    assert "Grüße" in written  # ensure_ascii=False keeps German readable
    snapshot.assert_snapshot("new", CARD)  # the second run compares and passes


def test_a_changed_card_fails_with_a_diff(snapshot_dir):
    (snapshot_dir / "card.json").write_text(snapshot.serialise(CARD), encoding="utf-8")
    changed = {**CARD, "body": [{"type": "TextBlock", "text": "Hallo"}]}
    with pytest.raises(pytest.fail.Exception, match=r'(?s)-\s+"text": "Grüße".*\+\s+"text"'):
        snapshot.assert_snapshot("card", changed)


def test_update_snapshots_rewrites_the_file_and_passes(snapshot_dir, monkeypatch):
    monkeypatch.setenv("UPDATE_SNAPSHOTS", "1")
    (snapshot_dir / "card.json").write_text("{}", encoding="utf-8")
    snapshot.assert_snapshot("card", CARD)
    snapshot.assert_snapshot("brand_new", CARD)
    assert (snapshot_dir / "card.json").read_text(encoding="utf-8") == snapshot.serialise(CARD)
    assert (snapshot_dir / "brand_new.json").exists()


def test_snapshots_are_sorted_and_indented_by_two_spaces():
    assert snapshot.serialise({"b": 1, "a": [1]}) == '{\n  "a": [\n    1\n  ],\n  "b": 1\n}\n'
