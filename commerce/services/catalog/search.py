"""Shop search: which products a query finds, in what order, and what to offer instead.

The documents are Wagtail's (`Product.search_fields`, kept current by Wagtail's index
signals and `services.search_index`); on PostgreSQL this module queries them itself,
through the products' `index_entries` relation, because Wagtail's backend ranks every
match before it limits (a word in every description ranked all 100,000 products: up to
700 ms) and has no prefix or plural rules for plain search. Other databases (SQLite in
`make run`) get Wagtail's own `.search()` and no "did you mean".

Finding rules, each in one function below:
- words: letters and digits only (`query_words`), at most MAX_WORDS, each at most
  MAX_WORD_LENGTH; punctuation never reaches `to_tsquery`.
- plural and singular: the English stemmer matches regular forms ("kettle", "kettles");
  `word_forms` adds the irregular ones it does not ("scarf" / "scarves", "knife" /
  "knives", "berry" / "berries").
- the last word is a prefix ("kett" finds kettles), as shoppers type.
- every word must match (AND), in the name, descriptions or category names (the
  product's category and its parents: `Product.search_category_names`).
- order: products whose name has every word first (the document's unstemmed
  `autocomplete` vector, which holds the name alone), ranked, then the products
  matching only through their descriptions or categories, in index order, without
  ranking, so a word in every description stops at the LIMIT instead of ranking the
  whole catalog.
"""

from __future__ import annotations

import hashlib
import re

from django.conf import settings
from django.core.cache import cache
from django.db import connection

from commerce.models import Category, Product
from commerce.models.catalog import ProductStatus
from commerce.services.catalog.listing import variant_code_hits
from commerce.services.catalog_version import catalog_version

SEARCH_RESULT_LIMIT = 500  # more hits than anyone pages through; keeps search bounded
MAX_QUERY_LENGTH = 100  # the search form's own limit
MAX_WORDS = 8
MAX_WORD_LENGTH = 40
TEXT_SEARCH_CONFIG = "english"  # the stemmer the documents are written with
SUGGEST_PRODUCTS = 6
SUGGEST_CATEGORIES = 4
SUGGEST_MIN_LENGTH = 2
# Trigram similarity a correction needs ("scarvs" / "scarves" is 0.5, "kettel" / "kettle" 0.4).
DID_YOU_MEAN_SIMILARITY = 0.3
# How much of a misspelled word a name must share for the trigram index to offer it (`<%`;
# pg_trgm's default 0.6 misses "bakcpack" / "urban backpack 3", 0.42).
NAME_WORD_SIMILARITY = 0.4

WORD = re.compile(r"[^\W_]+")


def is_postgresql() -> bool:
    return connection.vendor == "postgresql"


def query_words(query: str | None) -> list[str]:
    """The query's words, lower case: runs of letters and digits ("AB-12/x" is "ab",
    "12", "x"), the first MAX_WORDS of them, none longer than MAX_WORD_LENGTH."""
    words = WORD.findall((query or "")[:MAX_QUERY_LENGTH].lower())
    return [w[:MAX_WORD_LENGTH] for w in words][:MAX_WORDS]


def normalised_query(query: str | None) -> str:
    return " ".join(query_words(query))


def word_forms(word: str) -> list[str]:
    """The word and its other number where the English stemmer does not join them
    ("scarf" stems to "scarf", "scarves" to "scarv"). Regular plurals need nothing:
    "kettles" and "kettle" both stem to "kettl"."""
    forms = [word]
    if len(word) < 3 or word.isdigit():
        return forms
    if word.endswith("ves"):
        forms += [word[:-3] + "f", word[:-3] + "fe"]  # scarves, knives, shelves
    elif word.endswith("ies") and len(word) > 4:
        forms.append(word[:-3] + "y")  # berries
    elif word.endswith("fe"):
        forms.append(word[:-2] + "ves")  # knife
    elif word.endswith("f") and not word.endswith("ff"):
        forms.append(word[:-1] + "ves")  # scarf, shelf
    elif word.endswith("y") and word[-2] not in "aeiou":
        forms.append(word[:-1] + "ies")  # berry
    return forms


