"""Shop search (commerce/services/catalog/search.py): each finding rule at its edge, the
order, "Did you mean", and the suggestions endpoint (cache, bad input, hidden products)."""

import json

import pytest
from bs4 import BeautifulSoup

from commerce.models import ProductStatus
from commerce.services.catalog import search
from commerce.services.catalog.search import (
    did_you_mean,
    query_words,
    search_product_ids,
    text_matches,
    tsquery_text,
    word_forms,
)
from tests.factories.catalog import make_category, make_product

pytestmark = pytest.mark.django_db


def found(query):
    return set(search_product_ids(query)[0])


@pytest.fixture
def catalog(shop):
    kitchen = make_category("Kitchen")
    pans = make_category("Pans", parent=kitchen)
    knitwear = make_category("Knitwear")
    return {
        "kettle": make_product("Steel kettle", stock=1, main_category=pans),
        "pan": make_product("Steel pan", stock=1, main_category=pans),
        "scarves": make_product("Wool scarves", stock=1, main_category=knitwear),
        "knife": make_product("Chef knife", stock=1, main_category=pans),
        "hidden": make_product(
            "Secret kettle", stock=1, main_category=pans, status=ProductStatus.HIDDEN
        ),
        "kitchen": kitchen,
        "pans": pans,
        "knitwear": knitwear,
    }


# --- Words ------------------------------------------------------------------------------------


def test_words_are_letters_and_digits_only_and_bounded():
    assert query_words("  AB-12/x  kettle!  ") == ["ab", "12", "x", "kettle"]
    assert query_words("a " * 50) == ["a"] * search.MAX_WORDS
    assert query_words("x" * 300) == ["x" * search.MAX_WORD_LENGTH]
    assert query_words(None) == []
    assert query_words("&|!():*<->") == []


def test_irregular_plurals_and_singulars_are_added_regular_ones_left_to_the_stemmer():
    assert word_forms("scarf") == ["scarf", "scarves"]
    assert set(word_forms("scarves")) == {"scarves", "scarf", "scarfe"}
    assert word_forms("knife") == ["knife", "knives"]
    assert word_forms("berry") == ["berry", "berries"]
    assert word_forms("kettles") == ["kettles"]
    assert word_forms("day") == ["day"]  # a vowel before the y: "days", the stemmer's
    assert word_forms("cliff") == ["cliff"]
    assert word_forms("12") == ["12"]


def test_the_last_word_alone_is_a_prefix():
    assert tsquery_text(["steel", "kett"]) == "(steel) & (kett:*)"
    assert tsquery_text(["steel", "kett"], "B") == "(steel:B) & (kett:*B)"


# --- Finding ----------------------------------------------------------------------------------


def test_singular_finds_plural_and_plural_singular(catalog):
    assert found("scarf") == {catalog["scarves"].pk}
    assert found("scarves") == {catalog["scarves"].pk}
    assert found("knives") == {catalog["knife"].pk}
    assert found("kettles") == {catalog["kettle"].pk}


def test_the_last_word_matches_as_a_prefix_and_only_the_last(catalog):
    assert found("kett") == {catalog["kettle"].pk}
    assert found("steel kett") == {catalog["kettle"].pk}
    assert found("kett steel") == set()  # not the last word: a whole word
    assert found("k") >= {catalog["kettle"].pk, catalog["knife"].pk}


def test_every_word_must_match(catalog):
    assert found("steel kettle") == {catalog["kettle"].pk}
    assert found("steel wool") == set()


def test_parent_category_names_are_in_the_documents(catalog):
    in_kitchen = {catalog["kettle"].pk, catalog["pan"].pk, catalog["knife"].pk}
    assert found("kitchen") == in_kitchen
    assert found("pans") == in_kitchen
    assert found("kitchen kettle") == {catalog["kettle"].pk}


def test_renaming_or_moving_a_parent_category_reindexes_the_branch(
    catalog, django_capture_on_commit_callbacks
):
    in_kitchen = {catalog["kettle"].pk, catalog["pan"].pk, catalog["knife"].pk}
    with django_capture_on_commit_callbacks(execute=True):
        catalog["kitchen"].name = "Cookware"
        catalog["kitchen"].save()
    assert found("cookware") == in_kitchen
    assert found("kitchen") == set()
    with django_capture_on_commit_callbacks(execute=True):
        catalog["pans"].parent = catalog["knitwear"]
        catalog["pans"].save()
    assert found("knitwear") == in_kitchen | {catalog["scarves"].pk}
    assert found("cookware") == set()


def test_hidden_and_unpublished_products_are_never_found(catalog):
    assert catalog["hidden"].pk not in found("secret kettle")
    assert found("secret") == set()


