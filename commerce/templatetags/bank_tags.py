"""The shop's bank details in templates that have a request (pages) and those without (e-mails)."""

from django import template
from wagtail.models import Site

from commerce.models import BankDetails

register = template.Library()


@register.simple_tag(takes_context=True)
def bank_details(context) -> BankDetails | None:
    """`{% bank_details as bank %}`: the request's site's, else the default site's (an e-mail
    rendered by a worker has no request); None without a site."""
    request = context.get("request")
    if request is not None:
        return BankDetails.for_request(request)
    site = Site.objects.filter(is_default_site=True).first()
    return BankDetails.for_site(site) if site is not None else None