def unstemmed_forms(word: str) -> list[str]:
    """`word_forms` plus the regular plural and singular, for the unstemmed names."""
    forms = word_forms(word)
    if len(word) < 3 or word.isdigit():
        return forms
    if word.endswith("es"):
        forms += [word[:-2], word[:-1]]
    elif word.endswith("s") and not word.endswith("ss"):
        forms.append(word[:-1])
    else:
        forms += [word + "s", word + "es"]
    return list(dict.fromkeys(forms))


def tsquery_text(words: list[str], weight: str = "", *, stemmed: bool = True) -> str:
    """The raw `to_tsquery` text: every word (any of its forms), the last as a prefix,
    each only in text of `weight` when given; `stemmed=False` for the unstemmed names
    (regular plurals spelled out). Words are letters and digits only, so nothing here
    is tsquery syntax."""
    forms_of = word_forms if stemmed else unstemmed_forms
    groups = []
    for position, word in enumerate(words):
        label = ("*" if position == len(words) - 1 else "") + weight
        suffix = f":{label}" if label else ""
        groups.append("(" + " | ".join(f"{form}{suffix}" for form in forms_of(word)) + ")")
    return " & ".join(groups)


# Name matches ranked: at most RANK_CANDIDATES of them are ranked (a LIMIT before the
# ranking), so a word in a tenth of 100,000 names ranks 2,000 small documents, not 10,000.
RANK_CANDIDATES = 2000

# The name is the document's `autocomplete` vector (`AutocompleteField("name")`, written
# with the unstemmed "simple" configuration): a small vector with its own GIN index. A
# weight label on `body` instead made the index return every document with the word
# anywhere, each rechecked: a word in every description read the whole catalog.
NAME_MATCHES_SQL = """
SELECT object_id FROM (
    SELECT object_id, autocomplete FROM {table}
    WHERE content_type_id = (
        SELECT id FROM django_content_type WHERE app_label = %(app)s AND model = %(model)s
    )
    AND autocomplete @@ to_tsquery('simple', %(names)s)
    AND EXISTS (
        SELECT 1 FROM commerce_product p
        WHERE p.id = object_id::integer AND p.live AND p.status = ANY(%(statuses)s)
    )
    LIMIT %(candidates)s
) candidates
ORDER BY ts_rank(autocomplete, to_tsquery('simple', %(names)s)) DESC,
    length(object_id), object_id
LIMIT %(limit)s
"""

# The rest, unranked: the (title || body) GIN index (migration 0006) finds them, the LIMIT
# ends the scan, and the name matches (all of them: there were fewer than the limit) are
# left out by the same query that found them.
DOCUMENT_MATCHES_SQL = """
SELECT object_id FROM {table}
WHERE content_type_id = (
        SELECT id FROM django_content_type WHERE app_label = %(app)s AND model = %(model)s
    )
    AND (title || body) @@ to_tsquery(%(config)s, %(words)s)
    AND NOT autocomplete @@ to_tsquery('simple', %(names)s)
    AND EXISTS (
        SELECT 1 FROM commerce_product p
        WHERE p.id = object_id::integer AND p.live AND p.status = ANY(%(statuses)s)
    )
LIMIT %(limit)s
"""


def index_entry_ids(sql: str, **params) -> list[int]:
    """Product ids from Wagtail's index entries (its `IndexEntry` model's table), alone:
    a join to the products there made PostgreSQL hash the whole catalog per search."""
    from wagtail.search.models import IndexEntry

    params = {
        # The products' content type inside the statement: no query of its own.
        "app": Product._meta.app_label,
        "model": Product._meta.model_name,
        "config": TEXT_SEARCH_CONFIG,
        # Product.objects.visible()'s rule, in the statement (a primary-key probe a row).
        "statuses": [ProductStatus.ACTIVE.value, ProductStatus.DISABLED.value],
        **params,
    }
    with connection.cursor() as cursor:
        cursor.execute(sql.format(table=IndexEntry._meta.db_table), params)
        return [int(row[0]) for row in cursor.fetchall()]