def test_names_that_match_come_before_descriptions_that_do(shop):
    described = make_product("Mug", stock=1, short_description="Goes with a teapot")
    named = make_product("Teapot", stock=1)
    assert search_product_ids("teapot")[0] == [named.pk, described.pk]


def test_a_word_in_every_document_stops_at_the_limit(shop):
    products = [make_product(f"Item {n}", stock=1, short_description="Everyday") for n in range(5)]
    assert len(text_matches("everyday", limit=3)) == 3
    assert set(text_matches("everyday")) == {p.pk for p in products}


def test_punctuation_and_operators_never_break_the_search(catalog):
    for query in ["kettle & | !", "kettle:*", "(kettle", "<->", "'", "\\", ""]:
        search_product_ids(query)  # no error
    assert found("steel-kettle!") == {catalog["kettle"].pk}


def test_a_code_comes_first(shop):
    coded = make_product("Plain thing", stock=1, sku="KT-1234")
    named = make_product("KT 1234 holder", stock=1)
    ids, hits = search_product_ids("kt-1234")
    assert ids[0] == coded.pk and hits == {coded.pk: "KT-1234"}
    assert named.pk in ids


# --- Did you mean -----------------------------------------------------------------------------


def test_a_misspelling_gets_a_correction_that_finds_something(catalog):
    assert did_you_mean("kettel") == "kettle"
    assert did_you_mean("steel kettel") == "steel kettle"
    assert did_you_mean("kettle") is None  # nothing to correct
    assert did_you_mean("zzzzqqq") is None  # nothing like it


def test_a_swapped_pair_of_letters_is_corrected_too(shop):
    make_product("Urban backpack 3", stock=1)
    assert did_you_mean("bakcpack") == "backpack"


def test_corrections_never_come_from_hidden_products(shop):
    make_product("Secret teapot", stock=1, status=ProductStatus.HIDDEN)
    assert did_you_mean("secrett") is None


def test_the_search_page_links_the_correction(catalog, client, no_page_cache):
    response = client.get("/shop/search/", {"q": "kettel", "sort": "relevance"})
    assert response.status_code == 200
    link = BeautifulSoup(response.content, "html.parser").select_one("a.did-you-mean")
    assert link is not None and link.text == "kettle"
    assert link["href"].endswith("/shop/search/?q=kettle")
    assert client.get(link["href"]).status_code == 200


# --- Suggestions ------------------------------------------------------------------------------


def suggest(client, q, **extra):
    response = client.get("/shop/search/suggest/", {"q": q}, **extra)
    return response


def test_suggestions_name_products_and_categories_with_their_urls(catalog, client):
    response = suggest(client, "ket")
    assert response.status_code == 200
    data = json.loads(response.content)
    assert [p["name"] for p in data["products"]] == ["Steel kettle"]
    assert data["products"][0]["url"].endswith("/shop/p/" + catalog["kettle"].slug + "/")
    assert data["categories"] == []
    data = json.loads(suggest(client, "kitch").content)
    assert [c["name"] for c in data["categories"]] == ["Kitchen"]
    assert data["categories"][0]["url"].endswith("/shop/c/kitchen/")


def test_hidden_products_are_never_suggested(catalog, client):
    data = json.loads(suggest(client, "secret").content)
    assert data["products"] == []


def test_suggestions_are_cached_per_catalog_version_and_normalised_query(
    catalog, client, django_assert_max_num_queries
):
    def urls(product):
        return f"/p/{product.slug}/"

    with django_assert_max_num_queries(4):  # version, name matches, rows, categories
        first = search.suggestions("Steel  Kett", product_url=urls, category_url=urls)
    with django_assert_max_num_queries(1):  # the version only: the same answer
        again = search.suggestions("steel kett!", product_url=urls, category_url=urls)
    assert again == first and [p["name"] for p in first["products"]] == ["Steel kettle"]
    make_product("Steel kettle deluxe", stock=1)  # bumps the catalog version
    data = json.loads(suggest(client, "steel kett").content)
    assert sorted(p["name"] for p in data["products"]) == ["Steel kettle", "Steel kettle deluxe"]


def test_bad_input_is_a_4xx_or_an_empty_answer_never_a_500(catalog, client):
    assert suggest(client, "x" * 101).status_code == 400
    for q in ["", "k", "&|!", "' OR 1=1 --", "ü" * 100]:
        assert suggest(client, q).status_code == 200, q
    assert suggest(client, "\x00").status_code < 500
    assert json.loads(suggest(client, "").content)["products"] == []
    assert client.get("/shop/search/suggest/").status_code == 200
    assert client.get("/shop/search/suggest/?q=a&q=b").status_code == 200
