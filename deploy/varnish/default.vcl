# Varnish in front of the storefront: a shared cache for anonymous pages only.
#
# The shop (commerce/services/http_cache.py) says what may be shared: an anonymous page that
# hands out no CSRF token gets `Cache-Control: public, max-age=0, s-maxage=N` and an ETag;
# everything else is `private, no-cache` or sets a cookie, and Varnish never stores it.
# This file adds the two rules a proxy needs on its side (README, "Shared HTTP cache"):
#
# 1. Personal requests pass: a request carrying the session cookie (`sessionid`: a cart,
#    shopping lists or a signed-in shopper) or the messages cookie (`messages`) never gets
#    a shared copy, since its page shows that visitor's own things. Other cookies (the CSRF
#    cookie, analytics) do not make a page personal: such requests share the anonymous
#    copy, and their cookies still reach the shop on a miss.
# 2. PURGE from the shop (wagtail.contrib.frontend_cache's HTTPBackend, from loopback or
#    the `purgers` list) bans every stored object of that host whose URL starts with the
#    purged path, query strings included: purging "/" drops the whole site (what a catalog
#    version change does), purging "/shop/" drops the listing with all its filters and
#    sorts.
#
# scripts/ensure-varnish.sh starts a private varnishd with this file, the backend's
# address replaced by the one given at start.

vcl 4.1;

backend default {
    .host = "127.0.0.1";
    .port = "8000";
    .connect_timeout = 5s;
    .first_byte_timeout = 60s;
}

acl purgers {
    "127.0.0.1";
    "::1";
}

sub vcl_recv {
    if (req.method == "PURGE") {
        if (client.ip !~ purgers) {
            return (synth(405, "Not allowed"));
        }
        # Host without its port: the shop's Site may name it without one.
        ban("obj.http.x-storefront-host == " + regsub(req.http.host, ":[0-9]+$", "") +
            " && obj.http.x-storefront-url ~ ^" +
            regsuball(req.url, "([][\\.*+?^$(){}|])", "\\\1"));
        return (synth(200, "Banned"));
    }
    if (req.method != "GET" && req.method != "HEAD") {
        return (pass);
    }
    # Rule 1: the session and messages cookies make a request personal.
    if (req.http.Cookie ~ "(^|;\s*)(sessionid|messages)=") {
        return (pass);
    }
    if (req.http.Authorization) {
        return (pass);
    }
    # Anonymous: look it up even with other cookies (the builtin VCL would pass any
    # request with a Cookie header). The Cookie header goes on to the shop on a miss.
    return (hash);
}

sub vcl_hash {
    # Host and URL only: cookies never pick the copy (the shop marks a page public only
    # when it is the same for every anonymous visitor).
    hash_data(req.url);
    hash_data(regsub(req.http.host, ":[0-9]+$", ""));
    return (lookup);
}

sub vcl_backend_response {
    # For bans the ban lurker can evaluate without a request.
    set beresp.http.x-storefront-host = regsub(bereq.http.host, ":[0-9]+$", "");
    set beresp.http.x-storefront-url = bereq.url;
    # Belt and braces on top of the builtin rules: an answer that sets a cookie or is
    # not marked public is never stored, and later requests for it go to the shop at once
    # (hit-for-miss) instead of queueing behind one another.
    if (beresp.http.Set-Cookie || beresp.http.Cache-Control !~ "public") {
        set beresp.uncacheable = true;
        set beresp.ttl = 120s;
        return (deliver);
    }
    # Keep revalidatable copies a while after they expire: the shop answers a conditional
    # fetch with 304 and no rendering.
    set beresp.keep = 10m;
}

sub vcl_pass {
    set req.http.x-storefront-pass = "1";
}

sub vcl_deliver {
    unset resp.http.x-storefront-host;
    unset resp.http.x-storefront-url;
    # Which way this answer went, for tests and operators (the shop's own header is
    # X-Storefront-Cache; this one is the proxy's): pass, hit or miss.
    if (req.http.x-storefront-pass) {
        set resp.http.X-Proxy-Cache = "pass";
    } elsif (obj.hits > 0) {
        set resp.http.X-Proxy-Cache = "hit";
    } else {
        set resp.http.X-Proxy-Cache = "miss";
    }
}