def only_visible(ids: list[int]) -> list[int]:
    """`ids` in their order, without the products shoppers may not see (one pk lookup)."""
    visible = set(Product.objects.visible().filter(pk__in=ids).values_list("pk", flat=True))
    return [pk for pk in ids if pk in visible]


def name_match_candidates(words: list[str], limit: int) -> list[int]:
    """Products (visible or not) whose name has every word, best first. Products have no
    "title" field, so their whole document is the index entry's `body`; the name is the
    text with the name's weight label."""
    names = tsquery_text(words, stemmed=False)
    return index_entry_ids(NAME_MATCHES_SQL, names=names, candidates=RANK_CANDIDATES, limit=limit)


def document_match_candidates(words: list[str], limit: int) -> list[int]:
    """Products (visible or not) whose whole document, not their name, has every word,
    unranked."""
    return index_entry_ids(
        DOCUMENT_MATCHES_SQL,
        words=tsquery_text(words),
        names=tsquery_text(words, stemmed=False),
        limit=limit,
    )


def text_matches(query: str, limit: int = SEARCH_RESULT_LIMIT) -> list[int]:
    """Ids of visible products the words find, most relevant first (at most `limit`)."""
    words = query_words(query)
    if not words:
        return []
    if not is_postgresql():
        results = Product.objects.visible().only("pk").search(" ".join(words))
        return [p.pk for p in results[:limit]]
    # Both statements keep to visible products themselves (2 queries in all).
    by_name = name_match_candidates(words, limit)
    rest = document_match_candidates(words, limit - len(by_name)) if len(by_name) < limit else []
    return by_name + rest


def search_product_ids(query: str) -> tuple[list[int], dict[int, str]]:
    """Ids of visible products matching the query, most relevant first, and the
    variants found by their code ({product id: SKU}, see `variant_code_hits`).

    A variant whose SKU or EAN is the whole query comes first (codes are not in the
    documents: "SKU-00012-3" split into words would find every code with a 3), then
    `text_matches`."""
    code_hits = variant_code_hits(query)
    ranked = list(code_hits)
    ranked += [pk for pk in text_matches(query) if pk not in code_hits]
    return ranked[:SEARCH_RESULT_LIMIT], code_hits


# --- Did you mean -----------------------------------------------------------------------------

# The closest word to a misspelled one among the names of visible products and categories:
# the trigram index on lower(name) (migration 0026_search_trigram) finds names with a word
# like it (`<%`), then the words of the closest few are compared one by one.
CLOSEST_WORD_SQL = """
WITH names AS (
    (SELECT lower(name) AS name FROM commerce_product
     WHERE live AND status = ANY(%(statuses)s) AND %(word)s <%% lower(name)
     ORDER BY %(word)s <<-> lower(name) LIMIT 20)
    UNION ALL
    (SELECT lower(name) FROM commerce_category
     WHERE is_active AND %(word)s <%% lower(name)
     ORDER BY %(word)s <<-> lower(name) LIMIT 5)
), words AS (
    SELECT DISTINCT regexp_split_to_table(name, '[^[:alnum:]]+') AS word FROM names
)
SELECT word FROM words
WHERE length(word) >= 3 AND similarity(word, %(word)s) >= %(threshold)s
ORDER BY similarity(word, %(word)s) DESC, word
LIMIT 1
"""


def closest_word(word: str) -> str | None:
    from commerce.models.catalog import ProductStatus

    with connection.cursor() as cursor:
        cursor.execute(
            CLOSEST_WORD_SQL,
            {
                "word": word,
                "statuses": [ProductStatus.ACTIVE, ProductStatus.DISABLED],
                "threshold": DID_YOU_MEAN_SIMILARITY,
            },
        )
        row = cursor.fetchone()
    return row[0] if row else None


