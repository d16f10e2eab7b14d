"""The CLI as a user types it, and whole-graph exports that parse back to the same graph."""
from __future__ import annotations

import io
import json
import re
import sys

import pytest
import rdflib

from neaspec_kg.cli import main
from neaspec_kg.export import FORMATS, export
from neaspec_kg.store import OxigraphStore


def test_stats_counts_per_class(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["stats", "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    counts = {line.split(",")[0]: int(line.rsplit(",", 1)[1]) for line in lines[1:]}
    nk = "https://w3id.org/neaspec-kg/ontology#"
    assert counts[nk + "SubregionalMechanism"] == 8
    assert counts[nk + "PlannedActivity"] == 22
    assert counts[nk + "ProgrammeArea"] == 5


def test_query_from_file_stdin_and_by_name(tmp_path, capsys, monkeypatch) -> None:
    f = tmp_path / "q.rq"
    f.write_text("SELECT ?acr WHERE { mech:ltp nk:acronym ?acr }")  # our prefixes are predeclared
    assert main(["query", str(f), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["results"]["bindings"] == [{"acr": {"type": "literal", "value": "LTP"}}]

    monkeypatch.setattr(sys, "stdin", io.StringIO("ASK { mech:yslme org:hasUnit ?x }"))
    assert main(["query", "-"]) == 0
    assert capsys.readouterr().out.strip() in {"true", "false"}

    assert main(["query", "mechanism-members", "-p", "mechanism=temm", "--format", "csv"]) == 0
    out = capsys.readouterr().out
    assert {line.split(",")[1] for line in out.splitlines()[1:]} == {"CHN", "JPN", "KOR"}


def test_construct_prints_turtle(tmp_path, capsys) -> None:
    f = tmp_path / "c.rq"
    f.write_text("CONSTRUCT { mech:ltp nk:acronym ?a } WHERE { mech:ltp nk:acronym ?a }")
    assert main(["query", str(f)]) == 0
    g = rdflib.Graph().parse(data=capsys.readouterr().out, format="turtle")
    assert len(g) == 1


def test_bad_query_is_a_clear_error(tmp_path, capsys) -> None:
    f = tmp_path / "bad.rq"
    f.write_text("SELECT ?x WHERE { ?x ?y }")
    assert main(["query", str(f)]) == 1
    err = capsys.readouterr().err
    assert "syntax error" in err.lower() and "Traceback" not in err
    assert main(["query", "no-such-query-or-file"]) == 2


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_export_round_trips(store: OxigraphStore, fmt: str) -> None:
    data = export(store, fmt)
    distinct = store.select("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")[0]["n"].to_python()
    if fmt == "trig":
        ds = rdflib.Dataset()
        ds.parse(data=data, format="trig")
        graphs = {str(g.identifier) for g in ds.graphs() if len(g)}
        assert "https://w3id.org/neaspec-kg/id/source/neaspec-nfp2-1-table-2" in graphs
        assert len({(s, p, o) for s, p, o, _ in ds.quads()}) == distinct
    else:
        g = rdflib.Graph().parse(data=data, format=FORMATS[fmt][0])
        assert len(g) == distinct


def test_cli_export_to_file(tmp_path, capsys) -> None:
    out = tmp_path / "g.nt"
    assert main(["export", "--format", "n-triples", "-o", str(out)]) == 0
    assert len(rdflib.Graph().parse(out, format="nt")) > 3000


def test_csv_tables_and_graphml(store: OxigraphStore, tmp_path) -> None:
    import csv as csvlib

    import networkx as nx

    from neaspec_kg.export import export_table

    members = list(csvlib.DictReader(io.StringIO(export_table(store, "members.csv").decode())))
    eanet = {r["iso3"] for r in members if r["acronym"] == "EANET" and r["role"] == "member"}
    assert len(eanet) == 13
    focus = list(csvlib.DictReader(io.StringIO(export_table(store, "focus-areas.csv").decode())))
    assert {r["focus_label"] for r in focus if r["acronym"] == "EANET"} == {"Acid deposition"}
    assert all(r["sources"] for r in focus)
    pairs = list(csvlib.DictReader(io.StringIO(export_table(store, "duplication.csv").decode())))
    # every pair of Table 2 mechanisms that meets on a focus or that the note judges, ranked: the note's own
    # duplication concern (NEASPEC and DLDD-NEAN) first, with the words of the note in the explanation
    from neaspec_kg.analysis import Analyst
    total = Analyst(store).duplication(limit=None).total
    assert total is not None, "a full ranking counts its pairs"
    assert len(pairs) == total >= 8
    assert {pairs[0]["mechanism_a"], pairs[0]["mechanism_b"]} == {"dldd-nean", "neaspec"}
    assert pairs[0]["level"] == "flagged" and "eliminate duplication" in pairs[0]["explanation"]
    path = tmp_path / "g.graphml"
    path.write_bytes(export_table(store, "graphml"))
    g = nx.read_graphml(path)
    kinds = {d["kind"] for _, d in g.nodes(data=True)}
    assert kinds == {"mechanism", "country", "focus"}
    assert sum(1 for _, d in g.nodes(data=True) if d["kind"] == "mechanism") == 8
    assert any("weight" in d for _, _, d in g.edges(data=True))


def test_cli_helps_a_new_user(capsys: pytest.CaptureFixture[str]) -> None:
    import socket

    with pytest.raises(SystemExit):
        main(["--version"])
    assert capsys.readouterr().out.startswith("neaspec-kg ")
    assert main(["mechanism", "eanat"]) == 1
    assert "closest ids: eanet" in capsys.readouterr().err
    assert main(["country", "Mongolia"]) == 0
    assert "Mongolia takes part in" in capsys.readouterr().out
    assert main(["overlap", "plastic"]) == 1
    assert "neaspec-kg focus-areas" in capsys.readouterr().err
    assert main(["focus-areas"]) == 0 and "Desertification (desertification)" in capsys.readouterr().out
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        assert main(["serve", "--port", str(busy.getsockname()[1])]) == 2
    assert "--port" in capsys.readouterr().err


def _run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *argv: str) -> str:
    monkeypatch.setenv("COLUMNS", "100")
    assert main(list(argv)) == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("argv", [("mechanism", "eanet"), ("mechanism", "neaspec"), ("country", "Mongolia"),
                                  ("overlap", "air quality"), ("overlap", "desertification", "--include-related")])
def test_cli_tables_read_well_at_100_columns(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                                            argv: tuple[str, ...]) -> None:
    """Every line fits 100 columns (CJK measured by display width), no cell ends in an ellipsis, headers are
    words, and every [n] cited in a table is in the numbered source list. That nothing is cut (every column,
    header and cell of the --wide output shown) is tests/test_cli_tables.py."""
    from rich.cells import cell_len

    out = _run(capsys, monkeypatch, *argv)
    assert all(cell_len(line) <= 100 for line in out.splitlines()), max(out.splitlines(), key=cell_len)
    assert "…" not in out and "propertyLabel" not in out and "roleLabel" not in out
    sources = out[out.rindex("Sources\n"):]
    listed = {int(m) for m in re.findall(r"^(\d+) ", sources, re.M)}
    cited = {int(n) for cell in re.findall(r"\s(\d+(?:,\d+)*)\s*$", out[:out.rindex("Sources\n")], re.M)
             for n in cell.split(",")} - set(range(1900, 2100))  # a year that ends a row is not a citation
    assert listed == set(range(1, len(listed) + 1)) and cited <= listed


def test_mechanism_shows_the_profile_and_the_other_party(capsys: pytest.CaptureFixture[str],
                                                         monkeypatch: pytest.MonkeyPatch, store: OxigraphStore) -> None:
    """The CLI shows what /mechanisms/{id} gives (the same profile), and an engagement's other party, never the
    mechanism itself (EANET was shown as its own partner)."""
    from neaspec_kg.analysis import Analyst
    from neaspec_kg.analysis.profiles import Profiles

    a = Analyst(store)
    profile = Profiles(store, a.sources, a.focus).mechanism("eanet")
    out = _run(capsys, monkeypatch, "mechanism", "eanet", "--wide")
    for c in profile.members:
        assert f"{c.label} ({c.id})" in out
    engagements = out[out.index("Engagements with other mechanisms"):out.index("\nSources\n")]
    rows = [line for line in engagements.splitlines()[3:] if line.strip()]
    assert len(rows) == len(profile.engagements) > 0, "--wide: one line per row"
    assert all(not row.startswith("EANET") for row in rows) and all(row.startswith("NEASPEC") for row in rows)
    assert json.loads(_run(capsys, monkeypatch, "mechanism", "eanet", "--format", "json")) == \
        profile.model_dump(mode="json")
