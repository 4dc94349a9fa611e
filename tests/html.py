"""Reading the HTML the shop answers with, the way the assertions need it."""

from bs4 import BeautifulSoup


def soup_of(response):
    """The parsed page of a 200 answer."""
    assert response.status_code == 200
    return BeautifulSoup(response.content, "html.parser")


def variant_links_in_main(page: str) -> set[str]:
    """The distinct links to a variant (`?variant=`) in the page's <main>: the header's
    mini-cart repeats the cart's links, and a line links from its picture and its name."""
    main = BeautifulSoup(page, "html.parser").find("main")
    return {a["href"] for a in main.select("a[href*='?variant=']")}
