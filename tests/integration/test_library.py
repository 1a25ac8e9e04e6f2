"""The questionnaire library: CLI validate, load (immutable, idempotent), coverage, pages."""

from __future__ import annotations

import json
import re
import shutil
from functools import partial

from sqlalchemy import func, select

from app.extensions import db
from app.models import FrameworkVersion, QuestionnaireVersion
from tests.conftest import QUESTIONNAIRES, count_statements, sign_in


def copy_library(tmp_path):
    target = tmp_path / "questionnaires"
    shutil.copytree(QUESTIONNAIRES, target, ignore=shutil.ignore_patterns("*.md"))
    return target


def versions(app) -> tuple[int, int]:
    with app.app_context():
        return (
            db.session.scalar(select(func.count(FrameworkVersion.id))),
            db.session.scalar(select(func.count(QuestionnaireVersion.id))),
        )


def test_validate_passes_on_the_shipped_files(runner):
    result = runner.invoke(args=["questionnaires", "validate", str(QUESTIONNAIRES)])
    assert result.exit_code == 0, result.output
    assert re.match(r"OK: 4 framework\(s\), 1 questionnaire\(s\), \d+ question\(s\)", result.output)


def test_validate_prints_each_problem_as_file_line_path_message(runner, tmp_path):
    folder = copy_library(tmp_path)
    path = folder / "budapest.yaml"
    text = path.read_text().replace("cluster: substantive", "cluster: substantial", 1)
    path.write_text(text)
    result = runner.invoke(args=["questionnaires", "validate", str(folder)])
    assert result.exit_code == 1
    line = next(i for i, row in enumerate(text.splitlines(), 1) if "substantial" in row)
    assert f"{path}:{line}: provisions.0.cluster: unknown cluster 'substantial'" in result.output
    assert "Traceback" not in result.output


