"""results.json has a JSON Schema generated from its types (dcnn/results/types.py), shipped as
docs/results.schema.json: it is the one the code generates, every built results.json validates
against it, and every comparison has the same fields wherever it appears."""
import json

import jsonschema

from conftest import ROOT, load_results
from dcnn.results.types import Results, schema

SHIPPED = ROOT / "docs" / "results.schema.json"


def validate(results: dict) -> None:
    jsonschema.validate(results, json.loads(SHIPPED.read_text()), cls=jsonschema.Draft202012Validator)


def comparisons(results: dict) -> list[tuple[str, dict]]:
    """Every comparison in a results.json, with where it is."""
    out = [(f"/comparisons/{i}", c) for i, c in enumerate(results["comparisons"])]
    for i, claim in enumerate(results["claims"]):
        out += [(f"/claims/{i}/{k}", claim[k]) for k in ("comparison", "deciding") if claim[k] is not None]
        out += [(f"/claims/{i}/comparisons/{j}", c) for j, c in enumerate(claim["comparisons"])]
    for i, sw in enumerate(results["sweeps"]):
        out += [(f"/sweeps/{i}/comparisons_to_baseline/{j}", c) for j, c in enumerate(sw["comparisons_to_baseline"])]
    return out


def test_the_shipped_schema_is_the_one_the_types_generate():
    shipped, generated = json.loads(SHIPPED.read_text()), json.loads(json.dumps(schema()))
    stale = sorted(k for k in set(shipped["$defs"]) | set(generated["$defs"])
                   if shipped["$defs"].get(k) != generated["$defs"].get(k))
    assert shipped == generated, f"docs/results.schema.json is stale ({stale or 'top level'}): " \
                                 "python -m dcnn.results.types > docs/results.schema.json"


def test_the_shipped_studys_results_validate_and_every_comparison_has_the_same_fields(paper_shaped):
    results = load_results(paper_shaped[1])
    validate(results)
    found = comparisons(results)
    fields = {frozenset(c) for _, c in found}
    assert len(fields) == 1, fields
    assert {"ci_low", "ci_high", "hedges_g", "mde", "needed_seeds"} <= next(iter(fields))
    rank = [c for where, c in found if "/comparisons/" in where and where.startswith("/claims/")]
    assert rank and any(c["ci_low"] is not None and c["hedges_g"] is not None for c in rank)  # a best/worst claim's own


def test_a_results_json_with_a_field_too_many_or_a_wrong_type_does_not_validate(paper_shaped):
    results = load_results(paper_shaped[1])
    bad = json.loads(json.dumps(results))
    bad["runs"][0]["metrics"]["best_val_los"] = 0.1
    try:
        validate(bad)
    except jsonschema.ValidationError as exc:
        assert "best_val_los" in str(exc)
    else:
        raise AssertionError("a misspelt field validated")
    bad = json.loads(json.dumps(results))
    bad["groups"][0]["n_seeds"] = "three"
    try:
        Results.model_validate(bad)
    except Exception as exc:  # noqa: BLE001 (pydantic's ValidationError)
        assert "n_seeds" in str(exc)
    else:
        raise AssertionError("a string for a count validated")
