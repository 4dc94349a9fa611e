"""The project's URLs plus `/bench/baseline/`: a page of 24 fake product tiles.

The baseline goes through the same middleware, template engine and context processors as
the shop but runs no database queries, so its throughput is the ceiling that the catalog
pages are compared with.
"""

from django.shortcuts import render
from django.urls import include, path

TILES = [
    {
        "name": f"Classic backpack {n}",
        "url": f"/shop/p/classic-backpack-{n}/",
        "image": f"/media/images/demo-product-{n % 12 + 1}.2e16d0ba",
        "attributes": [("Colour", "Grey"), ("Size", "XL")],
        "price": f"{40 + n * 1.37:.2f}",
        "in_stock": n % 5 != 0,
    }
    for n in range(1, 25)
]


def baseline(request):
    return render(request, "bench/baseline.html", {"tiles": TILES})


urlpatterns = [
    path("bench/baseline/", baseline, name="bench_baseline"),
    path("", include("storefront.urls")),
]
