"""Snippet highlights mark the query's words as whole words, never letters inside other words."""

from __future__ import annotations

from semantik.webui.searching import make_snippet, query_terms

BEES_QUERY = "how do bees tell each other where the flowers are"


def marked(snippet) -> list[str]:
    return [snippet.text[a:b] for a, b in snippet.highlights]


def test_short_words_and_stopwords_are_not_terms():
    assert sorted(query_terms(BEES_QUERY)) == ["bees", "flowers", "tell"]
    assert query_terms("is it an ox?") == []  # all under three characters


def test_only_whole_words_are_marked_ignoring_case():
    text = "Wait until it doubles, then fold the dough. BEES tell each other where Flowers are."
    snippet = make_snippet(text, query_terms(BEES_QUERY))
    assert marked(snippet) == ["BEES", "tell", "Flowers"]
    # A term inside a longer word is not a match: 'bee' is not marked in 'honeybees' or 'beer'.
    snippet = make_snippet("honeybees like beer; a bee is not a beetle", query_terms("bee"))
    assert marked(snippet) == ["bee"]


def test_plural_ending_is_allowed():
    snippet = make_snippet("one flower, two flowers, many boxes", query_terms("flower box"))
    assert marked(snippet) == ["flower", "flowers", "boxes"]


def test_unicode_word_boundaries():
    text = "Über die Straße, überall Straßenbahn; ÉCOLE"
    snippet = make_snippet(text, query_terms("über straße école"))
    assert marked(snippet) == ["Über", "Straße", "ÉCOLE"]


def test_offsets_point_into_a_shifted_window_and_skip_cut_words():
    text = "padding " * 60 + "the bees dance, bees fly" + " padding" * 60
    snippet = make_snippet(text, ["bees"], width=80)
    assert snippet.text.startswith("…") and snippet.text.endswith("…")
    assert marked(snippet) == ["bees", "bees"]
    # The window ends inside "beeswax", right after "bees": that is not the word "bees".
    text = "bees " + "q" * 30 + "-beeswax"
    cut = make_snippet(text, ["bees"], width=40)
    assert cut.text == text[:40] + "…"
    assert marked(cut) == ["bees"] and cut.highlights == [(0, 4)]
