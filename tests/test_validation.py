"""Bad data is refused with a message that names the file, the line and the problem."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from neaspec_kg.build import build
from neaspec_kg.cli import main
from neaspec_kg.config import Paths
from neaspec_kg.errors import DataSyntaxError, ProvenanceError, ValidationError


def test_real_data_is_valid(validated) -> None:
    assert len(validated.quads) > 3000
    assert "https://w3id.org/neaspec-kg/id/source/neaspec-nfp2-1-table-2" in validated.graph_names


def test_syntax_error_names_file_line_and_column(data_copy: Paths) -> None:
    target = data_copy.data_dir / "mechanisms" / "ltp.trig"
    lines = target.read_text(encoding="utf-8").splitlines()
    broken_at = next(i for i, line in enumerate(lines) if "nk:statedGovernance" in line)
    lines[broken_at] = lines[broken_at].replace('"', "", 1)  # an unbalanced quote
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(DataSyntaxError) as info:
        build(data_copy, use_cache=False)
    err = info.value
    assert err.location.file == target
    assert err.location.line is not None and abs(err.location.line - (broken_at + 1)) <= 1
    assert str(target) in str(err)


def test_mechanism_without_members_fails_with_a_precise_message(data_copy: Paths) -> None:
    for f in data_copy.data_files():
        text = f.read_text(encoding="utf-8")
        # drop every membership statement of EANET, wherever it is stated
        text = re.sub(r"org:organization\s+mech:eanet\b", "org:organization mech:temm", text)
        f.write_text(text, encoding="utf-8")
    with pytest.raises(ValidationError) as info:
        build(data_copy, use_cache=False)
    eanet = [v for v in info.value.violations if v.focus_node.endswith("/mechanism/eanet")]
    assert eanet, info.value
    assert any("at least one member" in v.message for v in eanet)
    assert any(loc.file.name == "eanet.trig" and loc.line for v in eanet for loc in v.locations)


def test_fact_outside_a_source_graph_is_refused(data_copy: Paths) -> None:
    extra = data_copy.data_dir / "zz-unsourced.trig"
    extra.write_text("<https://w3id.org/neaspec-kg/id/mechanism/x> a "
                     "<https://w3id.org/neaspec-kg/ontology#Mechanism> .\n", encoding="utf-8")
    with pytest.raises(ProvenanceError, match="outside any GRAPH"):
        build(data_copy, use_cache=False)


def test_graph_that_is_not_a_catalogued_source_is_refused(data_copy: Paths) -> None:
    extra = data_copy.data_dir / "zz-uncatalogued.trig"
    extra.write_text("<https://example.org/made-up-source> {\n"
                     "  <https://w3id.org/neaspec-kg/id/country/KOR> "
                     "<http://www.w3.org/2000/01/rdf-schema#comment> \"x\" .\n"
                     "}\n", encoding="utf-8")
    with pytest.raises(ProvenanceError, match="not a catalogued source") as info:
        build(data_copy, use_cache=False)
    assert info.value.location.line == 1


def test_dangling_reference_is_reported(data_copy: Paths) -> None:
    target = data_copy.data_dir / "mechanisms" / "ltp.trig"
    text = target.read_text(encoding="utf-8").replace("kind:joint-research-project", "kind:joint-reserch-project", 1)
    target.write_text(text, encoding="utf-8")
    with pytest.raises(ValidationError, match="joint-reserch-project"):
        build(data_copy, use_cache=False)


def test_cli_validate_exit_codes_and_messages(data_copy: Paths, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--ontology-dir", str(data_copy.ontology_dir), "--data-dir", str(data_copy.data_dir), "--no-cache"]
    assert main([*args, "validate"]) == 0
    assert "valid:" in capsys.readouterr().out
    target = data_copy.data_dir / "countries.trig"
    target.write_text(target.read_text(encoding="utf-8") + "\nsrc:catalogue { this is not trig }\n", encoding="utf-8")
    assert main([*args, "validate"]) == 1
    err = capsys.readouterr().err
    assert re.search(re.escape(str(target)) + r":\d+", err), err


def test_only_valid_builds_are_cached(data_copy: Paths, tmp_path: Path, monkeypatch) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv("NEASPEC_KG_CACHE", str(cache))
    first = build(data_copy)
    assert [p.name for p in cache.glob("*.oxigraph")] == [f"{first.digest}.oxigraph"]  # the store is the cache
    assert len(build(data_copy).quads) == len(first.quads)  # served from the cache, same content
    target = data_copy.data_dir / "mechanisms" / "ltp.trig"
    target.write_text(target.read_text(encoding="utf-8").replace("role:member", "role:nobody"), encoding="utf-8")
    with pytest.raises(ValidationError):
        build(data_copy)
    assert len(list(cache.glob("*.oxigraph"))) == 1


def test_both_shacl_engines_report_the_same_violations(validated) -> None:
    """pyshacl-turbo (the default, fast) and pySHACL (the reference) find the same violations, word for word."""
    import pyoxigraph as ox

    from neaspec_kg.config import default_paths
    from neaspec_kg.namespaces import ID, NK
    from neaspec_kg.validation import run_shacl

    g = ox.NamedNode(ID + "source/neaspec-nfp2-1-table-2")
    rdf_type = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    eanet = ox.NamedNode(ID + "mechanism/eanet")
    broken = [q for q in validated.quads
              if not (q.predicate.value == "http://www.w3.org/ns/org#organization" and q.object == eanet)]
    broken += [
        ox.Quad(ox.NamedNode(ID + "work/broken"), rdf_type, ox.NamedNode(NK + "WorkArea"), g),
        ox.Quad(ox.NamedNode(ID + "proposal/broken"), rdf_type, ox.NamedNode(NK + "Proposal"), g),
        ox.Quad(ox.NamedNode(ID + "proposal/broken"), ox.NamedNode(NK + "through"),
                ox.NamedNode(ID + "platform/neacap"), g),
        ox.Quad(ox.NamedNode(ID + "judgement/broken"), rdf_type, ox.NamedNode(NK + "Judgement"), g),
        ox.Quad(ox.NamedNode(ID + "membership/broken"), ox.NamedNode(NK + "since"), ox.Literal("sometime"), g),
        ox.Quad(ox.NamedNode(ID + "membership/broken"), rdf_type, ox.NamedNode(NK + "Membership"), g),
    ]
    shapes = default_paths().shapes
    turbo = run_shacl(broken, shapes, engine="turbo")
    reference = run_shacl(broken, shapes, engine="pyshacl")
    assert len(reference) >= 8
    assert [(v.focus_node, v.path, v.message, v.severity, v.value) for v in turbo] == \
        [(v.focus_node, v.path, v.message, v.severity, v.value) for v in reference]
