"""Content-Security-Policy: one policy for the shop, a looser one for the Wagtail admin.

django-csp's middleware writes the header from `CONTENT_SECURITY_POLICY`; this subclass
swaps in `STOREFRONT_ADMIN_CSP_DIRECTIVES` under `STOREFRONT_ADMIN_CSP_PREFIX`. The
admin's own templates carry inline scripts (date pickers, inline panels) and style
attributes, which a nonce cannot cover, and its live preview frames a page of its own;
excluding the admin altogether would leave it with no policy at all.

Previews are the exception: Wagtail renders them by passing a dummy request for the
page's public URL through the whole middleware chain, and that inner answer's header is
the one the browser gets. It keeps the shop's policy, so editors see in the preview what
shoppers will get (a raw-HTML embed the policy blocks is blocked there too), but may be
framed by the admin.
"""

from csp.constants import SELF
from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings


class StorefrontCSPMiddleware(CSPMiddleware):
    def get_policy_parts(self, request, response, report_only=False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only=report_only)
        if getattr(request, "is_dummy", False):
            parts.replace = {**(parts.replace or {}), "frame-ancestors": [SELF]}
        # A view's own @csp_override still wins (parts.config is set then).
        elif (
            not report_only
            and parts.config is None
            and request.path_info.startswith(settings.STOREFRONT_ADMIN_CSP_PREFIX)
        ):
            parts.config = settings.STOREFRONT_ADMIN_CSP_DIRECTIVES
        return parts
