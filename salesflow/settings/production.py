"""Production settings: refuses to start with debug on or a weak key; TLS behind SALESFLOW_TLS."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import DEBUG, DEVELOPMENT_SECRET_KEY, SECRET_KEY, env
from .keycheck import secret_key_problem

if DEBUG:
    raise ImproperlyConfigured("DEBUG must be off in production (unset DEBUG or set DEBUG=0).")
_key_problem = secret_key_problem(SECRET_KEY, development_key=DEVELOPMENT_SECRET_KEY)
if _key_problem:
    raise ImproperlyConfigured(
        f"SECRET_KEY {_key_problem}. Set a private random value in production, e.g. the output of "
        "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`."
    )

SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True

# Served over https by a TLS-terminating proxy (nginx, a load balancer) that sets
# X-Forwarded-Proto: redirect plain http, send HSTS, keep cookies to https. Only behind such
# a proxy may the header be trusted — without one a client could send it itself.
SALESFLOW_TLS = env.bool("SALESFLOW_TLS", default=False)
if SALESFLOW_TLS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    # The proxy's health check may call /healthz over plain http.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS = env.int("SALESFLOW_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SALESFLOW_HSTS_INCLUDE_SUBDOMAINS", default=False)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
