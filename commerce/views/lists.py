"""Shopping list pages: thin wrappers around services.shopping_lists; changes are POSTs."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from commerce.services import cart as carts
from commerce.services import shopping_lists as lists
from commerce.services.shopping_lists import ListError

from .cart import redirect_back
from .limits import limit_writes


@never_cache
def index(request):
    owner = lists.owner_for(request)
    context = {"lists": lists.lists_with_counts(owner)}
    return TemplateResponse(request, "commerce/lists/index.html", context)


@never_cache
def detail(request, list_id):
    owner = lists.owner_for(request)
    try:
        shopping_list = lists.own_list(owner, list_id)
    except ListError:
        raise Http404("No such list.") from None
    context = {
        "shopping_list": shopping_list,
        "items": lists.item_views(shopping_list, request),
        "other_lists": lists.lists_of(owner).exclude(pk=shopping_list.pk),
        "share_url": (
            request.build_absolute_uri(
                reverse("lists:shared", kwargs={"token": shopping_list.share_token})
            )
            if shopping_list.share_token
            else ""
        ),
    }
    return TemplateResponse(request, "commerce/lists/detail.html", context)


@require_POST
@limit_writes("list_writes")
def create(request):
    owner = lists.owner_for(request, create=True)
    try:
        shopping_list = lists.create_list(owner, request.POST.get("name", ""))
    except ListError as error:
        messages.error(request, str(error))
        return redirect("lists:index")
    messages.success(request, f"List “{shopping_list.name}” created.")
    return redirect("lists:detail", list_id=shopping_list.pk)


@require_POST
@limit_writes("list_writes")
def add(request):
    """From a product page or tile: a variant (or a product's only one) into a chosen list,
    the default one, or a new one (named in `new_name`); the message names both."""
    owner = lists.owner_for(request, create=True)
    target = request.POST.get("list", "")
    try:
        variant = lists.chosen_variant(request.POST.get("variant"), request.POST.get("product"))
        if target == "new":
            shopping_list = lists.create_list(owner, request.POST.get("new_name", ""))
        elif target:
            shopping_list = lists.own_list(owner, target)
        else:
            shopping_list = lists.default_list(owner)
        item = lists.add_item(
            shopping_list,
            variant,
            request.POST.get("quantity", "1"),
            request.POST.get("note", ""),
        )
    except ListError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"Saved {item.product_name} to “{shopping_list.name}”.")
    # Back where the shopper was (a tile's listing page, the product page), if on this site.
    return redirect_back(request, default="lists:index")


def _own_list_or_back(request, list_id):
    try:
        return lists.own_list(lists.owner_for(request), list_id)
    except ListError:
        raise Http404("No such list.") from None


@require_POST
@limit_writes("list_writes")
def change(request, list_id):
    """Rename, share, stop sharing, delete: one form action each."""
    shopping_list = _own_list_or_back(request, list_id)
    action = request.POST.get("action")
    try:
        if action == "rename":
            lists.rename_list(shopping_list, request.POST.get("name", ""))
            messages.success(request, "List renamed.")
        elif action == "share":
            lists.share(shopping_list)
            messages.success(request, "Anyone with the link can now see this list.")
        elif action == "stop_sharing":
            lists.stop_sharing(shopping_list)
            messages.success(request, "The list is private again; the old link no longer works.")
        elif action == "delete":
            lists.delete_list(shopping_list)
            messages.success(request, f"List “{shopping_list.name}” deleted.")
            return redirect("lists:index")
        else:
            messages.error(request, "Unknown action.")
    except ListError as error:
        messages.error(request, str(error))
    return redirect("lists:detail", list_id=shopping_list.pk)


@require_POST
@limit_writes("list_writes")
def item_change(request, item_id):
    """Update quantity and note, remove, or move an item to another list."""
    owner = lists.owner_for(request)
    try:
        item = lists.own_item(owner, item_id)
    except ListError:
        raise Http404("No such item.") from None
    source = item.shopping_list_id
    action = request.POST.get("action")
    try:
        if action == "update":
            capped = lists.update_item(
                item, quantity=request.POST.get("quantity"), note=request.POST.get("note", "")
            )
            messages.success(request, capped or "Item updated.")
        elif action == "remove":
            lists.remove_item(item)
            messages.success(request, f"Removed {item.name}.")
        elif action == "move":
            target = lists.own_list(owner, request.POST.get("target"))
            lists.move_item(item, target)
            messages.success(request, f"Moved {item.name} to “{target.name}”.")
        else:
            messages.error(request, "Unknown action.")
    except ListError as error:
        messages.error(request, str(error))
    return redirect("lists:detail", list_id=source)


def _report_transfer(request, transfer):
    if transfer.added:
        messages.success(request, f"Added to your cart: {', '.join(transfer.added)}.")
    for problem in transfer.skipped:
        messages.warning(request, problem)
    if not transfer.added and not transfer.skipped:
        messages.info(request, "Nothing was selected.")


@require_POST
@limit_writes("list_writes")
def to_cart(request, list_id):
    """ "Add all to cart" or "add selected to cart"; what cannot be added is listed."""
    shopping_list = _own_list_or_back(request, list_id)
    if "selected" in request.POST:
        items = lists.selected_items(shopping_list, request.POST.getlist("item"))
    else:
        items = lists.all_items(shopping_list)
    transfer = lists.add_items_to_cart(items, carts.get_cart(request, create=True))
    _report_transfer(request, transfer)
    return redirect("lists:detail", list_id=shopping_list.pk)


@never_cache
def shared(request, token):
    shopping_list = lists.shared_list(token)
    if shopping_list is None:
        raise Http404("This link is not shared (any more).")
    context = {
        "shopping_list": shopping_list,
        "items": lists.item_views(shopping_list, request),
        "own_lists": lists.lists_of(lists.owner_for(request)),
    }
    response = TemplateResponse(request, "commerce/lists/shared.html", context)
    # The token is in this page's URL, so no request from it may carry the path in
    # a Referer. "strict-origin" sends only the origin, to this site and to any other
    # (and nothing on a downgrade to http), so the token reaches neither a third party
    # nor document.referrer of the next page. Not "no-referrer": under it browsers
    # send `Origin: null` with the page's own POST forms (Fetch spec), which Django's
    # CSRF check refuses, so "Add all to my cart" and "Copy to my list" answered 403.
    response["Referrer-Policy"] = "strict-origin"
    response["X-Robots-Tag"] = "noindex"
    return response


@require_POST
@limit_writes("list_writes")
def shared_copy(request, token):
    """Copies a shared list's items into the visitor's cart or one of their lists."""
    shopping_list = lists.shared_list(token)
    if shopping_list is None:
        raise Http404("This link is not shared (any more).")
    items = lists.all_items(shopping_list)
    if request.POST.get("into") == "cart":
        _report_transfer(
            request, lists.add_items_to_cart(items, carts.get_cart(request, create=True))
        )
    else:
        owner = lists.owner_for(request, create=True)
        try:
            target = (
                lists.own_list(owner, request.POST["list"])
                if request.POST.get("list")
                else lists.default_list(owner)
            )
        except ListError as error:
            messages.error(request, str(error))
        else:
            copied = lists.copy_items(items, target)
            messages.success(request, f"Copied {copied} items to “{target.name}”.")
    return redirect("lists:shared", token=token)
