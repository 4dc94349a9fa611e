"""Back-in-stock alerts: the product page's "Notify me" form and the e-mail's unsubscribe
link (services.stock_alerts does the work)."""

from django.contrib import messages
from django.http import Http404
from django.template.response import TemplateResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from commerce.inputs import normalise_email, redirect_to_next
from commerce.services import limits
from commerce.services import stock_alerts as alerts

from .limits import too_many_requests

TOO_MANY_ALERTS = "You have asked for many alerts in a short time. Wait a while and try again."


@require_POST
def subscribe(request):
    """Counted per client address and per e-mail address: the form mails whatever address
    it is given, once, so it must not become a way to flood someone's inbox."""
    email = normalise_email(request.POST.get("email", ""))
    over_ip = limits.exceeded(request, "stock_alert_ip", limits.ip_key(request))
    over_address = limits.exceeded(request, "stock_alert_address", f"email:{email}")
    if over_ip or over_address:
        return too_many_requests(request, TOO_MANY_ALERTS, retry_after=3600)
    try:
        subscription, _ = alerts.subscribe(
            variant_id=request.POST.get("variant"), email=email, user=request.user
        )
    except alerts.AlertError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            f"We will e-mail {subscription.email} once when "
            f"{subscription.variant.description} is back in stock.",
        )
    return redirect_to_next(request, "/")


@never_cache
def unsubscribe(request, token):
    """GET asks, POST removes: a link opened by a mail scanner must not unsubscribe."""
    subscription = alerts.subscription_for_token(token)
    if subscription is None:
        raise Http404("No such alert: it was removed already, or the link is incomplete.")
    if request.method == "POST":
        alerts.unsubscribe(subscription)
        return TemplateResponse(
            request, "commerce/stock_alerts/unsubscribed.html", {"subscription": subscription}
        )
    return TemplateResponse(
        request, "commerce/stock_alerts/unsubscribe.html", {"subscription": subscription}
    )
