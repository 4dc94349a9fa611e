"""Shopping lists in the admin: read-only, for support ("what is on this customer's list?").

Lists belong to shoppers; staff may look (with `commerce.view_shoppinglist`) but
never add, edit or delete one here.
"""

from django.db.models import Count
from django.shortcuts import get_object_or_404
from wagtail.admin.ui.tables import Column
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import register_permission_policy
from wagtail.snippets.views.snippets import InspectView, SnippetViewSet

from commerce.models import ShoppingList
from commerce.services.shopping_lists import with_variants


class ViewOnlyPermissionPolicy(ModelPermissionPolicy):
    """Django's view permission; adding, changing and deleting are nobody's."""

    def user_has_permission(self, user, action):
        return action == "view" and super().user_has_permission(user, action)

    def user_has_any_permission(self, user, actions):
        return any(self.user_has_permission(user, action) for action in actions)

    def users_with_any_permission(self, actions):
        return super().users_with_any_permission([a for a in actions if a == "view"])


register_permission_policy(ShoppingList, ViewOnlyPermissionPolicy(ShoppingList))


def owner_label(shopping_list) -> str:
    user = shopping_list.user
    if user is None:
        return "Guest"
    return user.email or user.get_username()


class ShoppingListInspectView(InspectView):
    template_name = "commerce/admin/shopping_list_inspect.html"
    page_title = "Shopping list"

    def get_object(self, queryset=None):
        return get_object_or_404(ShoppingList.objects.select_related("user"), pk=self.pk)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["owner"] = owner_label(self.object)
        context["items"] = with_variants(self.object.items.order_by("added_at", "id"))
        return context


class ShoppingListViewSet(SnippetViewSet):
    model = ShoppingList
    icon = "list-ul"
    menu_label = "Shopping lists"
    inspect_view_enabled = True
    inspect_view_class = ShoppingListInspectView
    copy_view_enabled = False
    search_fields = ["name", "user__email"]
    search_backend_name = None  # not indexed: plain ORM search
    list_display = [
        "name",
        Column("owner", label="Owner", accessor=owner_label),
        Column("item_count", label="Items"),
        Column("updated_at", label="Last change"),
    ]
    list_filter = ["is_default"]
    ordering = ["-updated_at"]

    def get_queryset(self, request):
        return ShoppingList.objects.select_related("user").annotate(item_count=Count("items"))