def known_words(words: list[str]) -> set[str]:
    """The words some product's document has (one query, an index probe per word): only
    the others are corrected, so "nordic wool jumper" compares one word with the names,
    not three."""
    from django.contrib.contenttypes.models import ContentType
    from wagtail.search.models import IndexEntry

    table = IndexEntry._meta.db_table
    # The table name is the model's; every value is a parameter.
    probes = " UNION ALL ".join(
        f"(SELECT %s::text FROM {table} WHERE content_type_id = %s"  # noqa: S608
        f" AND body @@ to_tsquery(%s, %s) LIMIT 1)"
        for _ in words
    )
    params = []
    type_id = ContentType.objects.get_for_model(Product).pk
    for word in words:
        params += [word, type_id, TEXT_SEARCH_CONFIG, tsquery_text([word]).replace(":*", "")]
    with connection.cursor() as cursor:
        cursor.execute(probes, params)
        return {row[0] for row in cursor.fetchall()}


def did_you_mean(query: str) -> str | None:
    """A corrected query when some words look misspelled, else None. One query for the
    threshold, one per word of three letters or more (at most four words) and one to
    check the correction finds something; None on databases without pg_trgm."""
    words = query_words(query)[:4]
    if not words or not is_postgresql():
        return None
    with connection.cursor() as cursor:
        # The threshold of `<%` is a setting; this session's other queries do not use it.
        cursor.execute(
            "SELECT set_config('pg_trgm.word_similarity_threshold', %s, false)",
            [str(NAME_WORD_SIMILARITY)],
        )
    known = known_words(words)
    corrected = []
    for word in words:
        unknown = word not in known and len(word) >= 3 and not word.isdigit()
        corrected.append((closest_word(word) if unknown else None) or word)
    if corrected == words:
        return None
    suggestion = " ".join(corrected)
    return suggestion if text_matches(suggestion, limit=1) else None


# --- Suggestions as you type ------------------------------------------------------------------


def suggestion_cache_key(version: int, query: str) -> str:
    digest = hashlib.sha256(query.encode()).hexdigest()[:32]
    return f"storefront:suggest:{version}:{digest}"


def suggestions(query: str, *, product_url, category_url) -> dict:
    """{"query", "products": [{"name", "url"}], "categories": [{"name", "url"}]} for the
    header's search box, cached per catalog version and normalised query: a product or
    category that changes bumps the version. On a miss: the version, the name matches,
    the visible ones among them with their rows, the categories (4 queries)."""
    normalised = normalised_query(query)
    empty = {"query": normalised, "products": [], "categories": []}
    if len(normalised) < SUGGEST_MIN_LENGTH:
        return empty
    seconds = settings.STOREFRONT_PAGE_CACHE_SECONDS
    key = suggestion_cache_key(catalog_version(), normalised) if seconds > 0 else None
    if key is not None:
        found = cache.get(key)
        if found is not None:
            return found
    ids = suggested_product_ids(normalised)
    shown = Product.objects.visible().filter(pk__in=ids).only("pk", "name", "slug")
    by_id = {p.pk: p for p in shown}
    products = [
        {"name": by_id[pk].name, "url": product_url(by_id[pk])} for pk in ids if pk in by_id
    ][:SUGGEST_PRODUCTS]
    categories = [
        {"name": c.name, "url": category_url(c)}
        for c in category_matches(normalised)[:SUGGEST_CATEGORIES]
    ]
    found = {"query": normalised, "products": products, "categories": categories}
    if key is not None:
        cache.set(key, found, seconds)
    return found


def suggested_product_ids(normalised: str) -> list[int]:
    """The products to suggest, hidden ones not yet dropped: the ones whose name has every
    word (the last a prefix), best first; a product found only through its description
    is no suggestion."""
    if not is_postgresql():
        return text_matches(normalised, limit=SUGGEST_PRODUCTS)
    return name_match_candidates(query_words(normalised), 2 * SUGGEST_PRODUCTS)


def category_matches(normalised: str) -> list[Category]:
    """Storefront categories with a word starting with each query word (a few dozen rows:
    filtered in Python, so the rule is the same on every database)."""
    words = normalised.split()
    found = []
    for category in Category.objects.on_storefront().only("pk", "name", "slug", "slug_path"):
        name_words = query_words(category.name)
        if all(any(n.startswith(w) for n in name_words) for w in words):
            found.append(category)
    return found
