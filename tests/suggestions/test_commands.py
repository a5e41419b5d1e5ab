import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from suggestions.analysis.engine import _forms_of
from suggestions.models import Suggestion
from tests.suggestions.ideas import IDEAS

pytestmark = pytest.mark.django_db


def write_lines(path, rows):
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    return path


def test_analyze_file_writes_one_result_line_per_input_and_nothing_to_the_database(tmp_path):
    rows = [{"id": f"{name}-{i}", "text": text} for name, texts in IDEAS.items() for i, text in enumerate(texts)]
    rows.append({"id": "copy", "text": IDEAS["hours"][0].replace("۲۴", "24")})
    out = tmp_path / "out.jsonl"
    call_command("analyze_file", str(write_lines(tmp_path / "in.jsonl", rows)), out=str(out))
    results = {r["id"]: r for r in map(json.loads, out.read_text(encoding="utf-8").splitlines())}
    assert set(results) == {row["id"] for row in rows}
    assert results["copy"]["duplicate_of"] == "hours-0"
    assert set(results["hours-1"]) == {"id", "duplicate_of", "idea", "cluster", "cluster_label", "similar"}
    assert Suggestion.objects.count() == 0


def run_manage(*argv):
    root = Path(__file__).resolve().parents[2]
    # Output buffered as on any machine: what the command says must reach a pipe without PYTHONUNBUFFERED's help.
    dropped = ("REDIS_URL", "DATABASE_URL", "PYTHONUNBUFFERED")
    env = {key: value for key, value in os.environ.items() if key not in dropped}
    return subprocess.run(
        [sys.executable, "manage.py", *argv], cwd=root, env=env, capture_output=True, text=True, timeout=300
    )


def test_analyze_file_from_the_command_line_ends_with_its_output_whole_and_its_summary_said(tmp_path):
    rows = [{"id": f"{name}-{i}", "text": text} for name, texts in IDEAS.items() for i, text in enumerate(texts)]
    out = tmp_path / "out.jsonl"
    ended = run_manage("analyze_file", str(write_lines(tmp_path / "in.jsonl", rows)), "--out", str(out))
    assert ended.returncode == 0, ended.stderr
    assert [json.loads(line)["id"] for line in out.read_text(encoding="utf-8").splitlines()] == [r["id"] for r in rows]
    assert ended.stdout.strip().startswith(f"{len(rows)} suggestions, ")
    assert not (tmp_path / "out.jsonl.partial").exists()


def test_analyze_file_from_the_command_line_refuses_bad_input_in_persian_with_status_1(tmp_path):
    out = tmp_path / "out.jsonl"
    ended = run_manage("analyze_file", str(write_lines(tmp_path / "in.jsonl", [{"id": "a"}])), "--out", str(out))
    assert ended.returncode == 1
    assert "سطر" in ended.stderr
    assert not out.exists()


def test_analyze_file_refuses_a_line_without_text_in_persian(tmp_path):
    source = write_lines(tmp_path / "in.jsonl", [{"id": "a"}])
    with pytest.raises(CommandError, match="سطر ۱|سطر 1"):
        call_command("analyze_file", str(source), out=str(tmp_path / "out.jsonl"))


def test_analyze_file_that_refuses_its_input_leaves_an_earlier_output_as_it_was(tmp_path):
    out = tmp_path / "out.jsonl"
    out.write_text("earlier\n", encoding="utf-8")
    rows = [{"id": "a", "text": IDEAS["hours"][0]}, {"id": "b"}]
    with pytest.raises(CommandError):
        call_command("analyze_file", str(write_lines(tmp_path / "in.jsonl", rows)), out=str(out))
    assert out.read_text(encoding="utf-8") == "earlier\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl", "out.jsonl"]


def test_analyze_file_refuses_an_output_it_cannot_write_in_persian_before_it_analyzes(tmp_path, monkeypatch):
    from suggestions.management.commands import analyze_file

    analyzed = []
    monkeypatch.setattr(analyze_file, "iter_corpus", lambda *args, **kwargs: analyzed.append(args) or iter(()))
    source = write_lines(tmp_path / "in.jsonl", [{"id": "a", "text": IDEAS["hours"][0]}])
    with pytest.raises(CommandError, match="پرونده خروجی نوشته نشد"):
        call_command("analyze_file", str(source), out=str(tmp_path / "missing" / "out.jsonl"))
    assert analyzed == []


def _forms_of_a_process_killed_at_its_second_chunk(texts):
    if any("کشته" in text for text in texts):
        os.kill(os.getpid(), signal.SIGKILL)
    return _forms_of(texts)


def test_analyze_file_whose_worker_process_is_killed_says_so_in_persian_and_writes_no_output(
    tmp_path, monkeypatch, fails_rather_than_waits
):
    from suggestions.analysis import engine

    monkeypatch.setattr(engine, "_FORMS_CHUNK", 6)
    monkeypatch.setattr(engine, "_forms_of", _forms_of_a_process_killed_at_its_second_chunk)
    rows = [{"id": f"{name}-{i}", "text": text} for name, texts in IDEAS.items() for i, text in enumerate(texts)]
    rows[8]["text"] += " کشته"
    out = tmp_path / "out.jsonl"
    with pytest.raises(CommandError, match="از کار افتاد"):
        call_command("analyze_file", str(write_lines(tmp_path / "in.jsonl", rows)), out=str(out), workers=2)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl"]


def test_import_brings_in_suggestions_and_queues_them(tmp_path, django_capture_on_commit_callbacks):
    rows = [
        {"id": "p1", "title": "ماسک رایگان در شعبه", "body": IDEAS["masks"][0], "province": "qom"},
        {"id": "p2", "body": IDEAS["hours"][1], "topic": "voting-procedures", "created_at": "2021-01-05T08:00:00Z"},
    ]
    with django_capture_on_commit_callbacks() as callbacks:
        call_command("import_suggestions", str(write_lines(tmp_path / "paper.jsonl", rows)))
    assert Suggestion.objects.filter(source="import").count() == 2
    assert len(callbacks) == 2
    dated = Suggestion.objects.get(body=IDEAS["hours"][1])
    assert dated.created_at.year == 2021 and dated.title


def test_importing_the_same_file_twice_adds_nothing(tmp_path):
    source = write_lines(tmp_path / "paper.jsonl", [{"id": "p1", "body": IDEAS["masks"][0]}])
    call_command("import_suggestions", str(source))
    call_command("import_suggestions", str(source))
    assert Suggestion.objects.count() == 1


def test_import_reads_csv(tmp_path):
    source = tmp_path / "paper.csv"
    source.write_text(f"title,body,role\nنظارت زنده بر شمارش,{IDEAS['observers'][0]},journalist\n", encoding="utf-8")
    call_command("import_suggestions", str(source))
    assert Suggestion.objects.get().role == "journalist"


def test_a_file_with_one_bad_row_imports_nothing_and_names_the_row(tmp_path):
    source = write_lines(tmp_path / "paper.jsonl", [{"body": IDEAS["masks"][0]}, {"body": "", "province": "mars"}])
    with pytest.raises(CommandError, match="ردیف 2") as error:
        call_command("import_suggestions", str(source))
    assert "استان «mars» شناخته نیست" in str(error.value)
    assert Suggestion.objects.count() == 0
