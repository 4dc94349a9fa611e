"""What shoppers see of the catalog, one module per seam.

- `listing_query`: a listing's GET parameters (the filter form, ListingQuery).
- `listing`: which products a catalog, category or search page lists, their
  facets and one page of them; the tiles product sections show.
- `product_page`: the product page's product and context.
- `structured_data`: schema.org JSON-LD of a product.

Category visibility is not here: it is `Category.objects.on_storefront()`.
"""