def test_a_yaml_error_is_one_line_not_a_traceback(runner, tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("kind: framework\nid: [unclosed\n")
    result = runner.invoke(args=["questionnaires", "validate", str(broken)])
    assert result.exit_code == 1
    assert result.output.splitlines()[0].startswith(f"{broken}:")
    assert "YAML syntax error" in result.output and "Traceback" not in result.output


def test_load_is_idempotent(app, runner):
    first = runner.invoke(args=["questionnaires", "load", str(QUESTIONNAIRES)])
    assert first.exit_code == 0, first.output
    assert first.output.count(": new version") == 5
    assert versions(app) == (4, 1)
    second = runner.invoke(args=["questionnaires", "load", str(QUESTIONNAIRES)])
    assert second.output.count(": unchanged") == 5
    assert versions(app) == (4, 1)


def test_changed_content_makes_a_new_version_and_keeps_the_old(app, runner, tmp_path):
    runner.invoke(args=["questionnaires", "load", str(QUESTIONNAIRES)])
    with app.app_context():
        old = db.session.scalars(select(QuestionnaireVersion)).one()
        old_id, old_hash = old.id, old.content_hash
        old_label = old.definition["sections"][0]["questions"][0]["label"]["en"]
    folder = copy_library(tmp_path)
    path = folder / "catf-self-assessment.yaml"
    path.write_text(path.read_text().replace(old_label, old_label + " (revised)", 1))
    result = runner.invoke(args=["questionnaires", "load", str(folder)])
    assert result.exit_code == 0
    assert "questionnaire catf-self-assessment 2026.2" in result.output
    assert result.output.count(": unchanged") == 4  # the frameworks did not change
    assert versions(app) == (4, 2)
    with app.app_context():
        kept = db.session.get(QuestionnaireVersion, old_id)
        assert kept.content_hash == old_hash
        assert kept.definition["sections"][0]["questions"][0]["label"]["en"] == old_label
        newest = db.session.scalar(
            select(QuestionnaireVersion).order_by(QuestionnaireVersion.id.desc())
        )
        assert newest.definition["sections"][0]["questions"][0]["label"]["en"].endswith("(revised)")
        assert len(newest.frameworks) == 4


def test_a_changed_framework_also_versions_the_questionnaire(app, runner, tmp_path):
    runner.invoke(args=["questionnaires", "load", str(QUESTIONNAIRES)])
    folder = copy_library(tmp_path)
    path = folder / "budapest-p1.yaml"
    path.write_text(path.read_text().replace("version: ", "version: 2003-rev #", 1))
    runner.invoke(args=["questionnaires", "load", str(folder)])
    assert versions(app) == (5, 2)


def test_an_invalid_library_loads_nothing(app, runner, tmp_path):
    folder = copy_library(tmp_path)
    (folder / "budapest.yaml").write_text("kind: framework\n")
    result = runner.invoke(args=["questionnaires", "load", str(folder)])
    assert result.exit_code == 1
    assert versions(app) == (0, 0)


def test_stored_versions_cannot_be_changed(app, loaded_library):
    import pytest

    with app.app_context():
        row = db.session.get(QuestionnaireVersion, loaded_library)
        row.version = "tampered"
        with pytest.raises(RuntimeError, match="never change"):
            db.session.commit()
        db.session.rollback()


def test_coverage_json_shape_and_completeness(runner):
    result = runner.invoke(args=["questionnaires", "coverage", "--format", "json"])
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert set(data["frameworks"]) == {"budapest", "budapest-p1", "budapest-p2", "un-cybercrime"}
    budapest = data["frameworks"]["budapest"]
    assert budapest["uncovered"] == []
    assert "sub.illegal_access.offence" in budapest["provisions"]["2"]
    assert sorted(map(int, data["frameworks"]["un-cybercrime"]["provisions"])) == list(range(7, 54))


def test_coverage_text_names_every_provision(runner):
    result = runner.invoke(args=["questionnaires", "coverage"])
    assert "budapest: 34 of 34 provisions covered" in result.output
    assert "un-cybercrime: 47 of 47 provisions covered" in result.output
    assert "UNCOVERED" not in result.output


def test_seed_demo_loads_the_shipped_files_and_the_archived_version(app, runner):
    runner.invoke(args=["seed-demo"])
    assert versions(app) == (4, 2)  # 2026.1 for the 2025 round, 2026.2 for the 2027 round


def test_library_pages_show_provisions_coverage_and_crosswalk(app, client, world, loaded_library):
    sign_in(client, world.reviewer.email)
    page = client.get("/library/frameworks/budapest").get_data(as_text=True)
    assert "Article 16 — Expedited preservation of stored computer data" in page
    assert "sub.illegal_access.offence" in page and "un-cybercrime" in page
    coverage = client.get("/library/coverage").get_data(as_text=True)
    assert "34 of 34 provisions covered" in coverage and "47 of 47 provisions covered" in coverage
    crosswalk = client.get("/library/crosswalk").get_data(as_text=True)
    assert "Art. 35" in crosswalk and "Art. 41" in crosswalk and "No match" in crosswalk
    questionnaire = client.get(f"/library/questionnaires/{loaded_library}").get_data(as_text=True)
    assert "sub.illegal_access.offence in [&#39;yes&#39;, &#39;partly&#39;]" in questionnaire
    french = client.get("/library/frameworks/budapest", headers={"Accept-Language": "fr"})
    assert "Accès illégal" in french.get_data(as_text=True)


def test_library_pages_cost_a_fixed_number_of_queries(app, client, world, loaded_library):
    sign_in(client, world.coordinator.email)
    for url in ["/library/", "/library/frameworks/budapest", "/library/coverage",
                "/library/crosswalk", f"/library/questionnaires/{loaded_library}"]:  # fmt: skip
        client.get(url)  # warm the parsed-definition cache
        statements = count_statements(app, partial(client.get, url))
        assert len(statements) <= 6, (url, statements)
